/* The plan's pre-clone steps (namespaces joined, cgroups, fds, idmapped trees, time namespace) and the clone. */
#define _GNU_SOURCE
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#define CLONE_INTO_CGROUP_FLAG 0x200000000ULL

/* clone3's argument up to its cgroup field (CLONE_ARGS_SIZE_VER2, Linux 5.7) */
struct clone_args_v2 {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
        cgroup;
};

/*
 * A new time namespace for the init: unshare(CLONE_NEWTIME) makes it the monitor's
 * time_for_children (the monitor itself stays where it is), its clock offsets are written
 * while no process is in it, and clone puts the init in.  Done here rather than in the init,
 * whose execve would enter it only on Linux 6.2 and later.  Returns 0 or an errno, *what
 * naming the call that failed.
 */
static int make_time_namespace(const char *offsets, size_t len, const char **what)
{
    struct statfs sf;
    int fd, err;
    *what = "unshare(CLONE_NEWTIME)";
    if (unshare(CLONE_NEWTIME) < 0)
        return errno;
    if (!len)
        return 0;
    *what = "write /proc/self/timens_offsets";
    fd = open("/proc/self/timens_offsets", O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno;
    err = fstatfs(fd, &sf) < 0 ? errno : sf.f_type != PROC_SUPER_MAGIC ? EXDEV : 0;
    if (!err && write(fd, offsets, len) != (ssize_t)len)
        err = errno;
    close(fd);
    return err;
}

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#define JRUN_MOUNT_ATTR_IDMAP 0x00100000
struct jrun_mount_attr {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/*
 * A user namespace with the given maps ("inside outside count" lines; "" leaves one unwritten),
 * held by its fd: a throw-away one, to idmap a mount by.  Returns the fd, or -1 with errno and *what
 * naming the call that failed.
 */
static int idmap_userns(const char *uidmap, size_t ulen, const char *gidmap, size_t glen, const char **what)
{
    int hold[2], userns = -1, err = 0;
    char file[64];
    *what = "pipe";
    if (pipe2(hold, O_CLOEXEC) < 0)
        return -1;
    *what = "clone a user namespace";
    pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid == 0) {
        char b;
        close(hold[1]);
        while (read(hold[0], &b, 1) < 0 && errno == EINTR) /* until the monitor has its fd */
            ;
        _exit(0);
    }
    close(hold[0]);
    if (pid < 0) {
        err = errno;
        goto out;
    }
    for (int k = 0; k < 2; k++) {
        const char *map = k ? gidmap : uidmap;
        size_t len = k ? glen : ulen;
        if (!len)
            continue;
        snprintf(file, sizeof(file), "/proc/%d/%s_map", (int)pid, k ? "gid" : "uid");
        *what = "write the id map of the idmapping user namespace";
        int fd = open(file, O_WRONLY | O_CLOEXEC);
        ssize_t w = fd < 0 ? -1 : write(fd, map, len);
        if (w != (ssize_t)len) {
            err = w < 0 ? errno : EIO;
            if (fd >= 0)
                close(fd);
            goto out;
        }
        close(fd);
    }
    snprintf(file, sizeof(file), "/proc/%d/ns/user", (int)pid);
    *what = "open the idmapping user namespace";
    if ((userns = open(file, O_RDONLY | O_CLOEXEC)) < 0)
        err = errno;
out:
    close(hold[1]);
    if (pid > 0)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    errno = err;
    return userns;
}

/*
 * A detached bind of path (recursive or not), opened here, with the caller's ids, before any
 * namespace is entered; idmapped by the given maps unless both are "".  Returns the tree's fd, or
 * -1 with errno and *what naming the call that failed.
 */
static int detached_tree(const char *path, int recursive, int idmap_recursive, const char *uidmap, size_t ulen,
                         const char *gidmap, size_t glen, const char **what)
{
    int userns = -1, tree, err = 0;
    if (ulen || glen) {
        userns = idmap_userns(uidmap, ulen, gidmap, glen, what);
        if (userns < 0)
            return -1;
    }
    *what = "open_tree";
    tree = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | O_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
    if (tree < 0) {
        err = errno;
    } else if (userns >= 0) {
        struct jrun_mount_attr attr = { .attr_set = JRUN_MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns };
        *what = "mount_setattr MOUNT_ATTR_IDMAP (does the kernel and this filesystem support idmapped mounts?)";
        if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (idmap_recursive ? AT_RECURSIVE : 0), &attr,
                    sizeof(attr)) < 0) {
            err = errno;
            close(tree);
            tree = -1;
        }
    }
    if (userns >= 0)
        close(userns);
    errno = err;
    return tree;
}

/* The rootfs's idmapped tree: recursive, by the container's own maps (its ID_MAP steps). */
static int idmapped_tree(const char *path, const struct plan *plan, const uint32_t *maps, size_t nmaps,
                         const char **what)
{
    const char *m[2] = { "", "" };
    size_t len[2] = { 0, 0 };
    for (size_t k = 0; k < nmaps; k++) {
        const struct plan_step *s = &plan->steps[maps[k]];
        int g = s->args[0].num ? 1 : 0;
        m[g] = s->args[1].str;
        len[g] = s->args[1].len;
    }
    return detached_tree(path, 1, 1, m[0], len[0], m[1], len[1], what);
}

/* The monitor's side of an idmapped rootfs, once the init has it (or will never get it). */
static void drop_idmapped_rootfs(int *idmapped, int *cwd)
{
    if (*idmapped < 0)
        return;
    close(*idmapped);
    *idmapped = -1;
    (void)fchdir(*cwd); /* back where we were: nothing of ours depends on it */
    close(*cwd);
    *cwd = -1;
}

void run_monitor(struct monitor *m, const unsigned char *buf, size_t len)
{
    struct plan plan;
    uint32_t i, cgstep[32], maps[2];
    size_t nmaps = 0;
    int report[2], start[2], cgfd[32], console[2] = { -1, -1 }, fifo = -1, into = -1, idmapped = -1, cwd = -1;
    int ack[2] = { -1, -1 };
    int trees[CHILD_MAX_TREES];
    size_t ntrees = 0;
    uint32_t idmap_step = 0;
    int want_idmap = 0;
    size_t ncg = 0, into_cg = 0;
    int r = plan_decode(buf, len, &plan);

    /* the monitor may join a container's namespaces (exec): no process there may ptrace it and
       reach its control channel to Java, as runc's setns process is not dumpable either */
    prctl(PR_SET_DUMPABLE, 0);
    if (r < 0) {
        say_error(m, 0, -r, "decode plan");
        return;
    }
    for (i = 0; i < plan.nsteps && plan.steps[i].op != OP_CLONE; i++) {
        const struct plan_step *s = &plan.steps[i];
        if (s->op == OP_CONSOLE_SOCKET && s->nargs == 1 && s->args[0].kind == ARG_STR && console[1] < 0) {
            if (!*s->args[0].str) {
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, console) < 0) {
                    say_error(m, i, errno, "socketpair");
                    return;
                }
            } else {
                struct sockaddr_un addr = { .sun_family = AF_UNIX };
                if (strlen(s->args[0].str) >= sizeof(addr.sun_path)) {
                    say_error(m, i, ENAMETOOLONG, "console socket path");
                    return;
                }
                strcpy(addr.sun_path, s->args[0].str);
                console[1] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (console[1] < 0 || connect(console[1], (struct sockaddr *)&addr, sizeof(addr)) < 0) {
                    say_error(m, i, errno, "connect");
                    return;
                }
            }
            continue;
        }
        if (s->op == OP_SECCOMP_LISTENER && s->nargs >= 2 && !m->listener) {
            /* connected now, in the caller's mount namespace; used once the init has loaded its filter */
            struct sockaddr_un addr = { .sun_family = AF_UNIX };
            for (uint16_t k = 0; k < s->nargs; k++)
                if (s->args[k].kind != ARG_STR) {
                    say_error(m, i, EBADMSG, "malformed seccomp listener step");
                    return;
                }
            if (strlen(s->args[0].str) >= sizeof(addr.sun_path)) {
                say_error(m, i, ENAMETOOLONG, "socket path");
                return;
            }
            strcpy(addr.sun_path, s->args[0].str);
            m->listener_sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (m->listener_sock < 0 || connect(m->listener_sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
                say_error(m, i, errno, "connect");
                return;
            }
            /* the init sends the notify fd over it (SCM_RIGHTS: no ptrace check, so it works from
               inside a joined user namespace too) and waits for our answer on it */
            if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ack) < 0) {
                say_error(m, i, errno, "socketpair");
                return;
            }
            m->listener = s;
            m->listener_step = i;
            continue;
        }
        if (s->op == OP_TIME_OFFSETS && s->nargs == 1 && s->args[0].kind == ARG_STR) {
            const char *what;
            int err = make_time_namespace(s->args[0].str, s->args[0].len, &what);
            if (err) {
                say_error(m, i, err, what);
                return;
            }
            continue;
        }
        if (s->op == OP_EXEC_FIFO && s->nargs == 1 && s->args[0].kind == ARG_STR && fifo < 0) {
            struct stat st;
            fifo = open(s->args[0].str, O_PATH | O_CLOEXEC);
            if (fifo < 0 || fstat(fifo, &st) < 0 || !S_ISFIFO(st.st_mode)) {
                say_error(m, i, fifo < 0 ? errno : EINVAL, "open exec fifo");
                return;
            }
            continue;
        }
        if (s->op == OP_ID_MAP && s->nargs == 2 && s->args[0].kind == ARG_U64 && s->args[1].kind == ARG_STR) {
            if (nmaps == 2) {
                say_error(m, i, E2BIG, "more than one uid and one gid map");
                return;
            }
            maps[nmaps++] = i; /* written after clone, below */
            continue;
        }
        if (s->op == OP_BIND_TREE && s->nargs == 4 && s->args[0].kind == ARG_STR && s->args[1].kind == ARG_U64
            && s->args[2].kind == ARG_STR && s->args[3].kind == ARG_STR) {
            /* the bind's source, opened with our ids before any namespace is entered */
            const char *what = "too many detached bind mounts";
            int t = ntrees == CHILD_MAX_TREES ? (errno = E2BIG, -1)
                : detached_tree(s->args[0].str, (int)(s->args[1].num & 1), (int)(s->args[1].num & 2), s->args[2].str, s->args[2].len,
                                s->args[3].str, s->args[3].len, &what);
            if (t < 0) {
                say_error(m, i, errno, what);
                for (size_t k = 0; k < ntrees; k++)
                    close(trees[k]);
                return;
            }
            trees[ntrees++] = t;
            continue;
        }
        if (s->op == OP_CPU_AFFINITY_INITIAL && s->nargs >= 1 && s->nargs <= 128) {
            /* ours, inherited by the process until it joins the container's cgroup */
            uint64_t mask[128] = { 0 };
            for (uint16_t k = 0; k < s->nargs; k++)
                mask[k] = s->args[k].kind == ARG_U64 ? s->args[k].num : 0;
            if (syscall(SYS_sched_setaffinity, 0, (size_t)s->nargs * 8, mask) < 0) {
                say_error(m, i, errno, "sched_setaffinity");
                return;
            }
            continue;
        }
        if (s->op == OP_IDMAP_ROOTFS && s->nargs == 1 && s->args[0].kind == ARG_STR) {
            idmap_step = i; /* made once every map is known, below */
            want_idmap = 1;
            continue;
        }
        if (s->op == OP_CGROUP_ENTER && s->nargs == 1 && s->args[0].kind == ARG_STR) {
            /* opened now, in the caller's mount namespace; written after clone, below */
            if (ncg == sizeof(cgfd) / sizeof(cgfd[0]) || (cgfd[ncg] = open(s->args[0].str, O_WRONLY | O_CLOEXEC)) < 0) {
                say_error(m, i, ncg == sizeof(cgfd) / sizeof(cgfd[0]) ? E2BIG : errno, "open");
                return;
            }
            cgstep[ncg++] = i;
            continue;
        }
        if (s->op == OP_CGROUP_INTO && s->nargs == 1 && s->args[0].kind == ARG_STR && into < 0) {
            /* the directory for clone3, and its cgroup.procs for a kernel without CLONE_INTO_CGROUP;
               both opened now, in the caller's mount and cgroup namespaces */
            char procs[PATH_MAX];
            if (ncg == sizeof(cgfd) / sizeof(cgfd[0])
                || snprintf(procs, sizeof(procs), "%s/cgroup.procs", s->args[0].str) >= (int)sizeof(procs)) {
                say_error(m, i, ncg == sizeof(cgfd) / sizeof(cgfd[0]) ? E2BIG : ENAMETOOLONG, "open");
                return;
            }
            if ((into = open(s->args[0].str, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0
                || (cgfd[ncg] = open(procs, O_WRONLY | O_CLOEXEC)) < 0) {
                say_error(m, i, errno, into < 0 ? "open" : "open cgroup.procs");
                return;
            }
            into_cg = ncg;
            cgstep[ncg++] = i;
            continue;
        }
        if (s->op == OP_CGROUP_DEVICES && s->nargs >= 2 && s->args[0].kind == ARG_STR && m->devices_prog < 0) {
            static uint64_t words[65536];
            char detail[200];
            size_t n = s->nargs - 1u;
            for (size_t k = 0; k < n && k < sizeof(words) / sizeof(words[0]); k++) {
                if (s->args[k + 1].kind != ARG_U64) {
                    say_error(m, i, EBADMSG, "malformed device program");
                    return;
                }
                words[k] = s->args[k + 1].num;
            }
            m->devices_cg = open(s->args[0].str, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (m->devices_cg < 0) {
                say_error(m, i, errno, "open");
                return;
            }
            int fd = n > sizeof(words) / sizeof(words[0]) ? -E2BIG : cgdev_load(words, n, detail, sizeof(detail));
            if (fd < 0) {
                char msg[240];
                snprintf(msg, sizeof(msg), "bpf(BPF_PROG_LOAD)%s%s", detail[0] ? ": " : "", detail);
                say_error(m, i, -fd, msg);
                close(m->devices_cg);
                m->devices_cg = -1;
                return;
            }
            m->devices_prog = fd;
            m->devices_step = i;
            continue;
        }
        if (s->nargs != 2 || s->args[0].kind != (s->op == OP_SETNS ? ARG_U64 : ARG_STR)
            || s->args[1].kind != (s->op == OP_SETNS ? ARG_STR : ARG_U64)
            || (s->op != OP_SETNS && s->op != OP_MKFIFO)) {
            say_error(m, i, EBADMSG, "malformed pre-clone step");
            return;
        }
        if (s->op == OP_MKFIFO) {
            /* chmod too: mknod's mode goes through the umask */
            if (mknod(s->args[0].str, S_IFIFO | (mode_t)(s->args[1].num & 0777), 0) < 0
                || chmod(s->args[0].str, (mode_t)(s->args[1].num & 0777)) < 0) {
                say_error(m, i, errno, "mkfifo");
                return;
            }
            continue;
        }
        int fd = open(s->args[1].str, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, (int)s->args[0].num) < 0) {
            say_error(m, i, errno, fd < 0 ? "open" : "setns");
            return;
        }
        close(fd);
    }
    const struct plan_step *cl = &plan.steps[i];
    if (i == plan.nsteps || cl->nargs != 3 || cl->args[0].kind != ARG_U64 || cl->args[1].kind != ARG_U64
        || cl->args[2].kind != ARG_U64 || cl->args[1].num > 1024) {
        say_error(m, i, EBADMSG, "plan has no clone step");
        return;
    }
    int base = 3 + (int)cl->args[1].num;
    if (want_idmap) {
        const char *what;
        idmapped = idmapped_tree(plan.steps[idmap_step].args[0].str, &plan, maps, nmaps, &what);
        /* a kernel without idmapped mounts (ENOSYS) or a filesystem that has none (EINVAL): the rootfs is
           used as it is, as before idmapped mounts existed; the init sees no tree and binds it itself */
        if (idmapped < 0 && ((errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
                             || (strncmp(what, "open_tree", 9) && strncmp(what, "mount_setattr", 13)))) {
            say_error(m, idmap_step, errno, what);
            return;
        }
    }
    if (idmapped >= 0) {
        /* the init starts in the rootfs directory (its copy in the new mount namespace): see child.c */
        cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cwd < 0 || chdir(plan.steps[idmap_step].args[0].str) < 0) {
            say_error(m, idmap_step, errno, "chdir to rootfs");
            if (cwd >= 0)
                close(cwd);
            close(idmapped);
            return;
        }
    }
    if (pipe2(report, O_CLOEXEC) < 0 || pipe2(start, O_CLOEXEC) < 0) {
        say_error(m, i, errno, "pipe");
        drop_idmapped_rootfs(&idmapped, &cwd);
        return;
    }

    pid_t pid = -1;
    int cloned_into = 0;
    if (into >= 0) {
        /* straight into its cgroup v2 directory; ENOSYS (no clone3) or E2BIG (no cgroup field): below */
        struct clone_args_v2 args = { .flags = cl->args[0].num | CLONE_INTO_CGROUP_FLAG, .exit_signal = SIGCHLD,
                                      .cgroup = (uint64_t)into };
        pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
        /* EPERM too: container runtimes' older seccomp profiles refuse clone3 with it */
        if (pid < 0 && errno != ENOSYS && errno != E2BIG && errno != EPERM) {
            say_error(m, cgstep[into_cg], errno, "clone3(CLONE_INTO_CGROUP)");
            drop_idmapped_rootfs(&idmapped, &cwd);
            return;
        }
        cloned_into = pid >= 0;
    }
    if (pid < 0)
        pid = (pid_t)syscall(SYS_clone, (unsigned long)cl->args[0].num | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid < 0) {
        say_error(m, i, errno, "clone");
        drop_idmapped_rootfs(&idmapped, &cwd);
        return;
    }
    if (pid == 0) {
        /*
         * Keep copies of what the init needs, high up; close every fd of the monitor's own (it
         * opened them after the caller's preserved fds were there, so none of them is one), then
         * put the copies at base.. and close everything above them.
         */
        int rfd = fcntl(report[1], F_DUPFD_CLOEXEC, base + 64), sfd = fcntl(start[0], F_DUPFD_CLOEXEC, base + 64);
        int cfd = console[1] >= 0 ? fcntl(console[1], F_DUPFD_CLOEXEC, base + 64) : -1;
        int ffd = fifo >= 0 ? fcntl(fifo, F_DUPFD_CLOEXEC, base + 64) : -1;
        int ifd = idmapped >= 0 ? fcntl(idmapped, F_DUPFD_CLOEXEC, base + 64) : -1;
        int afd = ack[0] >= 0 ? fcntl(ack[0], F_DUPFD_CLOEXEC, base + 64) : -1;
        int tfd[CHILD_MAX_TREES];
        for (size_t k = 0; k < ntrees; k++)
            if ((tfd[k] = fcntl(trees[k], F_DUPFD_CLOEXEC, base + CHILD_LAST_OFFSET + 1 + CHILD_MAX_TREES)) < 0)
                _exit(127);
        for (size_t k = 0; k < ntrees; k++)
            close(trees[k]);
        int own[] = { report[0], report[1], start[0], start[1], console[0], console[1], m->sigfd, m->ctl_in,
                      m->ctl_out, fifo, into, m->devices_cg, m->devices_prog, idmapped, cwd, ack[0], ack[1],
                      m->listener_sock };
        for (size_t k = 0; k < sizeof(own) / sizeof(own[0]); k++)
            if (own[k] >= 0)
                close(own[k]);
        for (size_t k = 0; k < ncg; k++)
            close(cgfd[k]);
        if (rfd < 0 || sfd < 0 || (console[1] >= 0 && cfd < 0) || dup3(rfd, base + CHILD_REPORT_OFFSET, O_CLOEXEC) < 0
            || dup3(sfd, base + CHILD_START_OFFSET, O_CLOEXEC) < 0
            || (cfd >= 0 && dup3(cfd, base + CHILD_CONSOLE_OFFSET, O_CLOEXEC) < 0)
            || (ffd >= 0 && dup3(ffd, base + CHILD_FIFO_OFFSET, O_CLOEXEC) < 0)
            || (ack[0] >= 0 && (afd < 0 || dup3(afd, base + CHILD_SECCOMP_OFFSET, O_CLOEXEC) < 0))
            || (idmapped >= 0 && (ifd < 0 || dup3(ifd, base + CHILD_IDMAP_OFFSET, O_CLOEXEC) < 0)))
            _exit(127);
        if (ffd < 0)
            close(base + CHILD_FIFO_OFFSET);
        if (cfd < 0)
            close(base + CHILD_CONSOLE_OFFSET);
        if (afd < 0)
            close(base + CHILD_SECCOMP_OFFSET);
        if (ifd < 0)
            close(base + CHILD_IDMAP_OFFSET);
        for (size_t k = 0; k < ntrees; k++)
            if (dup3(tfd[k], base + CHILD_LAST_OFFSET + 1 + (int)k, O_CLOEXEC) < 0)
                _exit(127);
        syscall(SYS_close_range, base + CHILD_LAST_OFFSET + 1 + (int)ntrees, ~0U, 0);
        child_run(&plan, i + 1, base, (int)cl->args[2].num);
    }
    m->init = pid;
    m->outlives = !cl->args[2].num;
    close(report[1]);
    close(start[0]);
    if (console[1] >= 0)
        close(console[1]);
    if (fifo >= 0)
        close(fifo);
    if (into >= 0)
        close(into);
    drop_idmapped_rootfs(&idmapped, &cwd);
    for (size_t k = 0; k < ntrees; k++)
        close(trees[k]);
    if (ack[0] >= 0)
        close(ack[0]);
    m->seccomp_ack = ack[1];
    m->console_sock = console[0]; /* -1 when the master goes to the caller's --console-socket */
    m->report_fd = report[0];
    m->start_fd = start[1];
    /* its user namespace's id maps, before it runs a single step of its own */
    for (size_t k = 0; k < nmaps; k++) {
        const struct plan_step *s = &plan.steps[maps[k]];
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/%s_map", (int)pid, s->args[0].num ? "gid" : "uid");
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        ssize_t w = fd < 0 ? -1 : write(fd, s->args[1].str, s->args[1].len);
        if (w != (ssize_t)s->args[1].len) {
            say_error(m, maps[k], w < 0 ? errno : EIO, path);
            kill_init_and_wait(m);
            return;
        }
        close(fd);
    }
    /* into its cgroups before it runs a single step of its own; then let it go */
    for (size_t k = 0; k < ncg; k++) {
        char num[16];
        if (cloned_into && k == into_cg) {
            close(cgfd[k]); /* there already */
            continue;
        }
        int n = snprintf(num, sizeof(num), "%d", (int)pid);
        ssize_t w = write(cgfd[k], num, (size_t)n);
        if (w != n) {
            say_error(m, cgstep[k], w < 0 ? errno : EIO, "write the pid");
            kill_init_and_wait(m);
            return;
        }
        close(cgfd[k]);
    }
    write_all(m->start_fd, "P", 1);
}
