/* jrun --cgroup-devices DIR */
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

/* `jrun update`'s device rules: the program on stdin replaces those jrun attached to the cgroup dir. */
int cgroup_devices(const char *dir)
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
