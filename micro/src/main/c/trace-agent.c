/*
 * jrun-trace-agent SOCKET OUTFILE
 *
 * The seccomp notify listener of `jrun micro --trace`: listens on the unix socket SOCKET, takes
 * one connection from jrun's monitor (the container process state JSON with the notify fd as
 * SCM_RIGHTS), then, for every notified call of the open/exec/stat/access/readlink family,
 * reads the path argument from /proc/PID/mem, makes it absolute (a relative path against the
 * dirfd's /proc/PID/fd/N or the cwd's /proc/PID/cwd), drops it when the notification is no
 * longer valid (the memory read may have raced with the caller's exit or a reused pid), writes
 * "SYSCALL<TAB>PATH<NUL>" to OUTFILE (a path may hold a newline; only NUL ends it) and lets the call go on (SECCOMP_USER_NOTIF_FLAG_CONTINUE):
 * the kernel runs it as if there were no filter, so calls that fail with ENOENT are recorded too.
 * Ends when no process is left under the filter.
 *
 * C rather than Java over jnr-ffi: the answer is on the path of every file the workload touches
 * (a Python start is thousands of calls), a static binary answers each in microseconds without
 * a JIT or a JNI transition, and it is the same kind of small static program as the stage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

/* <linux/seccomp.h>, which musl's headers lack */
struct notif_data {
    int nr;
    uint32_t arch;
    uint64_t instruction_pointer;
    uint64_t args[6];
};
struct notif {
    uint64_t id;
    uint32_t pid;
    uint32_t flags;
    struct notif_data data;
};
struct notif_resp {
    uint64_t id;
    int64_t val;
    int32_t error;
    uint32_t flags;
};
#define NOTIF_RECV _IOWR('!', 0, struct notif)
#define NOTIF_SEND _IOWR('!', 1, struct notif_resp)
#define NOTIF_ID_VALID _IOW('!', 2, uint64_t)
#define FLAG_CONTINUE 1

/* which argument holds the dirfd (-1: none, relative to the cwd) and which the path */
struct call {
    long nr;
    const char *name;
    int dirfd_arg;
    int path_arg;
};

static const struct call calls[] = {
#ifdef SYS_open
    { SYS_open, "open", -1, 0 },
#endif
#ifdef SYS_creat
    { SYS_creat, "creat", -1, 0 },
#endif
    { SYS_openat, "openat", 0, 1 },
#ifdef SYS_openat2
    { SYS_openat2, "openat2", 0, 1 },
#endif
    { SYS_execve, "execve", -1, 0 },
#ifdef SYS_execveat
    { SYS_execveat, "execveat", 0, 1 },
#endif
#ifdef SYS_stat
    { SYS_stat, "stat", -1, 0 },
#endif
#ifdef SYS_lstat
    { SYS_lstat, "lstat", -1, 0 },
#endif
#ifdef SYS_newfstatat
    { SYS_newfstatat, "newfstatat", 0, 1 },
#endif
#ifdef SYS_fstatat64
    { SYS_fstatat64, "fstatat64", 0, 1 },
#endif
#ifdef SYS_statx
    { SYS_statx, "statx", 0, 1 },
#endif
#ifdef SYS_access
    { SYS_access, "access", -1, 0 },
#endif
    { SYS_faccessat, "faccessat", 0, 1 },
#ifdef SYS_faccessat2
    { SYS_faccessat2, "faccessat2", 0, 1 },
#endif
#ifdef SYS_readlink
    { SYS_readlink, "readlink", -1, 0 },
#endif
    { SYS_readlinkat, "readlinkat", 0, 1 },
    { SYS_chdir, "chdir", -1, 0 },
};

static void die(const char *what)
{
    fprintf(stderr, "jrun-trace-agent: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* the NUL-terminated string at addr in pid's memory; 0 when it cannot be read */
static int read_string(uint32_t pid, uint64_t addr, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%u/mem", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t have = 0;
    while (have < size - 1) {
        /* read up to the end of the page: the next one may be unmapped */
        size_t chunk = 4096 - ((addr + have) & 4095);
        if (chunk > size - 1 - have)
            chunk = size - 1 - have;
        ssize_t r = pread(fd, buf + have, chunk, (off_t)(addr + have));
        if (r <= 0)
            break;
        if (memchr(buf + have, 0, (size_t)r)) {
            close(fd);
            return 1;
        }
        have += (size_t)r;
    }
    close(fd);
    return 0;
}

static int link_of(uint32_t pid, const char *what, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%u/%s", pid, what);
    ssize_t n = readlink(path, buf, size - 1);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    return buf[0] == '/';
}

int main(int argc, char **argv)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    static char state[1 << 16];
    size_t len = 0;
    int fd = -1;

    if (argc != 3) {
        fprintf(stderr, "usage: jrun-trace-agent SOCKET OUTFILE\n");
        return 2;
    }
    if (strlen(argv[1]) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "jrun-trace-agent: socket path too long: %s\n", argv[1]);
        return 2;
    }
    FILE *out = fopen(argv[2], "we");
    if (!out)
        die(argv[2]);
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    strcpy(addr.sun_path, argv[1]);
    if (ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(ls, 1) < 0)
        die(argv[1]);
    fprintf(stderr, "listening\n");
    int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0)
        die("accept");
    for (;;) {
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } ctl;
        struct iovec iov = { state + len, sizeof(state) - 1 - len };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
        ssize_t r = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die("recvmsg");
        if (r == 0 || len + (size_t)r >= sizeof(state) - 1)
            break;
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
            memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        len += (size_t)r;
    }
    close(c);
    close(ls);
    unlink(argv[1]);
    if (fd < 0) {
        fprintf(stderr, "jrun-trace-agent: no fd came with the state\n");
        return 1;
    }
    static char arg[PATH_MAX], base[PATH_MAX];
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        if (!(p.revents & POLLIN))
            break; /* POLLHUP: no process is left under the filter */
        struct notif req;
        memset(&req, 0, sizeof(req));
        if (ioctl(fd, NOTIF_RECV, &req) < 0) {
            if (errno == EINTR || errno == ENOENT)
                continue;
            die("SECCOMP_IOCTL_NOTIF_RECV");
        }
        const struct call *call = NULL;
        for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
            if (calls[i].nr == req.data.nr)
                call = &calls[i];
        if (call && read_string(req.pid, req.data.args[call->path_arg], arg, sizeof(arg)) && arg[0]) {
            int have_base = 1;
            if (arg[0] != '/') {
                int dirfd = call->dirfd_arg < 0 ? AT_FDCWD : (int)req.data.args[call->dirfd_arg];
                if (dirfd == AT_FDCWD) {
                    have_base = link_of(req.pid, "cwd", base, sizeof(base));
                } else {
                    char what[32];
                    snprintf(what, sizeof(what), "fd/%d", dirfd);
                    have_base = link_of(req.pid, what, base, sizeof(base));
                }
            }
            /* valid still: the path read is the caller's, not a reused pid's */
            if (have_base && ioctl(fd, NOTIF_ID_VALID, &req.id) == 0) {
                if (arg[0] == '/')
                    fprintf(out, "%s\t%s%c", call->name, arg, 0);
                else
                    fprintf(out, "%s\t%s/%s%c", call->name, strcmp(base, "/") ? base : "", arg, 0);
            }
        }
        struct notif_resp resp = { .id = req.id, .val = 0, .error = 0, .flags = FLAG_CONTINUE };
        /* ENOENT: the caller went away (killed) before its answer */
        if (ioctl(fd, NOTIF_SEND, &resp) < 0 && errno != ENOENT)
            die("SECCOMP_IOCTL_NOTIF_SEND");
    }
    if (fclose(out) != 0)
        die(argv[2]);
    return 0;
}
