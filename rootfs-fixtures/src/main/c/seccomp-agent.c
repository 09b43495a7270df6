/*
 * seccomp-agent SOCKET STATEFILE errno N | value N
 *
 * A seccomp notify listener for tests (host side, like recvtty): listens on the unix socket
 * SOCKET, takes one connection from the runtime, receives the container process state JSON
 * with the notify fd (SCM_RIGHTS) in the same message, writes the JSON to STATEFILE, then
 * answers every notification: "errno N" makes the syscall fail with N, "value N" makes it
 * return N without running it.  Each notification is logged on stdout as "NR PID".  Ends when
 * no process is left under the filter.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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

static void die(const char *what)
{
    fprintf(stderr, "seccomp-agent: %s: %s\n", what, strerror(errno));
    exit(1);
}

int main(int argc, char **argv)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    static char state[1 << 16];
    size_t len = 0;
    int fd = -1;

    if (argc != 5 || (strcmp(argv[3], "errno") && strcmp(argv[3], "value"))) {
        fprintf(stderr, "usage: seccomp-agent SOCKET STATEFILE errno N | value N\n");
        return 2;
    }
    int by_errno = !strcmp(argv[3], "errno");
    long n = strtol(argv[4], NULL, 10);
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (strlen(argv[1]) >= sizeof(addr.sun_path))
        return 2;
    strcpy(addr.sun_path, argv[1]);
    if (ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(ls, 1) < 0)
        die("listen");
    fprintf(stderr, "listening\n");
    int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0)
        die("accept");
    /* the fd comes with the first bytes; the rest of the JSON may follow until the runtime closes */
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
        if (r == 0)
            break;
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
            memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        len += (size_t)r;
    }
    close(c);
    close(ls);
    unlink(argv[1]);
    /* whole or not at all: a test may look for it as soon as the container is created */
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0 || write(out, state, len) != (ssize_t)len || close(out) < 0 || rename(tmp, argv[2]) < 0)
        die("write state");
    if (fd < 0) {
        fprintf(stderr, "seccomp-agent: no fd came with the state\n");
        return 1;
    }
    fprintf(stderr, "received the notify fd\n");
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
        printf("%d %u\n", req.data.nr, req.pid);
        fflush(stdout);
        struct notif_resp resp = { .id = req.id, .val = by_errno ? 0 : n, .error = by_errno ? (int32_t)-n : 0 };
        /* ENOENT: the process went away (killed) before its answer */
        if (ioctl(fd, NOTIF_SEND, &resp) < 0 && errno != ENOENT)
            die("SECCOMP_IOCTL_NOTIF_SEND");
    }
    return 0;
}
