/*
 * The plan: the wire format between jrun's Java side and this stage.
 *
 * Java compiles an OCI config into a list of steps; this stage executes them
 * in order and holds no OCI policy of its own.  The numbers below are checked
 * against io.jrun.nativebind.StageOp by a unit test (PlanHeaderTest): change
 * both sides together.
 *
 * Encoding (little-endian):
 *   header  "JRUNPLAN" u32 version u32 step_count
 *   step    u16 op u16 nargs, then nargs arguments
 *   arg     u8 kind: ARG_U64 then u64 | ARG_STR then u32 len, len bytes, NUL
 */
#ifndef JRUN_PLAN_H
#define JRUN_PLAN_H

#include <stddef.h>
#include <stdint.h>

#define PLAN_MAGIC "JRUNPLAN"
#define PLAN_VERSION 1
#define PLAN_MAX_BYTES (16u << 20) /* a plan larger than this is refused; there is no limit on steps
                                      (argv of 100,000 words is 100,000 ARG steps) but these bytes */

#define ARG_U64 1
#define ARG_STR 2

/* Steps the monitor runs before clone. */
#define OP_SETNS 1            /* u64 nstype, str path */
#define OP_MKFIFO 3           /* str host path, u64 mode: the exec fifo of a container that outlives its monitor */
#define OP_CGROUP_ENTER 4     /* str path of a cgroup.procs: the monitor writes the child's pid there
                                 right after clone, before the child runs any step */
#define OP_CGROUP_INTO 46    /* str a cgroup v2 directory: the init is cloned into it (clone3 CLONE_INTO_CGROUP);
                                 where the kernel lacks that (ENOSYS, E2BIG), its pid is written to the
                                 directory's cgroup.procs right after clone, as with OP_CGROUP_ENTER */
#define OP_CGROUP_DEVICES 47 /* str a cgroup v2 directory, then u64 eBPF instructions (code | dst << 8 |
                                 src << 12 | off << 16 | imm << 32) of a BPF_PROG_TYPE_CGROUP_DEVICE
                                 program: loaded before clone, attached (BPF_F_ALLOW_MULTI, in place of
                                 those jrun attached there before) once the init reports it is set up
                                 (its device nodes made), before "created" */
#define OP_ID_MAP 5           /* u64 0 uid / 1 gid, str "inside outside count" lines: written to the child's
                                 /proc/PID/{uid,gid}_map right after clone (a new user namespace) */
#define OP_CONSOLE_SOCKET 41  /* str host path of a unix socket to send the pty master to (--console-socket),
                                 connected here, in the caller's mount namespace; "": the monitor receives
                                 the master itself and copies between it and its own stdio */
#define OP_CLONE 2            /* u64 clone flags, u64 fds to preserve (3..3+n-1), u64 die with the
                                 monitor (1: PR_SET_PDEATHSIG SIGKILL); later steps run in the child */
/* Steps the container's init runs, in order. */
#define OP_UNSHARE 9          /* u64 flags: namespaces made after the cgroup placement (CLONE_NEWCGROUP) */
#define OP_LOOPBACK_UP 10     /* - */
#define OP_HOSTNAME 11        /* str name */
#define OP_DOMAINNAME 12      /* str name */
#define OP_ROOT_PROPAGATION 13 /* u64 mount flags applied to / recursively */
#define OP_ROOTFS 14          /* str host path of the rootfs */
#define OP_MOUNT 15           /* str source, str dest, str fstype, u64 flags, str data,
                                 u64 remount flags (0: none), u64 propagation (0: none),
                                 u64 target kind (0 directory, 1 file; | 2: copy what the directory
                                 held into the new mount, "tmpcopyup"; | 4: the source is the detached
                                 tree of OP_BIND_TREE number kind >> 8, moved into place),
                                 u64 MOUNT_ATTR_* to set, u64 to clear, recursively (mount_setattr
                                 AT_RECURSIVE: "rro", "rnosuid", ...; 0 0: none) */
#define OP_MKNOD 16           /* str path, u64 mode (with type), u64 major, u64 minor, u64 uid, u64 gid */
#define OP_SYMLINK 17         /* str target, str link path */
#define OP_PIVOT_ROOT 18      /* - */
#define OP_MOVE_ROOT 19       /* - : MS_MOVE + chroot, for a rootfs on ramfs */
#define OP_REMOUNT 20         /* str path (in the container), u64 flags to add */
#define OP_SETGROUPS 21       /* u64 gid... */
#define OP_SETGID 22          /* u64 gid */
#define OP_SETUID 23          /* u64 uid */
#define OP_CHDIR 24           /* str path, u64 when: 0 now (an error fails), 1 before the user switch (EACCES
                                 or EPERM leaves it to a later OP_CHDIR), 2 after it, unless done already */
#define CHDIR_NOW 0
#define CHDIR_TRY_FIRST 1
#define CHDIR_IF_NOT_YET 2
#define OP_ARG 25             /* str: appended to argv */
#define OP_ENV 26             /* str: appended to envp */
#define OP_LOOKUP 27          /* str search path: resolve argv[0] like execvp */
#define OP_WAIT_START 28      /* - : report "created", wait for "start" */
#define OP_EXEC 29            /* - */
/* After pivot_root, with paths as the container sees them (a missing path is skipped). */
#define OP_MASK_PATH 30       /* str path: a read-only tmpfs over a directory, /dev/null over a file */
#define OP_READONLY_PATH 31   /* str path: bound onto itself read-only */
/* Process security, after pivot_root, in this order (as runc applies them). */
#define OP_SYSCTL 34          /* str key as a path under /proc/sys ("net/ipv4/ip_forward"), str value */
#define OP_OOM_SCORE_ADJ 35   /* u64 value (two's complement) */
#define OP_RLIMIT 36          /* u64 resource, u64 soft, u64 hard */
#define OP_UMASK 37           /* u64 mask */
#define OP_CAPS_BOUNDING 38   /* u64 capabilities kept in the bounding set; keeps the others across setuid */
#define OP_CAPS 39            /* u64 effective, u64 permitted, u64 inheritable, u64 ambient: after setuid */
#define OP_NO_NEW_PRIVS 40    /* - */
/* Hooks: the init stops here, before pivot_root, while Java runs createRuntime/createContainer hooks. */
#define OP_HOOK_PAUSE 43      /* - : report "paused STEP", wait for "resume" */
/* After pivot_root: a propagation change on a path as the container sees it (rootfsPropagation shared). */
#define OP_SET_PROPAGATION 44 /* str path, u64 MS_SHARED/MS_SLAVE/... | MS_REC */
/* seccomp: a classic BPF program compiled by Java, loaded with seccomp(2) */
#define OP_SECCOMP 45         /* u64 flags, then u64 instructions: code<<48 | jt<<40 | jf<<32 | k */
/* User namespaces: a rootfs owned by ids the namespace does not map is shown through an idmapped mount. */
#define OP_IDMAP_ROOTFS 60    /* str host path of the rootfs: before clone, the monitor makes a detached
                                 recursive bind of it idmapped by the plan's ID_MAP maps (open_tree,
                                 mount_setattr MOUNT_ATTR_IDMAP) and gives it to the init at base+5;
                                 none where the kernel or the filesystem has no idmapped mounts */
#define OP_ROOTFS_IDMAPPED 61 /* str host path of the rootfs: in the init, instead of OP_ROOTFS, moves the
                                 idmapped tree (base+5) onto the rootfs directory, its working directory;
                                 without a tree (no idmapped mounts there) binds the path as OP_ROOTFS */
/* A terminal: the init's stdio become the slave of a pty made in the container's devpts. */
#define OP_CONSOLE 42         /* u64 rows, u64 cols (0: leave), u64 1: bind the slave on /dev/console (the
                                 init; an exec'd process leaves /dev/console alone): after pivot_root, make
                                 the pty, send the master, make the slave the controlling tty and stdio */
/* For a container that outlives its monitor (create, run --detach, exec --detach). */
#define OP_EXEC_FIFO 32       /* str host path of the exec fifo: opened (O_PATH) by the monitor before clone,
                                 as host root, and given to the init at base+2 (a user-namespaced init
                                 could not reach the state directory) */
#define OP_WAIT_FIFO 33       /* - : report "created", then block opening the fifo for writing until
                                 "jrun start" opens it for reading */
/* Personality, time namespace offsets, seccomp notify (issue 5). */
#define OP_PERSONALITY 50     /* u64 persona for personality(2) (PER_LINUX 0, PER_LINUX32 8): kept across execve */
#define OP_TIME_OFFSETS 51    /* pre-clone: str "monotonic S N\nboottime S N\n" or "": the monitor unshares
                                 CLONE_NEWTIME, writes the offsets to its /proc/self/timens_offsets (on procfs)
                                 and clones the init into that namespace (the monitor stays outside) */
#define OP_SECCOMP_LISTENER 52 /* pre-clone: str unix socket path (listenerPath), then str parts of the state
                                 JSON with the init's pid between each two.  The monitor connects now; when the
                                 init has loaded a filter with SECCOMP_FILTER_FLAG_NEW_LISTENER and reported its
                                 fd number, the monitor takes the fd (pidfd_getfd), sends the JSON with it as
                                 SCM_RIGHTS, closes its copies and only then lets the init go on */

/* Process set-up as runc does it (issue 12). */
#define OP_BIND_TREE 63       /* pre-clone: str host path, u64 1: recursive (rbind) | 2: idmapped recursively
                                 (ridmap), str uid map lines, str gid map lines
                                 ("" "": not idmapped): the monitor makes a detached bind of the path
                                 (open_tree) with its own ids, before any namespace is entered, idmapped
                                 by the maps (mount_setattr MOUNT_ATTR_IDMAP), and gives it to the init */
/* runtime-spec 1.2's scheduling: in the init before the capability drop, in an exec'd process likewise. */
#define OP_IOPRIO 64          /* u64 ioprio_set(2) value (class << 13 | priority), for the process itself */
#define OP_SCHED 65           /* u64 policy, u64 flags, u64 nice (two's complement), u64 priority, u64 runtime,
                                 u64 deadline, u64 period: sched_setattr(2) for the process itself */
#define OP_CPU_AFFINITY 66    /* u64 words of a CPU mask (CPU n: bit n % 64 of word n / 64): sched_setaffinity(2) */
#define OP_CPU_AFFINITY_INITIAL 67 /* pre-clone, the same: the monitor's own, which the process inherits until it
                                 joins the container's cgroup (execCPUAffinity.initial) */
#define OP_STDIO_OWNER 62     /* u64 uid: before the user switch, stdio not owned by it (a pty, pipes) is
                                 chowned to it, /dev/null and what cannot be chowned left alone */

/* natives: a container's records, the file REC_FILE beside its state.json, in this encoding (these ops
   only). Java writes them atomically at create; the launcher runs state, start, kill, delete, list,
   ps, pause and resume from them without a JVM, and takes the JVM path when they are missing, of
   another REC_VERSION, or disagree with the state files. */
#define REC_FILE "native.rec"
#define REC_VERSION 1
#define OP_REC_VERSION 200     /* u64 REC_VERSION */
#define OP_REC_CONTAINER 201   /* str id, u64 init pid, u64 its start time (field 22 of /proc/PID/stat) */
#define OP_REC_STATE_TEXT 202  /* u64 0: not started, 1: started; str the exact bytes of state.json then */
#define OP_REC_CGROUP_TEXT 203 /* str the exact bytes of cgroup.json */
#define OP_REC_OCI 204         /* u64 status (0 created, 1 running, 2 paused, 3 stopped), str what `state`
                                  prints, str the container's element of `list --format json` */
#define OP_REC_LIST_ROW 205    /* str bundle, str created: `list`'s table columns */
#define OP_REC_CGROUP 206      /* u64 1: cgroup v2 */
#define OP_REC_CGROUP_DIR 207  /* str a directory of the container's cgroup, in Java's order */
#define OP_REC_CGROUP_MADE 208 /* str a directory jrun made, deepest first: removed at delete in this order */
#define OP_REC_CONFIG 209      /* u64 length, u64 FNV-1a 64 of the state directory's config.json */
#define OP_REC_HOOKS 210       /* u64 bits: 1 startContainer, 2 poststart, 4 poststop hooks exist */
#define OP_REC_HOOK 211        /* a host-side hook the launcher runs as Java would: u64 kind (2 poststart,
                                  4 poststop), u64 timeout in seconds, str the timeout as Java prints it,
                                  u64 argc, u64 envc, then argc str (argv: the path first) and envc str
                                  (its whole environment) */
#define OP_REC_TERMINAL 212    /* u64 1: process.terminal; `start` then takes the JVM path (Podman's
                                  `run -it` with stdin at EOF lost the program's output when start
                                  returned in ~5 ms: kept as it was until that is understood) */

struct plan_arg {
    uint8_t kind;
    uint64_t num;
    const char *str;
    uint32_t len;
};

struct plan_step {
    uint16_t op;
    uint16_t nargs;
    struct plan_arg *args;
};

struct plan {
    uint32_t nsteps;
    struct plan_step *steps;
};

/* Decodes buf (len bytes, kept alive by the caller). Returns 0 or -errno. */
int plan_decode(const unsigned char *buf, size_t len, struct plan *out);

#endif
