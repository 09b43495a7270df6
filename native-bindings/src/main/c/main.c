/*
 * jrun's native stage.  Two ways in, one monitor:
 *
 *   jrun ARGS...                 the CLI front-end: starts the JVM with a control
 *                                channel on fds 3 (to Java) and 4 (from Java) and
 *                                exits with its status.  If Java sends a plan, this
 *                                process becomes the container's monitor, so the
 *                                signals users send to jrun reach the container.
 *   jrun --stage SOCKET          used by the Java library: the plan and the control
 *                                messages come over the unix socket SOCKET.
 *   jrun --signal PID START SIG  sends SIG to PID through a pidfd, if PID still is the
 *                                process that started at START (field 22 of its stat).
 *   jrun --cgroup-devices DIR    attaches the cgroup v2 device program on stdin (u64
 *                                little-endian instructions, see cgdev.c) to the cgroup
 *                                DIR and detaches the ones jrun attached there before
 *                                (`jrun update`).
 *
 * The monitor runs the plan's pre-clone steps, clones the container's init
 * (which runs the rest, see child.c) and then relays:
 *   to Java:   "created PID" | "error STEP ERRNO DETAIL" | "started" | "exited WAITSTATUS"
 *              | "paused STEP PID" (stopped at a hook point)
 *   from Java: "start" | "kill SIG" | "done" (Java has cleaned up after the exit: the
 *              front-end may exit with the container's status without waiting for the JVM)
 *              | "detach" (the container outlives the monitor: exit, leaving it running)
 *              | "resume" (go on from a hook point)
 * A control channel that closes kills the container: it never outlives its controller.
 */
#define _GNU_SOURCE
#include "stage.h"
#include "commands/records.h" /* natives: */

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

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
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

#define JAVA_IN_FD 3  /* in the JVM: what the monitor says */
#define JAVA_OUT_FD 4 /* in the JVM: what Java says */

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

struct monitor {
    int ctl_in, ctl_out; /* control channel with Java */
    int sigfd;
    pid_t jvm;           /* front-end: the JVM child, else 0 */
    int jvm_status;
    pid_t init;          /* the container's init, once cloned */
    int report_fd;       /* read end of the init's report pipe, -1 after it closed */
    int start_fd;        /* write end of the init's start pipe */
    unsigned pending;    /* bit i: forwarded[i] arrived before the init existed */
    int init_status;     /* the init's wait status, once reaped */
    int console_sock;    /* our end of the socketpair the init sends its pty master over, or -1 */
    int master;          /* the pty master we copy to and from our own stdio, or -1 */
    int stdin_open;      /* our stdin still has data to copy to the master */
    int done;            /* Java said "done" */
    int exec_seen;       /* the init said it is about to execve */
    int outlives;        /* the init outlives us (create, exec --detach): never reap it, so that
                            whoever adopts it (conmon, the shim) gets its exit status */
    int created;         /* the init reported it is set up */
    int detached;        /* Java said "detach" */
    int devices_cg;      /* OP_CGROUP_DEVICES: the cgroup directory, the loaded program and its step, */
    int devices_prog;    /* attached when the init reports it is set up; -1 when none */
    uint32_t devices_step;
    const struct plan_step *listener; /* OP_SECCOMP_LISTENER: the path and the state JSON's parts, or NULL */
    uint32_t listener_step;
    int listener_sock;   /* connected to the seccomp listener until the notify fd is sent, or -1 */
    int seccomp_ack;     /* our end of the init's seccomp socket, or -1 */
    char line[512];
    size_t line_len;
};

/* The file this binary was started from (we run from a sealed copy of it: see run_from_sealed_copy). */
static char stage_path[PATH_MAX];

/* The user's terminal, put in raw mode while a container's pty is copied to it; restored at exit. */
static struct termios saved_termios;
static int termios_saved;

static void restore_terminal(void)
{
    if (termios_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
    termios_saved = 0;
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("jrun: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(125);
}

/* Writes (or reads) all of len bytes, through EINTR and short transfers; -1 on error or EOF. */
static int transfer_all(int fd, void *buf, size_t len, int writing)
{
    char *p = buf;
    while (len) {
        ssize_t n = writing ? write(fd, p, len) : read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
    return transfer_all(fd, (void *)buf, len, 1);
}

static int read_all(int fd, void *buf, size_t len)
{
    return transfer_all(fd, buf, len, 0);
}

static void say(struct monitor *m, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(buf) - 2)
        n = sizeof(buf) - 2;
    buf[n++] = '\n';
    write_all(m->ctl_out, buf, (size_t)n); /* a vanished controller shows up as EOF on ctl_in */
}

static void say_error(struct monitor *m, uint32_t step, int err, const char *detail)
{
    char clean[256];
    size_t i = 0;
    for (; detail && detail[i] && i < sizeof(clean) - 1; i++)
        clean[i] = (detail[i] == '\n') ? ' ' : detail[i];
    clean[i] = '\0';
    say(m, "error %u %d %s", step, err, clean);
}

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

/* Reads "PLAN" u32 length, then the plan itself. Returns NULL on EOF before any byte. */
static unsigned char *read_plan(int fd, size_t *len)
{
    unsigned char hdr[8];
    unsigned char *buf;
    ssize_t n;
    do
        n = read(fd, hdr, 1);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return NULL;
    if (n < 0 || read_all(fd, hdr + 1, 7) || memcmp(hdr, "PLAN", 4))
        die("read plan: malformed control message");
    *len = (size_t)hdr[4] | ((size_t)hdr[5] << 8) | ((size_t)hdr[6] << 16) | ((size_t)hdr[7] << 24);
    if (*len > PLAN_MAX_BYTES)
        die("read plan: %zu bytes is more than the %u allowed", *len, PLAN_MAX_BYTES);
    buf = malloc(*len ? *len : 1);
    if (!buf || read_all(fd, buf, *len))
        die("read plan: %s", buf ? "channel closed" : strerror(ENOMEM));
    return buf;
}

static void setup_signals(struct monitor *m)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGWINCH);
    for (size_t i = 0; i < NFORWARDED; i++)
        sigaddset(&set, forwarded[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        die("sigprocmask: %s", strerror(errno));
    m->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (m->sigfd < 0)
        die("signalfd: %s", strerror(errno));
    signal(SIGPIPE, SIG_IGN);
}

static void forward(struct monitor *m, int sig)
{
    size_t i;
    for (i = 0; i < NFORWARDED && forwarded[i] != sig; i++)
        ;
    if (m->init > 0 && m->created) {
        kill(m->init, sig);
    } else if (m->jvm > 0 && (sig == SIGINT || sig == SIGTERM || sig == SIGHUP)) {
        /* no container yet: let the JVM stop (and clean up) as it would on its own */
        kill(m->jvm, sig);
    } else if (i < NFORWARDED) {
        m->pending |= 1u << i;
    }
}

static void read_report(struct monitor *m, int init_exited);

/* Reaps children; returns 1 once the container's init has ended. */
static int reap(struct monitor *m)
{
    int status, init_done = 0;
    pid_t p;
    if (m->outlives && m->init > 0) {
        siginfo_t si = { 0 };
        if (waitid(P_PID, (id_t)m->init, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == m->init) {
            while (m->report_fd >= 0)
                read_report(m, 1);
            status = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : si.si_status & 0x7f;
            say(m, "exited %d", status);
            m->init = -1;
            m->init_status = status;
            init_done = 1;
        }
        if (m->jvm > 0 && waitpid(m->jvm, &status, WNOHANG) == m->jvm) {
            m->jvm = 0;
            m->jvm_status = status;
        }
        return init_done;
    }
    while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
        if (p == m->init) {
            /* what the init reported before it died comes first */
            while (m->report_fd >= 0)
                read_report(m, 1);
            say(m, "exited %d", status);
            m->init = -1;
            m->init_status = status;
            init_done = 1;
        } else if (p == m->jvm) {
            m->jvm = 0;
            m->jvm_status = status;
        }
    }
    return init_done;
}

static void kill_init_and_wait(struct monitor *m)
{
    if (m->init > 0) {
        kill(m->init, SIGKILL);
        siginfo_t si;
        while (waitid(P_PID, (id_t)m->init, &si, WEXITED | (m->outlives ? WNOWAIT : 0)) < 0 && errno == EINTR)
            ;
        m->init = -1;
    }
}

static void handle_line(struct monitor *m, const char *line)
{
    int sig;
    if (!strcmp(line, "start")) {
        if (m->start_fd >= 0) {
            write_all(m->start_fd, "G", 1);
            close(m->start_fd);
            m->start_fd = -1;
        }
    } else if (!strcmp(line, "resume")) {
        if (m->start_fd >= 0)
            write_all(m->start_fd, "R", 1);
    } else if (!strcmp(line, "done")) {
        m->done = 1;
    } else if (!strcmp(line, "detach")) {
        m->detached = 1;
        m->init = -1; /* no longer ours to wait for or kill */
    } else if (sscanf(line, "kill %d", &sig) == 1) {
        if (m->init > 0)
            kill(m->init, sig);
    }
}

/* Returns -1 when the controller has gone away or is done. */
static int read_control(struct monitor *m)
{
    char buf[256];
    ssize_t n = read(m->ctl_in, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
        return 0;
    if (n <= 0)
        return -1;
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            m->line[m->line_len] = '\0';
            handle_line(m, m->line);
            m->line_len = 0;
            if (m->done || m->detached)
                return -1;
        } else if (m->line_len < sizeof(m->line) - 1) {
            m->line[m->line_len++] = buf[i];
        }
    }
    return 0;
}

/* One fd sent with SCM_RIGHTS on sock (with one byte of data); -1 with errno when none came. */
static int receive_fd(int sock)
{
    char b;
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { &b, 1 };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
    ssize_t n;
    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
    if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int))) {
        if (n >= 0)
            errno = EBADMSG;
        return -1;
    }
    int fd;
    memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    return fd;
}

/*
 * The init loaded a filter with a listener and sent its fd over the seccomp socket: take it, send
 * the container process state (the init's pid between the parts Java wrote) with the fd as
 * SCM_RIGHTS in the same message, close our copies, and only then let the init go on.
 */
static void send_listener(struct monitor *m)
{
    const struct plan_step *s = m->listener;
    int err = 0, fd = -1;
    const char *what = "";
    char *json = NULL, pid[24];
    size_t len = 0, cap = 0;

    if (!s || m->listener_sock < 0) {
        err = EBADMSG;
        what = "a filter with a listener but no listenerPath in the plan";
        goto out;
    }
    int pidlen = snprintf(pid, sizeof(pid), "%d", (int)m->init);
    for (uint16_t k = 1; k < s->nargs; k++)
        cap += s->args[k].len + (size_t)pidlen;
    json = malloc(cap + 1);
    if (!json) {
        err = ENOMEM;
        what = "state";
        goto out;
    }
    for (uint16_t k = 1; k < s->nargs; k++) {
        memcpy(json + len, s->args[k].str, s->args[k].len);
        len += s->args[k].len;
        if (k + 1 < s->nargs) {
            memcpy(json + len, pid, (size_t)pidlen);
            len += (size_t)pidlen;
        }
    }
    fd = receive_fd(m->seccomp_ack);
    if (fd < 0) {
        err = errno;
        what = "receive the notify fd from the init";
        goto out;
    }
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { json, len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    ssize_t n;
    do
        n = sendmsg(m->listener_sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    /* a stream socket may take a large state in parts: the rest goes without the fd */
    if (n >= 0 && (size_t)n < len && write_all(m->listener_sock, json + n, len - (size_t)n) < 0)
        n = -1;
    if (n < 0) {
        err = errno;
        what = "sendmsg";
    }
out:
    if (fd >= 0)
        close(fd);
    free(json);
    if (m->listener_sock >= 0)
        close(m->listener_sock);
    m->listener_sock = -1;
    if (err) {
        say_error(m, m->listener_step, err, what);
        kill(m->init, SIGKILL); /* its exit is reaped and reported as usual */
    } else if (m->seccomp_ack >= 0) {
        write_all(m->seccomp_ack, "S", 1);
    }
    if (m->seccomp_ack >= 0)
        close(m->seccomp_ack);
    m->seccomp_ack = -1;
}

static void read_report(struct monitor *m, int init_exited)
{
    struct child_msg msg;
    ssize_t n;
    do
        n = read(m->report_fd, &msg, sizeof(msg));
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof(msg) && msg.type == CHILD_PAUSED) {
        say(m, "paused %u %d", msg.step, (int)m->init);
        return;
    }
    if (n == (ssize_t)sizeof(msg) && msg.type == CHILD_EXEC) {
        m->exec_seen = 1;
        return;
    }
    if (n == (ssize_t)sizeof(msg) && msg.type == CHILD_SECCOMP) {
        if (!init_exited)
            send_listener(m);
        return;
    }
    if (n == (ssize_t)sizeof(msg) && msg.type == CHILD_READY) {
        if (m->devices_prog >= 0) {
            /* its device nodes are made: now the device rules, before anything of the user's runs
               (in place of any jrun attached to this cgroup before: an existing cgroupsPath) */
            const char *op;
            int r = cgdev_replace(m->devices_cg, m->devices_prog, &op);
            close(m->devices_prog);
            close(m->devices_cg);
            m->devices_prog = m->devices_cg = -1;
            if (r < 0) {
                say_error(m, m->devices_step, -r, op);
                kill(m->init, SIGKILL); /* its exit follows the error */
                return;
            }
        }
        say(m, "created %d", (int)m->init);
        m->created = 1;
        for (size_t i = 0; i < NFORWARDED; i++)
            if (m->pending & (1u << i))
                kill(m->init, forwarded[i]);
        m->pending = 0;
        return;
    }
    if (n == (ssize_t)sizeof(msg) && msg.type == CHILD_ERROR) {
        msg.detail[sizeof(msg.detail) - 1] = '\0';
        say_error(m, msg.step, msg.err, msg.detail);
    } else if (n == 0 && !init_exited && m->exec_seen) {
        say(m, "started"); /* the pipe is close-on-exec: EOF after "about to exec" means execve succeeded */
    }
    close(m->report_fd);
    m->report_fd = -1;
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

static void run_monitor(struct monitor *m, const unsigned char *buf, size_t len)
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

/* Follows the user's terminal size (kept as consoleSize set it when ours has none). */
static void copy_window_size(struct monitor *m)
{
    struct winsize ws;
    if (m->master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        ioctl(m->master, TIOCSWINSZ, &ws);
}

/* Receives the pty master from the init, and puts our own terminal (if stdin is one) in raw mode. */
static void receive_master(struct monitor *m)
{
    char name[64];
    struct iovec iov = { name, sizeof(name) };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
    ssize_t n = recvmsg(m->console_sock, &msg, MSG_CMSG_CLOEXEC);
    struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
    close(m->console_sock);
    m->console_sock = -1;
    if (!cm || cm->cmsg_type != SCM_RIGHTS)
        return;
    memcpy(&m->master, CMSG_DATA(cm), sizeof(int));
    m->stdin_open = 1;
    if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_termios) == 0) {
        struct termios raw = saved_termios;
        cfmakeraw(&raw);
        termios_saved = 1;
        atexit(restore_terminal);
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    copy_window_size(m);
}

/* Copies one read's worth from one fd to another; returns 0 at EOF or error. */
static int copy_once(int from, int to)
{
    char buf[8192];
    ssize_t n = read(from, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 1;
    if (n <= 0)
        return 0;
    write_all(to, buf, (size_t)n);
    return 1;
}

/* After the init's exit: what is still in the pty goes out, then our terminal is restored. */
static void drain_master(struct monitor *m)
{
    if (m->master < 0)
        return;
    fcntl(m->master, F_SETFL, fcntl(m->master, F_GETFL) | O_NONBLOCK);
    while (copy_once(m->master, STDOUT_FILENO))
        ;
    close(m->master);
    m->master = -1;
    restore_terminal();
}

/* The event loop of a monitor whose container is running or being set up. */
static void supervise(struct monitor *m)
{
    int controller_gone = 0;
    while (m->init > 0) {
        struct pollfd p[6] = {
            { m->sigfd, POLLIN, 0 },
            { controller_gone ? -1 : m->ctl_in, POLLIN, 0 },
            { m->report_fd, POLLIN, 0 },
            { m->console_sock, POLLIN, 0 },
            { m->master, POLLIN, 0 },
            { m->master >= 0 && m->stdin_open ? STDIN_FILENO : -1, POLLIN, 0 },
        };
        if (poll(p, 6, -1) < 0) {
            if (errno == EINTR)
                continue;
            die("poll: %s", strerror(errno));
        }
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(m->sigfd, &si, sizeof(si)) == sizeof(si)) {
                if ((int)si.ssi_signo == SIGCHLD) {
                    if (reap(m))
                        break;
                } else if ((int)si.ssi_signo == SIGWINCH) {
                    copy_window_size(m);
                } else {
                    forward(m, (int)si.ssi_signo);
                }
            }
        }
        if (p[2].revents && m->report_fd >= 0)
            read_report(m, 0);
        if (p[3].revents && m->console_sock >= 0)
            receive_master(m);
        if (p[4].revents && m->master >= 0 && !copy_once(m->master, STDOUT_FILENO)) {
            close(m->master); /* the slave side is gone: EIO */
            m->master = -1;
            restore_terminal();
        }
        if (p[5].revents && m->master >= 0 && !copy_once(STDIN_FILENO, m->master))
            m->stdin_open = 0;
        if (p[1].revents && read_control(m) < 0) {
            controller_gone = 1;
            kill_init_and_wait(m);
        }
    }
}

/* The front-end: start the JVM, wait for it, and monitor the container it may ask for. */
static int front_end(int argc, char **argv)
{
    struct monitor m = { .report_fd = -1, .start_fd = -1, .init = 0, .console_sock = -1, .master = -1,
                         .devices_cg = -1, .devices_prog = -1, .listener_sock = -1,
                         .seccomp_ack = -1 };
    int to_java[2], from_java[2];
    char self[PATH_MAX], launch[PATH_MAX + 32], *slash;
    if (snprintf(self, sizeof(self), "%s", stage_path) >= (int)sizeof(self))
        die("%s: path too long", stage_path);
    slash = strrchr(self, '/');
    *slash = '\0'; /* the bin directory */
    snprintf(launch, sizeof(launch), "%s/../lib/jrun.launch", self);
    *slash = '/';

    /* jrun.launch: the java binary on its first line, then one JVM argument a line; @LIB@ is the lib dir */
    FILE *f = fopen(launch, "re");
    if (!f)
        die("open %s: %s", launch, strerror(errno));
    char **jargv = calloc((size_t)argc + 64, sizeof(char *));
    size_t ja = 0;
    char line[PATH_MAX * 2];
    char libdir[PATH_MAX];
    snprintf(libdir, sizeof(libdir), "%.*s/../lib", (int)(slash - self), self);
    while (fgets(line, sizeof(line), f) && ja < 60) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char expanded[PATH_MAX * 4], *at;
        const char *src = line;
        size_t used = 0;
        while ((at = strstr(src, "@LIB@")) || *src) {
            size_t chunk = at ? (size_t)(at - src) : strlen(src);
            int n = snprintf(expanded + used, sizeof(expanded) - used, "%.*s%s", (int)chunk, src, at ? libdir : "");
            if (n < 0 || (size_t)n >= sizeof(expanded) - used)
                die("%s: a line is too long once @LIB@ is expanded", launch);
            used += (size_t)n;
            src = at ? at + 5 : src + chunk;
        }
        expanded[used] = '\0';
        jargv[ja++] = strdup(expanded);
    }
    fclose(f);
    const char *java_override = getenv("JRUN_JAVA");
    if (java_override && *java_override)
        jargv[0] = (char *)java_override;
    if (!ja)
        die("%s: no java binary on its first line", launch);
    for (int i = 1; i < argc; i++)
        jargv[ja++] = argv[i];
    jargv[ja] = NULL;

    setup_signals(&m);
    if (pipe2(to_java, O_CLOEXEC) < 0 || pipe2(from_java, O_CLOEXEC) < 0)
        die("pipe: %s", strerror(errno));
    /* out of the way of the fds the caller asks us to preserve (3, 4, ...) */
    for (int k = 0; k < 2; k++) {
        int *p = k ? from_java : to_java;
        for (int e = 0; e < 2; e++) {
            int hi = fcntl(p[e], F_DUPFD_CLOEXEC, 256);
            if (hi < 0)
                die("fcntl: %s", strerror(errno));
            close(p[e]);
            p[e] = hi;
        }
    }
    m.jvm = fork();
    if (m.jvm < 0)
        die("fork: %s", strerror(errno));
    if (m.jvm == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (dup2(to_java[0], JAVA_IN_FD) < 0 || dup2(from_java[1], JAVA_OUT_FD) < 0)
            _exit(126);
        syscall(SYS_close_range, JAVA_OUT_FD + 1, ~0U, 0); /* the JVM keeps none of the caller's fds */
        *slash = '\0';
        snprintf(line, sizeof(line), "%s/jrun", self);
        setenv("JRUN_LAUNCHER", line, 1);
        setenv("JRUN_CONTROL_FDS", "3,4", 1);
        /* Java's paths are text in the locale's charset: in C/POSIX a UTF-8 path could not even be named */
        setenv("LC_ALL", "C.UTF-8", 1);
        execv(jargv[0], jargv);
        fprintf(stderr, "jrun: exec %s: %s\n", jargv[0], strerror(errno));
        _exit(126);
    }
    close(to_java[0]);
    close(from_java[1]);
    m.ctl_in = from_java[0];
    m.ctl_out = to_java[1];

    size_t len;
    unsigned char *plan = NULL;
    /* Wait for either a plan or the JVM's end, forwarding signals meanwhile. */
    for (;;) {
        struct pollfd p[2] = { { m.sigfd, POLLIN, 0 }, { m.ctl_in, POLLIN, 0 } };
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            die("poll: %s", strerror(errno));
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(m.sigfd, &si, sizeof(si)) == sizeof(si)) {
                if ((int)si.ssi_signo == SIGCHLD)
                    reap(&m);
                else
                    forward(&m, (int)si.ssi_signo);
            }
        }
        if (p[1].revents) {
            plan = read_plan(m.ctl_in, &len);
            break;
        }
    }
    if (plan) {
        run_monitor(&m, plan, len);
        supervise(&m);
        drain_master(&m);
        /* Java still finishes its side (state, cleanup): drain until it is done or gone. */
        while (read_control(&m) == 0)
            ;
        /* Done: what jrun run returns is the container's status; the JVM ends on its own. */
        if (m.done && m.init < 0)
            return WIFSIGNALED(m.init_status) ? 128 + WTERMSIG(m.init_status) : WEXITSTATUS(m.init_status);
    }
    kill_init_and_wait(&m);
    while (m.jvm > 0) {
        int status;
        pid_t p = waitpid(m.jvm, &status, 0);
        if (p == m.jvm) {
            m.jvm = 0;
            m.jvm_status = status;
        } else if (errno != EINTR) {
            break;
        }
    }
    if (WIFSIGNALED(m.jvm_status))
        return 128 + WTERMSIG(m.jvm_status);
    return WEXITSTATUS(m.jvm_status);
}

/* The library's way in: the plan and the control messages come over a unix socket. */
static int stage(const char *socket_path)
{
    struct monitor m = { .report_fd = -1, .start_fd = -1, .console_sock = -1, .master = -1, .devices_cg = -1,
                         .devices_prog = -1, .listener_sock = -1, .seccomp_ack = -1 };
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    size_t len;
    unsigned char *plan;

    if (strlen(socket_path) >= sizeof(addr.sun_path))
        die("connect %s: %s", socket_path, strerror(ENAMETOOLONG));
    strcpy(addr.sun_path, socket_path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        die("connect %s: %s", socket_path, strerror(errno));
    m.ctl_in = m.ctl_out = fd;
    setup_signals(&m);
    plan = read_plan(fd, &len);
    if (!plan)
        return 0;
    run_monitor(&m, plan, len);
    supervise(&m);
    drain_master(&m);
    while (read_control(&m) == 0)
        ;
    kill_init_and_wait(&m);
    return 0;
}

/* Sends sig to pid if pid is still the process that started at start (no pid reuse races). */
static int send_signal(const char *pid_s, const char *start_s, const char *sig_s)
{
    char path[64], buf[1024], *p;
    int pid = atoi(pid_s), sig = atoi(sig_s), pidfd, fd;
    ssize_t n;
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        die("pidfd_open %d: %s", pid, strerror(errno));
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        die("read %s: %s", path, strerror(errno));
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the command may hold spaces and parentheses */
    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    if (!p || strtoull(p + 1, NULL, 10) != strtoull(start_s, NULL, 10))
        die("kill %d: %s", pid, strerror(ESRCH));
    if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
        die("kill %d: %s", pid, strerror(errno));
    return 0;
}

/* `jrun update`'s device rules: the program on stdin replaces those jrun attached to the cgroup dir. */
static int cgroup_devices(const char *dir)
{
    static uint64_t words[65536];
    static unsigned char buf[sizeof(words) + 1];
    char detail[200];
    size_t len = 0;
    ssize_t n;
    const char *op = "bpf(BPF_PROG_LOAD)";
    while (len < sizeof(buf) && ((n = read(STDIN_FILENO, buf + len, sizeof(buf) - len)) > 0 || (n < 0 && errno == EINTR)))
        len += n > 0 ? (size_t)n : 0;
    if (len == 0 || len % 8 || len > sizeof(words))
        die("%s for %s: %zu bytes on stdin: not a program of 8-byte instructions", op, dir, len);
    for (size_t i = 0; i < len / 8; i++) {
        uint64_t v = 0;
        for (int b = 7; b >= 0; b--)
            v = v << 8 | buf[i * 8 + (size_t)b];
        words[i] = v;
    }
    int cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg < 0)
        die("open %s: %s", dir, strerror(errno));
    int prog = cgdev_load(words, len / 8, detail, sizeof(detail));
    if (prog < 0)
        die("%s for %s: %s%s%s", op, dir, strerror(-prog), detail[0] ? ": " : "", detail);
    int r = cgdev_replace(cg, prog, &op);
    if (r < 0)
        die("%s for %s: %s", op, dir, strerror(-r));
    return 0;
}

#define STAGE_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/*
 * CVE-2019-5736 and its kin: a container process that gets hold of the binary a runtime process
 * runs (through /proc/PID/exe of a process that entered its namespaces, or by having the runtime
 * execute a "#!/proc/self/exe" script inside the container) can reopen it for writing once that
 * process is gone, and so replace jrun on the host.  So the launcher and the stage never run from
 * the file on disk: they copy it into a sealed memfd and re-execute from there.  /proc/self/exe of
 * every process that could be seen from a container is that copy, which nobody can write.
 * The original path travels in JRUN_STAGE_PATH (the front-end finds lib/ beside it).
 */
static void run_from_sealed_copy(char **argv)
{
    char path[PATH_MAX];
    struct stat st;
    int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (self < 0)
        die("open /proc/self/exe: %s", strerror(errno));
    int seals = fcntl(self, F_GET_SEALS);
    if (seals >= 0 && (seals & STAGE_SEALS) == STAGE_SEALS) {
        close(self);
        return; /* already the sealed copy */
    }
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    if (n < 0)
        die("readlink /proc/self/exe: %s", strerror(errno));
    path[n] = '\0';
    int copy = memfd_create("jrun-stage", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (copy < 0)
        die("memfd_create jrun-stage (a sealed copy of %s): %s", path, strerror(errno));
    if (fstat(self, &st) < 0)
        die("stat %s: %s", path, strerror(errno));
    for (off_t left = st.st_size; left > 0;) {
        ssize_t k = sendfile(copy, self, NULL, (size_t)left);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            die("copy %s into a memfd: %s", path, k < 0 ? strerror(errno) : "short file");
        left -= k;
    }
    if (fcntl(copy, F_ADD_SEALS, STAGE_SEALS) < 0)
        die("seal the memfd copy of %s: %s", path, strerror(errno));
    close(self);
    setenv("JRUN_STAGE_PATH", path, 1);
    fexecve(copy, argv, environ);
    die("fexecve the sealed copy of %s: %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
    /* natives: state, start, kill, delete, list, ps, pause, resume from the container's records, no JVM */
    int native_status = natives_main(argc, argv);
    if (native_status != NATIVE_FALLBACK)
        return native_status;
    if (argc == 5 && !strcmp(argv[1], "--signal"))
        return send_signal(argv[2], argv[3], argv[4]);
    run_from_sealed_copy(argv);
    const char *original = getenv("JRUN_STAGE_PATH");
    if (!original || snprintf(stage_path, sizeof(stage_path), "%s", original) >= (int)sizeof(stage_path))
        die("JRUN_STAGE_PATH: not set or too long");
    unsetenv("JRUN_STAGE_PATH"); /* nothing we start needs it */
    if (argc == 3 && !strcmp(argv[1], "--cgroup-devices"))
        return cgroup_devices(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "--stage"))
        return stage(argv[2]);
    return front_end(argc, argv);
}
