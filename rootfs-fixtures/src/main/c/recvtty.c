/*
 * recvtty SOCKET: a console-socket receiver for jrun's tests (runc's clients, conmon and
 * the containerd shim, do the same): listens on SOCKET, receives one pty master over
 * SCM_RIGHTS, prints the name sent with it on stderr, then copies the pty's output to
 * stdout until the container closes it.  Runs on the host, not in a container.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    char name[128] = { 0 }, buf[4096];
    struct iovec iov = { name, sizeof(name) - 1 };
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
    int srv, conn, master;
    ssize_t n;

    if (argc != 2 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "usage: recvtty SOCKET\n");
        return 2;
    }
    strcpy(addr.sun_path, argv[1]);
    srv = socket(AF_UNIX, SOCK_STREAM, 0);
    if (srv < 0 || bind(srv, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(srv, 1) < 0) {
        perror("recvtty: listen");
        return 1;
    }
    fprintf(stderr, "listening\n");
    conn = accept(srv, NULL, NULL);
    if (conn < 0 || recvmsg(conn, &msg, 0) < 0 || !CMSG_FIRSTHDR(&msg)) {
        perror("recvtty: receive");
        return 1;
    }
    memcpy(&master, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
    fprintf(stderr, "received %s\n", name);
    while ((n = read(master, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
        if (n > 0 && write(STDOUT_FILENO, buf, (size_t)n) < 0)
            break;
    unlink(argv[1]);
    return 0;
}
