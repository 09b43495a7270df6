/*
 * A small static probe for jrun's tests, run inside containers.
 *   probe ids        prints "uid=U gid=G groups=A,B" (real ids and supplementary groups)
 *   probe signals    prints "ready", then on SIGINT/TERM/HUP/QUIT/USR1/USR2 prints
 *                    "signal N" and exits with status 100+N (it works as pid 1 too)
 *   probe raw-socket prints "ok" if a raw IPv4 socket opens (CAP_NET_RAW), else the errno's name
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_signal(int sig) { got = sig; }

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "ids")) {
        gid_t groups[256];
        int n = getgroups(256, groups);
        printf("uid=%u gid=%u groups=", (unsigned)getuid(), (unsigned)getgid());
        for (int i = 0; i < n; i++)
            printf("%s%u", i ? "," : "", (unsigned)groups[i]);
        printf("\n");
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "signals")) {
        int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
        for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
            signal(sigs[i], on_signal);
        printf("ready\n");
        fflush(stdout);
        while (!got)
            pause();
        printf("signal %d\n", (int)got);
        fflush(stdout);
        return 100 + got;
    }
    if (argc > 1 && !strcmp(argv[1], "raw-socket")) {
        int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
        printf("%s\n", fd >= 0 ? "ok" : errno == EPERM ? "EPERM" : errno == EACCES ? "EACCES" : "other");
        return 0;
    }
    fprintf(stderr, "usage: probe ids|signals|raw-socket\n");
    return 2;
}
