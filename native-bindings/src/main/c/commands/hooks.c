/* natives: poststart and poststop hooks on the host, as Java's HookRunner.runWarning runs them. */
#define _GNU_SOURCE
#include "commands/records.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

int hooks_runnable(const struct records *r, uint64_t kind)
{
    for (int i = 0; i < r->nhooks; i++)
        if (r->hook[i].kind == kind && r->hook[i].argv[0][0] != '/')
            return -1; /* Java's ProcessBuilder looks a bare name up in PATH */
    return 0;
}

static const char *kind_name(uint64_t kind)
{
    return kind == 2 ? "poststart" : "poststop";
}

/* One hook: its argv and environment, stdin the state, stdout discarded, stderr ours; waits up to its timeout. */
static void run_one(const struct rec_hook *h, const char *state)
{
    int in[2], report[2], err = 0;
    const char *path = h->argv[0];
    if (pipe2(in, O_CLOEXEC) || pipe2(report, O_CLOEXEC)) {
        dprintf(STDERR_FILENO, "jrun: warning: %s hook %s: pipe: %s\n", kind_name(h->kind), path, strerror(errno));
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (dup2(in[0], 0) < 0 || null < 0 || dup2(null, 1) < 0)
            _exit(127);
        syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
        signal(SIGPIPE, SIG_DFL); /* ignored below for an earlier hook's stdin: not the hook's to inherit */
        execve(path, (char *const *)h->argv, (char *const *)h->envp);
        int e = errno;
        if (write(report[1], &e, sizeof(e)) < 0)
            _exit(127);
        _exit(127);
    }
    close(in[0]);
    close(report[1]);
    if (pid < 0) {
        close(in[1]);
        close(report[0]);
        dprintf(STDERR_FILENO, "jrun: warning: %s hook %s: fork: %s\n", kind_name(h->kind), path, strerror(errno));
        return;
    }
    ssize_t n = read(report[0], &err, sizeof(err));
    close(report[0]);
    if (n == (ssize_t)sizeof(err)) { /* as Java's IOException from ProcessBuilder.start says it */
        close(in[1]);
        waitpid(pid, NULL, 0);
        dprintf(STDERR_FILENO, "jrun: warning: %s hook %s: Cannot run program \"%s\": error=%d, %s\n",
                kind_name(h->kind), path, path, err, strerror(err));
        return;
    }
    signal(SIGPIPE, SIG_IGN); /* a hook may not read its stdin */
    write_all_fd(in[1], state, strlen(state));
    close(in[1]);
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), status = 0;
    struct pollfd p = { pidfd, POLLIN, 0 };
    long long left = (long long)h->timeout * 1000;
    int done = 0;
    while (pidfd >= 0 && left > 0) {
        int chunk = left > 1000000 ? 1000000 : (int)left;
        int k = poll(&p, 1, chunk);
        if (k > 0) {
            done = 1;
            break;
        }
        if (k == 0)
            left -= chunk;
        else if (errno != EINTR)
            break;
    }
    if (pidfd >= 0)
        close(pidfd);
    if (!done && pidfd >= 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        dprintf(STDERR_FILENO, "jrun: warning: %s hook %s: timed out after %s s\n", kind_name(h->kind), path,
                h->timeout_text);
        return;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    /* Java's Process.exitValue: the status, or 0x80 + the signal */
    int code = WIFSIGNALED(status) ? 0x80 + WTERMSIG(status) : WEXITSTATUS(status);
    if (code != 0)
        dprintf(STDERR_FILENO, "jrun: warning: %s hook %s: exited with status %d\n", kind_name(h->kind), path, code);
}

void run_hooks(const struct records *r, uint64_t kind, const char *state)
{
    for (int i = 0; i < r->nhooks; i++)
        if (r->hook[i].kind == kind)
            run_one(&r->hook[i], state);
}
