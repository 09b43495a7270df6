/*
 * natives: `ps [--format table|json] ID [ps options]`, as Java's ps command: the pids of the
 * container's cgroup as a JSON array, or the host's ps(1) (default -ef) filtered to them.
 */
#define _GNU_SOURCE
#include "commands/records.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Character.isWhitespace for the bytes ps prints. */
static int white(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* Field number col (0-based) of line[0..len), or NULL; its length in *n. */
static const char *field(const char *line, size_t len, int col, size_t *n)
{
    size_t i = 0;
    for (int f = 0;; f++) {
        while (i < len && white(line[i]))
            i++;
        if (i >= len)
            return NULL;
        size_t s = i;
        while (i < len && !white(line[i]))
            i++;
        if (f == col) {
            *n = i - s;
            return line + s;
        }
    }
}

/* ps(1) with args, stdin /dev/null, stdout and stderr together, in the JVM's locale; NULL unless it exits 0. */
static char *run_ps(char **args, int nargs, size_t *len)
{
    int out[2];
    if (pipe2(out, O_CLOEXEC))
        return NULL;
    char **argv = calloc((size_t)nargs + 2, sizeof(char *));
    if (!argv)
        return NULL;
    argv[0] = "ps";
    for (int i = 0; i < nargs; i++)
        argv[i + 1] = args[i];
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
            _exit(127);
        /* as Java's ProcessBuilder: ps(1) gets stdio only, none of the caller's fds */
        syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
        setenv("LC_ALL", "C.UTF-8", 1); /* as the launcher starts the JVM, which runs ps */
        execvp("ps", argv);
        _exit(127);
    }
    free(argv);
    close(out[1]);
    if (pid < 0) {
        close(out[0]);
        return NULL;
    }
    size_t cap = 65536, used = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (buf && used + 1 >= cap)
            buf = realloc(buf, cap *= 2);
        if (!buf)
            break;
        ssize_t n = read(out[0], buf + used, cap - used - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    close(out[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!buf || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        free(buf);
        return NULL; /* Java runs it again and says why */
    }
    buf[used] = '\0';
    *len = used;
    return buf;
}

static int table(long *pids, int npids, char **args, int nargs)
{
    static char *ef[] = { "-ef" };
    size_t len;
    if (nargs > 0 && !strcmp(args[0], "--")) { /* ID -- OPTIONS: runc hands "--" to ps, which refuses it */
        args++;
        nargs--;
    }
    if (nargs == 0) {
        args = ef;
        nargs = 1;
    }
    char *ps = run_ps(args, nargs, &len);
    if (!ps)
        return NATIVE_FALLBACK;
    /* Java's split("\n"): trailing empty lines dropped */
    while (len > 0 && ps[len - 1] == '\n')
        len--;
    char *end = ps + len, *nl = memchr(ps, '\n', len);
    size_t hlen = nl ? (size_t)(nl - ps) : len;
    int col = -1;
    for (int f = 0;; f++) {
        size_t n;
        const char *w = field(ps, hlen, f, &n);
        if (!w)
            break;
        if (n == 3 && !memcmp(w, "PID", 3)) {
            col = f;
            break;
        }
    }
    if (col < 0) {
        free(ps);
        return NATIVE_FALLBACK;
    }
    char *out = malloc(len + 2);
    size_t o = 0;
    if (!out) {
        free(ps);
        return NATIVE_FALLBACK;
    }
    memcpy(out, ps, hlen);
    o = hlen;
    out[o++] = '\n';
    for (char *line = nl ? nl + 1 : end; line < end;) {
        char *next = memchr(line, '\n', (size_t)(end - line));
        size_t llen = next ? (size_t)(next - line) : (size_t)(end - line);
        size_t n;
        const char *w = field(line, llen, 0, &n);
        if (w) {
            w = field(line, llen, col, &n);
            char num[24], *stop;
            if (!w || n == 0 || n >= sizeof(num)) {
                free(ps);
                free(out);
                return NATIVE_FALLBACK; /* Java says it cannot parse the pid */
            }
            memcpy(num, w, n);
            num[n] = '\0';
            long pid = strtol(num, &stop, 10);
            if (*stop || (num[0] != '-' && (num[0] < '0' || num[0] > '9'))) {
                free(ps);
                free(out);
                return NATIVE_FALLBACK;
            }
            for (int i = 0; i < npids; i++) {
                if (pids[i] == pid) {
                    memcpy(out + o, line, llen);
                    o += llen;
                    out[o++] = '\n';
                    break;
                }
            }
        }
        line = next ? next + 1 : end;
    }
    int rc = write_all_fd(STDOUT_FILENO, out, o) ? 1 : 0;
    free(ps);
    free(out);
    return rc;
}

int cmd_ps(const struct natives_global *g, int argc, char **argv)
{
    static long pids[65536];
    struct records r;
    int json = 0, i = 0;
    /* flags stop at the id: what follows goes to ps(1) */
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *v = NULL;
        if ((!strcmp(argv[i], "--format") || !strcmp(argv[i], "-f") || !strcmp(argv[i], "-format")) && i + 1 < argc)
            v = argv[++i];
        else if (!strncmp(argv[i], "--format=", 9))
            v = argv[i] + 9;
        else if (!strncmp(argv[i], "-format=", 8))
            v = argv[i] + 8;
        else if (!strncmp(argv[i], "-f=", 3))
            v = argv[i] + 3;
        if (!v || (strcmp(v, "json") && strcmp(v, "table")))
            return NATIVE_FALLBACK;
        json = !strcmp(v, "json");
    }
    if (i >= argc || rec_load(g->root, argv[i], &r))
        return NATIVE_FALLBACK;
    if (!r.has_cgroup) {
        rec_free(&r);
        return NATIVE_FALLBACK;
    }
    int n = cg_pids(&r, pids, (int)(sizeof(pids) / sizeof(pids[0])));
    rec_free(&r);
    if (!json)
        return table(pids, n, argv + i + 1, argc - i - 1);
    if (argc - i - 1 > 0)
        return NATIVE_FALLBACK; /* ps options with json: Java's to judge */
    size_t cap = 4 + (size_t)n * 22, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NATIVE_FALLBACK;
    out[len++] = '[';
    for (int k = 0; k < n; k++)
        len += (size_t)snprintf(out + len, cap - len, "%s%ld", k ? "," : "", pids[k]);
    len += (size_t)snprintf(out + len, cap - len, "]\n");
    int rc = write_all_fd(STDOUT_FILENO, out, len) ? 1 : 0;
    free(out);
    return rc;
}
