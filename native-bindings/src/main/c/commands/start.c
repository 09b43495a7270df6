/* natives: `start ID`: records "running" as Java would, then opens the exec fifo the init waits on. */
#define _GNU_SOURCE
#include "commands/records.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* StateDir.writeAtomically: state.json.tmp renamed over state.json. */
static int write_state(const struct records *r, int started)
{
    char tmp[PATH_MAX + 32], target[PATH_MAX + 32];
    snprintf(tmp, sizeof(tmp), "%s/state.json.tmp", r->dir);
    snprintf(target, sizeof(target), "%s/state.json", r->dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return -1;
    int bad = write_all_fd(fd, r->state_text[started], r->state_len[started]);
    bad |= close(fd);
    if (bad || rename(tmp, target)) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int cmd_start(const struct natives_global *g, int argc, char **argv)
{
    struct records r;
    char fifo[PATH_MAX + 32];
    struct stat st;
    int lock;
    if (argc != 1 || argv[0][0] == '-' || !valid_id(argv[0]))
        return NATIVE_FALLBACK;
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof(dir), "%s/%s", g->root, argv[0]) >= (int)sizeof(dir) || rec_lock(dir, &lock))
        return NATIVE_FALLBACK;
    if (rec_load(g->root, argv[0], &r)) {
        rec_unlock(&lock);
        return NATIVE_FALLBACK;
    }
    r.lock_fd = lock;
    snprintf(fifo, sizeof(fifo), "%s/exec.fifo", r.dir);
    /* hooks, a status other than created, a missing fifo: Java runs or refuses it */
    if ((r.hooks & 1) || r.terminal || hooks_runnable(&r, 2) || rec_status(&r) != ST_CREATED || lstat(fifo, &st) || !S_ISFIFO(st.st_mode)
        || write_state(&r, 1)) {
        rec_free(&r);
        return NATIVE_FALLBACK;
    }
    int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    /* the init holds the fifo open by its own fd (child.c): its name can go while the init is let go */
    unlink(fifo);
    char b = 0;
    int got = 0;
    while (fd >= 0 && !got) {
        ssize_t n = read(fd, &b, 1);
        if (n == 1) {
            got = 1;
            break;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            break;
        if (!proc_alive(r.pid, r.start_time)) {
            got = read(fd, &b, 1) == 1;
            break;
        }
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, 5) > 0 && (p.revents & POLLHUP) && !(p.revents & POLLIN))
            usleep(1000); /* the writer came and went: the next read says what it left */
    }
    if (fd >= 0)
        close(fd);
    if (!got || b != '0') {
        write_state(&r, 0); /* the init ended: the status is asked of the kernel, "stopped" whatever this says */
        native_error(g, "start %s: the container's init %llu ended before start", argv[0],
                     (unsigned long long)r.pid);
        rec_free(&r);
        return 1;
    }
    run_hooks(&r, 2, r.oci_compact[ST_RUNNING]);
    rec_free(&r);
    return 0;
}
