/* jrun --signal PID START SIG */
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

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* Sends sig to pid if pid is still the process that started at start (no pid reuse races). */
int send_signal(const char *pid_s, const char *start_s, const char *sig_s)
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
