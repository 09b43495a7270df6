/* The monitor loop: the init's reports, the control lines to and from Java, signals, the pty. */
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

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

/* The user's terminal, put in raw mode while a container's pty is copied to it; restored at exit. */
static struct termios saved_termios;
static int termios_saved;

static void restore_terminal(void)
{
    if (termios_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
    termios_saved = 0;
}

void say(struct monitor *m, const char *fmt, ...)
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

void say_error(struct monitor *m, uint32_t step, int err, const char *detail)
{
    char clean[256];
    size_t i = 0;
    for (; detail && detail[i] && i < sizeof(clean) - 1; i++)
        clean[i] = (detail[i] == '\n') ? ' ' : detail[i];
    clean[i] = '\0';
    say(m, EVENT_ERROR, step, err, clean);
}

/* Reads "PLAN" u32 length, then the plan itself. Returns NULL on EOF before any byte. */
unsigned char *read_plan(int fd, size_t *len)
{
    unsigned char hdr[8];
    unsigned char *buf;
    ssize_t n;
    do
        n = read(fd, hdr, 1);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return NULL;
    if (n < 0 || read_all(fd, hdr + 1, 7) || memcmp(hdr, PLAN_FRAME, 4))
        die("read plan: malformed control message");
    *len = (size_t)hdr[4] | ((size_t)hdr[5] << 8) | ((size_t)hdr[6] << 16) | ((size_t)hdr[7] << 24);
    if (*len > PLAN_MAX_BYTES)
        die("read plan: %zu bytes is more than the %u allowed", *len, PLAN_MAX_BYTES);
    buf = malloc(*len ? *len : 1);
    if (!buf || read_all(fd, buf, *len))
        die("read plan: %s", buf ? "channel closed" : strerror(ENOMEM));
    return buf;
}

void setup_signals(struct monitor *m)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGWINCH);
    /* a signal ignored when jrun started (SIGINT of a background job, SIGHUP under nohup) would be dropped
       before the signalfd sees it: jrun forwards them all, as runc does, and its JVM and container start
       with the defaults */
    for (size_t i = 0; i < NFORWARDED; i++) {
        sigaddset(&set, forwarded[i]);
        signal(forwarded[i], SIG_DFL);
    }
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        die("sigprocmask: %s", strerror(errno));
    m->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (m->sigfd < 0)
        die("signalfd: %s", strerror(errno));
    signal(SIGPIPE, SIG_IGN);
}

void forward(struct monitor *m, int sig)
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
int reap(struct monitor *m)
{
    int status, init_done = 0;
    pid_t p;
    if (m->outlives && m->init > 0) {
        siginfo_t si = { 0 };
        if (waitid(P_PID, (id_t)m->init, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == m->init) {
            while (m->report_fd >= 0)
                read_report(m, 1);
            status = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : si.si_status & 0x7f;
            say(m, EVENT_EXITED, status);
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
            say(m, EVENT_EXITED, status);
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

void kill_init_and_wait(struct monitor *m)
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
    if (!strcmp(line, CONTROL_START)) {
        if (m->start_fd >= 0) {
            write_all(m->start_fd, "G", 1);
            close(m->start_fd);
            m->start_fd = -1;
        }
    } else if (!strcmp(line, CONTROL_RESUME)) {
        if (m->start_fd >= 0)
            write_all(m->start_fd, "R", 1);
    } else if (!strcmp(line, CONTROL_DONE)) {
        m->done = 1;
    } else if (!strcmp(line, CONTROL_DETACH)) {
        m->detached = 1;
        m->init = -1; /* no longer ours to wait for or kill */
    } else if (m->detached && sscanf(line, CONTROL_EXIT, &sig) == 1) {
        m->java_exit = sig & 0xff;
    } else if (sscanf(line, CONTROL_KILL, &sig) == 1) {
        if (m->init > 0)
            kill(m->init, sig);
    }
}

/* Returns -1 when the controller has gone away or is done. */
int read_control(struct monitor *m)
{
    char buf[256];
    ssize_t n = read(m->ctl_in, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
        return 0;
    if (n <= 0) {
        m->ctl_eof = 1;
        return -1;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            m->line[m->line_len] = '\0';
            handle_line(m, m->line);
            m->line_len = 0;
        } else if (m->line_len < sizeof(m->line) - 1) {
            m->line[m->line_len++] = buf[i];
        }
    }
    /* the lines after "detach" in the same read ("exit N") are handled too */
    return m->done || m->detached ? -1 : 0;
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
        say(m, EVENT_PAUSED, msg.step, (int)m->init);
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
        say(m, EVENT_CREATED, (int)m->init);
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
        say(m, EVENT_STARTED); /* the pipe is close-on-exec: EOF after "about to exec" means execve succeeded */
    }
    close(m->report_fd);
    m->report_fd = -1;
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
void drain_master(struct monitor *m)
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
void supervise(struct monitor *m)
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

/* The library's way in: the plan and the control messages come over a unix socket. */
int stage(const char *socket_path)
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
