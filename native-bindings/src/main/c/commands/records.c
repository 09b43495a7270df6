/* natives: reading a container's records (native.rec) and what the commands share. */
#define _GNU_SOURCE
#include "commands/records.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define REC_MAX_BYTES (1u << 20)

/* Reads a regular file (never a fifo or a symlink) of at most max bytes; NULL on any trouble. */
static char *read_small(const char *path, size_t max, size_t *len)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
        close(fd);
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size + 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(buf);
            buf = NULL;
            break;
        }
        if (n == 0)
            break;
        got += (size_t)n;
        if (got > (size_t)st.st_size) { /* grew meanwhile */
            free(buf);
            buf = NULL;
        }
    }
    close(fd);
    if (buf) {
        buf[got] = '\0';
        *len = got;
    }
    return buf;
}

static int is_u64(const struct plan_step *s, int i)
{
    return i < s->nargs && s->args[i].kind == ARG_U64;
}

static int is_str(const struct plan_step *s, int i)
{
    return i < s->nargs && s->args[i].kind == ARG_STR;
}

static int take_step(struct records *r, const struct plan_step *s)
{
    switch (s->op) {
    case OP_REC_CONTAINER:
        if (!is_str(s, 0) || !is_u64(s, 1) || !is_u64(s, 2))
            return -1;
        r->id = s->args[0].str;
        r->pid = s->args[1].num;
        r->start_time = s->args[2].num;
        return 0;
    case OP_REC_STATE_TEXT:
        if (!is_u64(s, 0) || s->args[0].num > 1 || !is_str(s, 1))
            return -1;
        r->state_text[s->args[0].num] = s->args[1].str;
        r->state_len[s->args[0].num] = s->args[1].len;
        return 0;
    case OP_REC_CGROUP_TEXT:
        if (!is_str(s, 0))
            return -1;
        r->cgroup_text = s->args[0].str;
        r->cgroup_len = s->args[0].len;
        r->has_cgroup = 1;
        return 0;
    case OP_REC_CGROUP:
        if (!is_u64(s, 0))
            return -1;
        r->v2 = s->args[0].num == 1;
        return 0;
    case OP_REC_CGROUP_DIR:
    case OP_REC_CGROUP_MADE: {
        int made = s->op == OP_REC_CGROUP_MADE;
        int *n = made ? &r->nmade : &r->ndirs;
        if (!is_str(s, 0) || *n >= REC_MAX_DIRS || s->args[0].str[0] != '/')
            return -1;
        (made ? r->made : r->dirs)[(*n)++] = s->args[0].str;
        return 0;
    }
    case OP_REC_OCI:
        if (!is_u64(s, 0) || s->args[0].num > 3 || !is_str(s, 1) || !is_str(s, 2))
            return -1;
        r->oci_pretty[s->args[0].num] = s->args[1].str;
        r->oci_compact[s->args[0].num] = s->args[2].str;
        return 0;
    case OP_REC_LIST_ROW:
        if (!is_str(s, 0) || !is_str(s, 1))
            return -1;
        r->bundle = s->args[0].str;
        r->created = s->args[1].str;
        return 0;
    case OP_REC_CONFIG:
        if (!is_u64(s, 0) || !is_u64(s, 1))
            return -1;
        r->config_len = s->args[0].num;
        r->config_hash = s->args[1].num;
        return 0;
    case OP_REC_TERMINAL:
        if (!is_u64(s, 0))
            return -1;
        r->terminal = s->args[0].num;
        return 0;
    case OP_REC_HOOKS:
        if (!is_u64(s, 0))
            return -1;
        r->hooks = s->args[0].num;
        return 0;
    case OP_REC_HOOK: {
        if (!is_u64(s, 0) || !is_u64(s, 1) || !is_str(s, 2) || !is_u64(s, 3) || !is_u64(s, 4)
            || (s->args[0].num != 2 && s->args[0].num != 4) || r->nhooks >= REC_MAX_HOOKS || s->args[3].num < 1
            || s->args[3].num + s->args[4].num != (uint64_t)s->nargs - 5)
            return -1;
        struct rec_hook *h = &r->hook[r->nhooks++];
        h->kind = s->args[0].num;
        h->timeout = s->args[1].num;
        h->timeout_text = s->args[2].str;
        h->argc = s->args[3].num;
        h->envc = s->args[4].num;
        h->argv = calloc(h->argc + 1, sizeof(char *));
        h->envp = calloc(h->envc + 1, sizeof(char *));
        if (!h->argv || !h->envp)
            return -1;
        for (uint64_t i = 0; i < h->argc + h->envc; i++) {
            if (!is_str(s, (int)(5 + i)))
                return -1;
            if (i < h->argc)
                h->argv[i] = s->args[5 + i].str;
            else
                h->envp[i - h->argc] = s->args[5 + i].str;
        }
        return 0;
    }
    default:
        return -1; /* an op this launcher does not know: records of another build */
    }
}

/* The file DIR/NAME holds exactly len bytes equal to text. */
static int file_is(const char *dir, const char *name, const char *text, size_t len)
{
    char path[PATH_MAX];
    size_t n;
    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
        return 0;
    char *b = read_small(path, REC_MAX_BYTES, &n);
    int same = b && n == len && !memcmp(b, text, len);
    free(b);
    return same;
}

/* path is a normalised absolute path with no component "." or ".." (Path.normalize() leaves it as is). */
static int normalised(const char *path)
{
    if (path[0] != '/' || strstr(path, "//") || path[strlen(path) - 1] == '/')
        return 0;
    for (const char *c = path; (c = strchr(c, '/')); c++)
        if ((c[1] == '.' && (c[2] == '/' || !c[2])) || (c[1] == '.' && c[2] == '.' && (c[3] == '/' || !c[3])))
            return 0;
    return 1;
}

/*
 * ContainerCgroup.checkRecorded, as Java checks what a state file names before anything in it is
 * signalled or removed: each directory strictly below a cgroup or cgroup2 mount of this mount
 * namespace (a hierarchy's root is never a container's), normalised, no symlink on the way down;
 * each one jrun made the container's or one of its parents.
 */
static int cgroups_recorded_ok(const struct records *r)
{
    char mounts[64][256];
    int nm = 0;
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[4096];
    if (!f)
        return 0;
    while (nm < 64 && fgets(line, sizeof(line), f)) {
        char *dash = strstr(line, " - "), *point = line;
        if (!dash || (strncmp(dash + 3, "cgroup ", 7) && strncmp(dash + 3, "cgroup2 ", 8)))
            continue;
        for (int field = 0; field < 4 && point; field++)
            point = strchr(point + 1, ' ');
        if (!point)
            continue;
        size_t n = strcspn(point + 1, " ");
        if (n == 0 || n >= sizeof(mounts[0]) || memchr(point + 1, '\\', n)) /* an escaped name: Java's then */
            continue;
        memcpy(mounts[nm], point + 1, n);
        mounts[nm++][n] = '\0';
    }
    fclose(f);
    /* each path on the way down is looked at once: the directories share their parents (jrun/, the
       caller's cgroup), and the made ones are among them */
    char *seen[256];
    int nseen = 0, ok = 1;
    for (int k = 0; k < r->ndirs + r->nmade && ok; k++) {
        const char *d = k < r->ndirs ? r->dirs[k] : r->made[k - r->ndirs];
        int below = 0;
        if (!normalised(d)) {
            ok = 0;
            break;
        }
        for (int i = 0; i < nm && !below; i++) {
            size_t n = strlen(mounts[i]);
            below = !strncmp(d, mounts[i], n) && d[n] == '/' && d[n + 1];
            for (size_t e = strlen(d); below && e > n; e--) { /* no symlink from the mount down */
                struct stat st;
                char part[PATH_MAX];
                int known = 0;
                if (d[e] != '/' && d[e])
                    continue;
                snprintf(part, sizeof(part), "%.*s", (int)e, d);
                for (int j = 0; j < nseen && !known; j++)
                    known = !strcmp(seen[j], part);
                if (known)
                    continue; /* seen before: no symlink */
                if (lstat(part, &st) == 0 && S_ISLNK(st.st_mode))
                    below = 0;
                else if (nseen < (int)(sizeof(seen) / sizeof(seen[0])) && (seen[nseen] = strdup(part)))
                    nseen++;
            }
        }
        if (!below) {
            ok = 0;
            break;
        }
        if (k >= r->ndirs) {
            int ancestor = 0;
            size_t n = strlen(d);
            for (int i = 0; i < r->ndirs && !ancestor; i++)
                ancestor = !strncmp(r->dirs[i], d, n) && (r->dirs[i][n] == '/' || !r->dirs[i][n]);
            ok = ancestor;
        }
    }
    while (nseen > 0)
        free(seen[--nseen]);
    return ok;
}

int rec_load(const char *root, const char *id, struct records *r)
{
    char path[PATH_MAX];
    size_t len;
    memset(r, 0, sizeof(*r));
    r->lock_fd = -1;
    if (!valid_id(id) || snprintf(r->dir, sizeof(r->dir), "%s/%s", root, id) >= (int)sizeof(r->dir)
        || snprintf(path, sizeof(path), "%s/%s", r->dir, REC_FILE) >= (int)sizeof(path))
        return NATIVE_FALLBACK;
    r->buf = (unsigned char *)read_small(path, REC_MAX_BYTES, &len);
    if (!r->buf || plan_decode(r->buf, len, &r->plan) || r->plan.nsteps < 1)
        goto fallback;
    const struct plan_step *v = &r->plan.steps[0];
    if (v->op != OP_REC_VERSION || !is_u64(v, 0) || v->args[0].num != REC_VERSION)
        goto fallback;
    for (uint32_t i = 1; i < r->plan.nsteps; i++)
        if (take_step(r, &r->plan.steps[i]))
            goto fallback;
    if (!r->id || strcmp(r->id, id) || r->pid <= 1 || !r->state_text[0] || !r->state_text[1] || !r->bundle
        || !r->oci_pretty[0] || !r->oci_pretty[1] || !r->oci_pretty[2] || !r->oci_pretty[3]
        || (r->has_cgroup && r->ndirs == 0))
        goto fallback;
    /* the state files must say what the records say; else Java reads them and says what is wrong */
    if (snprintf(path, sizeof(path), "%.4000s/state.json", r->dir) >= (int)sizeof(path))
        goto fallback;
    char *state = read_small(path, REC_MAX_BYTES, &len);
    if (state && len == r->state_len[1] && !memcmp(state, r->state_text[1], len))
        r->started = 1;
    else if (!state || len != r->state_len[0] || memcmp(state, r->state_text[0], len)) {
        free(state);
        goto fallback;
    }
    free(state);
    if (r->has_cgroup && (!file_is(r->dir, "cgroup.json", r->cgroup_text, r->cgroup_len) || !cgroups_recorded_ok(r)))
        goto fallback;
    char config_path[PATH_MAX + 32];
    snprintf(config_path, sizeof(config_path), "%s/config.json", r->dir);
    char *config = read_small(config_path, 64u << 20, &len);
    int same = config && len == r->config_len && fnv1a64(FNV_START, config, len) == r->config_hash;
    free(config);
    if (!same)
        goto fallback;
    return 0;
fallback:
    rec_free(r);
    return NATIVE_FALLBACK;
}

void rec_free(struct records *r)
{
    rec_unlock(&r->lock_fd);
    for (int i = 0; i < r->nhooks; i++) {
        free(r->hook[i].argv);
        free(r->hook[i].envp);
    }
    r->nhooks = 0;
    if (r->plan.steps) {
        for (uint32_t i = 0; i < r->plan.nsteps; i++)
            free(r->plan.steps[i].args);
        free(r->plan.steps);
        r->plan.steps = NULL;
    }
    free(r->buf);
    r->buf = NULL;
}

int rec_lock(const char *dir, int *fd)
{
    char path[PATH_MAX];
    struct stat st;
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
    if (snprintf(path, sizeof(path), "%s/lock", dir) >= (int)sizeof(path))
        return NATIVE_FALLBACK;
    *fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (*fd < 0)
        return NATIVE_FALLBACK;
    if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode))
        goto fail;
    while (fcntl(*fd, F_SETLKW, &fl) < 0)
        if (errno != EINTR)
            goto fail;
    return 0;
fail:
    close(*fd);
    *fd = -1;
    return NATIVE_FALLBACK;
}

void rec_unlock(int *fd)
{
    if (*fd >= 0)
        close(*fd); /* closing releases the process's fcntl locks on the file: before any JVM starts */
    *fd = -1;
}

/* Fields of /proc/PID/stat after the command: state (field 3) and start time (field 22). */
static int proc_stat(long pid, char *state, unsigned long long *start)
{
    char path[64], buf[1024], *p;
    if (pid <= 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return -1;
    *state = p[2];
    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    if (!p)
        return -1;
    *start = strtoull(p + 1, NULL, 10);
    return 0;
}

long long proc_start_time(long pid)
{
    char st;
    unsigned long long start;
    return proc_stat(pid, &st, &start) ? -1 : (long long)start;
}

/* ProcFs.alive: exists, started at start_time, not a zombie. */
int proc_alive(uint64_t pid, uint64_t start_time)
{
    char st;
    unsigned long long start;
    return !proc_stat((long)pid, &st, &start) && start == start_time && st != 'Z' && st != 'X';
}

/* The first of the container's directories that has file (ContainerCgroup.dirWith), or NULL. */
static const char *dir_with(const struct records *r, const char *file, char *path, size_t size)
{
    for (int i = 0; i < r->ndirs; i++) {
        if (snprintf(path, size, "%s/%s", r->dirs[i], file) < (int)size && access(path, F_OK) == 0)
            return r->dirs[i];
    }
    return NULL;
}

/* The trimmed content of a small file, or -1. */
static int read_trimmed(const char *path, char *out, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, out, size - 1);
    close(fd);
    if (n < 0)
        return -1;
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ' || out[n - 1] == '\t'))
        out[--n] = '\0';
    return 0;
}

/* ContainerCgroup.isFrozen: v2 cgroup.events "frozen 1", v1 freezer.state FROZEN. */
int cg_frozen(const struct records *r)
{
    char path[PATH_MAX], buf[4096];
    if (!r->has_cgroup || !dir_with(r, r->v2 ? "cgroup.events" : "freezer.state", path, sizeof(path))
        || read_trimmed(path, buf, sizeof(buf)))
        return 0;
    if (!r->v2)
        return !strcmp(buf, "FROZEN");
    for (char *line = buf; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!strcmp(line, "frozen 1"))
            return 1;
        line = next;
    }
    return 0;
}

static int write_file(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, value, strlen(value));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(value) ? 0 : -1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* ContainerCgroup.setFrozen: write, then wait until the kernel says so (v1 asked again while FREEZING). */
int cg_set_frozen(const struct records *r, int frozen)
{
    char path[PATH_MAX];
    const char *file = r->v2 ? "cgroup.freeze" : "freezer.state";
    const char *value = r->v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
    if (!r->has_cgroup || !dir_with(r, file, path, sizeof(path)) || write_file(path, value))
        return -1;
    for (int i = 0; i < 1000; i++) {
        if (cg_frozen(r) == frozen)
            return 0;
        sleep_ms(i < 20 ? 1 : 10);
        if (!r->v2 && frozen && write_file(path, value))
            return -1;
    }
    return -1;
}

static int add_procs(const char *dir, long *pids, int n, int max)
{
    char path[PATH_MAX], line[32];
    if (snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= (int)sizeof(path))
        return n;
    FILE *f = fopen(path, "re");
    if (!f)
        return n;
    while (n < max && fgets(line, sizeof(line), f)) {
        char *end;
        long pid = strtol(line, &end, 10);
        if (end != line)
            pids[n++] = pid;
    }
    fclose(f);
    return n;
}

/* The cgroup below dir, deepest first, then dir (ContainerCgroup.subtree), as readdir lists them. */
static int subtree_procs(const char *dir, long *pids, int n, int max, int depth)
{
    if (depth < 32) {
        DIR *d = opendir(dir);
        if (!d)
            return n;
        struct dirent *e;
        while ((e = readdir(d))) {
            char sub[PATH_MAX];
            struct stat st;
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")
                || snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name) >= (int)sizeof(sub))
                continue;
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
                n = subtree_procs(sub, pids, n, max, depth + 1);
        }
        closedir(d);
    }
    return add_procs(dir, pids, n, max);
}

int cg_pids(const struct records *r, long *pids, int max)
{
    for (int i = 0; i < r->ndirs; i++) {
        int n = subtree_procs(r->dirs[i], pids, 0, max, 0);
        if (n > 0)
            return n;
    }
    return 0;
}

int rec_status(const struct records *r)
{
    if (!proc_alive(r->pid, r->start_time))
        return ST_STOPPED;
    if (r->has_cgroup && cg_frozen(r))
        return ST_PAUSED;
    return r->started ? ST_RUNNING : ST_CREATED;
}

/* As `jrun --signal`: through a pidfd, if pid is still the process that started at start. */
int send_signal_checked(long pid, unsigned long long start, int sig)
{
    char st;
    unsigned long long now;
    int pidfd = (int)syscall(SYS_pidfd_open, (int)pid, 0);
    if (pidfd < 0)
        return -1;
    int ok = !proc_stat(pid, &st, &now) && now == start
             && syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0;
    close(pidfd);
    return ok ? 0 : -1;
}

int write_all_fd(int fd, const char *s, size_t len)
{
    while (len) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        s += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Log.line: runc's text (Go %q) or JSON line, time in seconds, UTC. */
static void log_line(const struct natives_global *g, const char *msg, char *out, size_t size)
{
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    size_t o = 0;
#define PUT(...) do { int k_ = snprintf(out + o, size - o, __VA_ARGS__); if (k_ > 0) o += (size_t)k_ < size - o ? (size_t)k_ : size - o - 1; } while (0)
    if (g->json)
        PUT("{\"level\":\"error\",\"msg\":\"");
    else
        PUT("time=\"%s\" level=error msg=\"", when);
    for (const unsigned char *c = (const unsigned char *)msg; *c && o + 8 < size; c++) {
        switch (*c) {
        case '"': PUT("\\\""); break;
        case '\\': PUT("\\\\"); break;
        case '\n': PUT("\\n"); break;
        case '\t': PUT("\\t"); break;
        case '\r': PUT("\\r"); break;
        default:
            if (*c < 0x20 || (*c == 0x7f && !g->json))
                PUT(g->json ? "\\u%04x" : "\\x%02x", *c);
            else
                PUT("%c", *c);
        }
    }
    if (g->json)
        PUT("\",\"time\":\"%s\"}", when);
    else
        PUT("\"");
#undef PUT
}

void native_error(const struct natives_global *g, const char *fmt, ...)
{
    char msg[4096], line[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!g->log && g->json) {
        log_line(g, msg, line, sizeof(line));
        dprintf(STDERR_FILENO, "%s\n", line);
        return;
    }
    dprintf(STDERR_FILENO, "jrun: %s\n", msg);
    if (g->log) {
        log_line(g, msg, line, sizeof(line));
        int fd = open(g->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) {
            dprintf(fd, "%s\n", line);
            close(fd);
        }
    }
}
