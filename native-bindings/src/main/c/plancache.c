/*
 * The compiled-plan cache of `jrun run`: a run whose inputs are byte-identical to those of an
 * earlier run needs no JVM.  Java (io.jrun.runtime.plancache.PlanCache) stores, after a run it
 * compiled, an entry under <root>/.plan-cache/<build>/<FNV-1a 64 of the bundle path>:
 *
 *   "JRUNPC01"
 *   str inputs     str build, str root, str bundle, str config.json's bytes,
 *                  u32 n, n x (u8 kind, str arg, str value): the host facts the compile read
 *   str sentinel   what stands for the container id in every string below
 *   str plan       the encoded plan (plan.h)
 *   u32 n, n x (str description, u8 is a lookup, str its $PATH)   what a failed step is called
 *   u32 n, n x str                                                Java's words for errno 0..n-1
 *   u8 v2, u8 default placement, u32 n, n x (str dir, str its hierarchy's mount, u8 cpuset)
 *   u32 n, n x (str dir, str file, str value)                     the cgroup writes: on v2 the controllers
 *                                                                 enabled in the parents first, then the limits
 *   str state.json when created, str state.json once running, with the sentinels of PlanCache
 *   u64 FNV-1a 64 of everything before it
 *   (str is u32 length + bytes, little-endian)
 *
 * The launcher finds the entry, gathers every input again (config.json, the facts) and compares
 * bytes; any difference, an unknown flag, anything unusual: NULL, and the JVM runs as always.
 * On a hit, a forked child of the launcher plays Java's part on the control channel
 * (plancache_control): the state directory, the cgroup, the plan with the id filled in, the
 * limits, state.json, and the clean-up after the exit, as Jrun.run does them.  This file holds
 * no OCI policy: Java decided all of it when it stored the entry.
 */
#define _GNU_SOURCE
#include "plancache.h"
#include "plan.h"
#include "launcher.h"
#include "commands/records.h" /* native_error: runc's log lines, as the native commands write them */
#include "plancache_exec.h" /* the helpers it shares */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ENTRY_MAX (64u << 20)
#define MAX_DIRS 32

struct plancache {
    unsigned char *entry;
    size_t entry_len;
    char root[PATH_MAX], bundle[PATH_MAX], state[PATH_MAX];
    char id[1100];
    const char *command;  /* "run" or "create" */
    const char *pid_file; /* create --pid-file, or NULL */
    struct view config, sentinel, plan, state_created, state_running;
    struct view records; /* create: native.rec with its slots (plancache_create.c); empty for run */
    uint32_t nsteps, nerr, nwrites;
    struct view *desc, *lookup_path, *err;
    unsigned char *lookup;
    struct view *wdir, *wfile, *wval;
    int v2, default_placement;
    uint32_t ndirs;
    char *dirs[MAX_DIRS], *tops[MAX_DIRS];
    int cpuset[MAX_DIRS];
    /* at run time: the directories made, as ContainerCgroup records them */
    char *created[4 * MAX_DIRS];
    size_t ncreated;
    int state_made;
    struct natives_global log; /* create's --log and --log-format (logging set when either was given) */
    int logging;
};

static volatile sig_atomic_t stop_signal;
/* create --log FILE / --log-format: its error lines go where Java's Log puts them (plancache_create.c) */
static const struct natives_global *log_to;

/* ---- reading the entry ---- */

uint32_t rd_u32(struct reader *r)
{
    if (r->bad || r->left < 4) {
        r->bad = 1;
        return 0;
    }
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    r->left -= 4;
    return v;
}

int rd_u8(struct reader *r)
{
    if (r->bad || r->left < 1) {
        r->bad = 1;
        return 0;
    }
    r->left--;
    return *r->p++;
}

struct view rd_str(struct reader *r)
{
    struct view v = { NULL, 0 };
    uint32_t n = rd_u32(r);
    if (r->bad || r->left < n) {
        r->bad = 1;
        return v;
    }
    v.p = r->p;
    v.len = n;
    r->p += n;
    r->left -= n;
    return v;
}

int equals(struct view v, const void *p, size_t len)
{
    return v.len == len && (len == 0 || memcmp(v.p, p, len) == 0);
}

int equals_str(struct view v, const char *s)
{
    return equals(v, s, strlen(s));
}

/* PlanCache.writeSteps: each step's description and LOOKUP path, then the errno descriptions (calloc'd
   arrays of views into the entry); -1 when the entry is damaged or memory ran out. */
int rd_steps(struct reader *r, uint32_t *nsteps, struct view **desc, unsigned char **lookup,
             struct view **lookup_path, uint32_t *nerr, struct view **err)
{
    *nsteps = rd_u32(r);
    if (r->bad || *nsteps > r->left / 9)
        return -1;
    *desc = calloc(*nsteps + 1, sizeof(struct view));
    *lookup_path = calloc(*nsteps + 1, sizeof(struct view));
    *lookup = calloc(*nsteps + 1, 1);
    if (!*desc || !*lookup_path || !*lookup)
        return -1;
    for (uint32_t i = 0; i < *nsteps; i++) {
        (*desc)[i] = rd_str(r);
        (*lookup)[i] = (unsigned char)rd_u8(r);
        (*lookup_path)[i] = rd_str(r);
    }
    *nerr = rd_u32(r);
    if (r->bad || *nerr > r->left / 4 || !(*err = calloc(*nerr + 1, sizeof(struct view))))
        return -1;
    for (uint32_t i = 0; i < *nerr; i++)
        (*err)[i] = rd_str(r);
    return 0;
}

/* A whole file (up to max bytes), malloc'd, or NULL. */
unsigned char *read_file(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 65536, n = 0;
    unsigned char *b = malloc(cap);
    for (;;) {
        if (!b || n == max + 1) {
            free(b);
            close(fd);
            return NULL;
        }
        if (n == cap) {
            cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            unsigned char *nb = realloc(b, cap);
            if (!nb) {
                free(b);
                close(fd);
                return NULL;
            }
            b = nb;
        }
        ssize_t k = read(fd, b + n, cap - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            free(b);
            close(fd);
            return NULL;
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    close(fd);
    *len = n;
    return b;
}

/* s with every sentinel replaced by the id: a NUL-terminated malloc'd string. */
static char *fill(const struct plancache *pc, const unsigned char *s, size_t len, size_t *out_len)
{
    size_t idl = strlen(pc->id), sl = pc->sentinel.len, cap = len + 1, n = 0;
    char *out;
    for (size_t i = 0; sl && i + sl <= len; i++)
        if (!memcmp(s + i, pc->sentinel.p, sl))
            cap += idl;
    out = malloc(cap);
    if (!out)
        return NULL;
    for (size_t i = 0; i < len;) {
        if (sl && i + sl <= len && !memcmp(s + i, pc->sentinel.p, sl)) {
            memcpy(out + n, pc->id, idl);
            n += idl;
            i += sl;
        } else {
            out[n++] = (char)s[i++];
        }
    }
    out[n] = '\0';
    if (out_len)
        *out_len = n;
    return out;
}

static char *fill_view(const struct plancache *pc, struct view v)
{
    return fill(pc, v.p, v.len, NULL);
}

/* ---- this build, the command line, the paths as Java writes them ---- */

static uint64_t stat_hash(uint64_t h, const struct stat *st)
{
    uint64_t f[6] = { (uint64_t)st->st_dev, (uint64_t)st->st_ino, (uint64_t)st->st_size,
                      (uint64_t)st->st_mtim.tv_sec, (uint64_t)st->st_mtim.tv_nsec, (uint64_t)st->st_mode };
    return fnv1a64(h, f, sizeof(f));
}

/* The build: this binary and every file of lib/ (jars, launch file, class-data archives), as stat sees them. */
static int build_id(const char *stage_path, const char *libdir, char out[17])
{
    struct stat st;
    uint64_t h = FNV_START, sum = 0;
    if (stat(stage_path, &st) < 0)
        return -1;
    h = stat_hash(h, &st);
    DIR *d = opendir(libdir);
    if (!d)
        return -1;
    struct dirent *e;
    char path[PATH_MAX];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof(path), "%s/%s", libdir, e->d_name) >= (int)sizeof(path) || stat(path, &st) < 0) {
            closedir(d);
            return -1;
        }
        sum += stat_hash(fnv1a64(FNV_START, e->d_name, strlen(e->d_name)), &st); /* readdir's order does not count */
    }
    closedir(d);
    h = fnv1a64(h, &sum, sizeof(sum));
    snprintf(out, 17, "%016llx", (unsigned long long)h);
    return 0;
}

/* Java's Path.toAbsolutePath().normalize(): the cwd before a relative path, ".", ".." and "//" folded. */
int absolute(const char *p, char out[PATH_MAX])
{
    char tmp[PATH_MAX * 2];
    if (p[0] == '/') {
        if (snprintf(tmp, sizeof(tmp), "%s", p) >= (int)sizeof(tmp))
            return -1;
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)) || snprintf(tmp, sizeof(tmp), "%s/%s", cwd, p) >= (int)sizeof(tmp))
            return -1;
    }
    size_t n = 0;
    char *save = NULL;
    out[0] = '\0';
    for (char *c = strtok_r(tmp, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (!strcmp(c, "."))
            continue;
        if (!strcmp(c, "..")) {
            while (n > 0 && out[n - 1] != '/')
                n--;
            if (n > 0)
                n--;
            out[n] = '\0';
            continue;
        }
        size_t l = strlen(c);
        if (n + 1 + l + 1 > PATH_MAX)
            return -1;
        out[n++] = '/';
        memcpy(out + n, c, l);
        n += l;
        out[n] = '\0';
    }
    if (n == 0)
        strcpy(out, "/");
    return 0;
}

/* A directory or file of the cache: root's, nobody else may read or write it. */
int private_to_root(const struct stat *st, int dir)
{
    return st->st_uid == 0 && (st->st_mode & 077) == 0 && (dir ? S_ISDIR(st->st_mode) : S_ISREG(st->st_mode));
}

/* ---- the facts ---- */

static int fact_holds(int kind, const char *arg, struct view want)
{
    if (kind == 1) { /* REALPATH */
        char real[PATH_MAX];
        if (!realpath(arg, real))
            return want.len == 0;
        return equals_str(want, real);
    }
    if (kind == 2) { /* FILE */
        size_t len;
        unsigned char *b = read_file(arg, ENTRY_MAX, &len);
        int ok = b ? equals(want, b, len) : want.len == 0;
        free(b);
        return ok;
    }
    if (kind == 3) { /* KIND */
        struct stat st;
        const char *k = stat(arg, &st) < 0 ? "n" : S_ISDIR(st.st_mode) ? "d" : "f";
        return equals_str(want, k);
    }
    return 0;
}

/* Every stored input equal to what this host shows now. */
static int inputs_hold(struct plancache *pc, struct view inputs, const char *build)
{
    struct reader r = { inputs.p, inputs.len, 0 };
    struct view b = rd_str(&r), command = rd_str(&r), root = rd_str(&r), bundle = rd_str(&r);
    pc->config = rd_str(&r);
    if (r.bad || !equals_str(b, build) || !equals_str(command, pc->command) || !equals_str(root, pc->root)
        || !equals_str(bundle, pc->bundle))
        return 0;
    char path[PATH_MAX];
    size_t len;
    if (snprintf(path, sizeof(path), "%s/config.json", pc->bundle) >= (int)sizeof(path))
        return 0;
    unsigned char *config = read_file(path, ENTRY_MAX, &len);
    int same = config && equals(pc->config, config, len);
    free(config);
    if (!same)
        return 0;
    uint32_t n = rd_u32(&r);
    for (uint32_t i = 0; i < n && !r.bad; i++) {
        int kind = rd_u8(&r);
        struct view arg = rd_str(&r), value = rd_str(&r);
        if (r.bad || arg.len >= PATH_MAX || memchr(arg.p, '\0', arg.len))
            return 0;
        memcpy(path, arg.p, arg.len);
        path[arg.len] = '\0';
        if (!fact_holds(kind, path, value))
            return 0;
    }
    return !r.bad && r.left == 0;
}

static int parse_entry(struct plancache *pc, const char *build)
{
    struct reader r = { pc->entry, pc->entry_len - 8, 0 };
    uint64_t sum = 0;
    if (pc->entry_len < 16 || memcmp(pc->entry, "JRUNPC01", 8))
        return 0;
    for (int b = 7; b >= 0; b--)
        sum = sum << 8 | pc->entry[pc->entry_len - 8 + (size_t)b];
    if (fnv1a64(FNV_START, pc->entry, pc->entry_len - 8) != sum)
        return 0; /* damaged */
    r.p += 8;
    r.left -= 8;
    struct view inputs = rd_str(&r);
    pc->sentinel = rd_str(&r);
    pc->plan = rd_str(&r);
    if (pc->sentinel.len == 0
        || rd_steps(&r, &pc->nsteps, &pc->desc, &pc->lookup, &pc->lookup_path, &pc->nerr, &pc->err))
        return 0;
    pc->v2 = rd_u8(&r);
    pc->default_placement = rd_u8(&r);
    pc->ndirs = rd_u32(&r);
    if (r.bad || pc->ndirs == 0 || pc->ndirs > MAX_DIRS)
        return 0;
    for (uint32_t i = 0; i < pc->ndirs; i++) {
        struct view d = rd_str(&r), top = rd_str(&r);
        pc->cpuset[i] = rd_u8(&r);
        if (r.bad || !(pc->dirs[i] = fill_view(pc, d)) || !(pc->tops[i] = fill_view(pc, top)))
            return 0;
        if (pc->dirs[i][0] != '/' || strncmp(pc->dirs[i], pc->tops[i], strlen(pc->tops[i])))
            return 0;
    }
    pc->nwrites = rd_u32(&r);
    if (r.bad || pc->nwrites > r.left / 12)
        return 0;
    pc->wdir = calloc(pc->nwrites + 1, sizeof(struct view));
    pc->wfile = calloc(pc->nwrites + 1, sizeof(struct view));
    pc->wval = calloc(pc->nwrites + 1, sizeof(struct view));
    if (!pc->wdir || !pc->wfile || !pc->wval)
        return 0;
    for (uint32_t i = 0; i < pc->nwrites; i++) {
        pc->wdir[i] = rd_str(&r);
        pc->wfile[i] = rd_str(&r);
        pc->wval[i] = rd_str(&r);
    }
    pc->state_created = rd_str(&r);
    pc->state_running = rd_str(&r);
    pc->records = rd_str(&r);
    if (r.bad || r.left != 0)
        return 0;
    return inputs_hold(pc, inputs, build);
}

/* Reads the entry at path if root owns it and it is private (the directories checked by the caller). */
static int load(struct plancache *pc, const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    if (fstat(fd, &st) < 0 || !private_to_root(&st, 0) || st.st_size < 8 || st.st_size > ENTRY_MAX) {
        close(fd);
        return 0;
    }
    pc->entry_len = (size_t)st.st_size;
    pc->entry = malloc(pc->entry_len);
    size_t n = 0;
    while (pc->entry && n < pc->entry_len) {
        ssize_t k = read(fd, pc->entry + n, pc->entry_len - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    if (n != pc->entry_len) {
        close(fd);
        return 0;
    }
    pc->state[0] = '\0';
    close(fd);
    return 1;
}

struct plancache *plancache_lookup(int argc, char **argv, const char *stage_path, const char *libdir)
{
    char build[17], path[PATH_MAX];
    const char *root = "/run/jrun", *bundle = NULL, *target = NULL, *command, *pid_file = NULL;
    int i = 1;
    struct stat st;

    const char *off = getenv("JRUN_PLAN_CACHE");
    unsetenv("JRUN_BUILD_ID"); /* only ours counts */
    if ((off && !strcmp(off, "off")) || geteuid() != 0 || build_id(stage_path, libdir, build) < 0)
        return NULL; /* JRUN_PLAN_CACHE=off: neither used nor stored */
    setenv("JRUN_BUILD_ID", build, 1); /* for the JVM: the build its stored entries are for */

    /* [--root DIR] run [--bundle DIR | -b DIR] TARGET: anything else is the JVM's; create also takes
       --log FILE and --log-format text|json (a create that succeeds logs nothing, as Java's) */
    const char *log = NULL, *log_format = NULL;
    int logging = 0;
    if (global_flags(argc, argv, &i, &root, &log, &log_format, &logging) < 0)
        return NULL;
    if (i >= argc || (strcmp(argv[i], "run") && strcmp(argv[i], "create")))
        return NULL;
    command = argv[i];
    int create = !strcmp(command, "create");
    if (logging && !create)
        return NULL;
    for (i++; i < argc; i++) {
        if ((!strcmp(argv[i], "--bundle") || !strcmp(argv[i], "-b")) && i + 1 < argc && !bundle) {
            bundle = argv[++i];
        } else if (!strncmp(argv[i], "--bundle=", 9) && !bundle) {
            bundle = argv[i] + 9;
        } else if (!strcmp(argv[i], "--pid-file") && i + 1 < argc && !pid_file) {
            pid_file = argv[++i];
        } else if (!strncmp(argv[i], "--pid-file=", 11) && !pid_file) {
            pid_file = argv[i] + 11;
        } else if (argv[i][0] == '-' || target) {
            return NULL;
        } else {
            target = argv[i];
        }
    }
    if (!target || !*root)
        return NULL;

    if (pid_file && !*pid_file)
        return NULL;
    struct plancache *pc = calloc(1, sizeof(*pc));
    if (!pc || absolute(root, pc->root) < 0)
        goto miss;
    pc->command = command;
    pc->pid_file = pid_file;
    pc->logging = logging;
    pc->log.root = pc->root;
    pc->log.log = log && *log && strcmp(log, "/dev/stderr") ? log : NULL; /* as Log and natives_main take it */
    pc->log.json = log_format && !strcmp(log_format, "json");
    /* RunCommand: without --bundle, a directory holding config.json is the bundle and the id is made up */
    if (!create && !bundle && snprintf(path, sizeof(path), "%s/config.json", target) < (int)sizeof(path) && stat(path, &st) == 0
        && S_ISREG(st.st_mode)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        bundle = target;
        snprintf(pc->id, sizeof(pc->id), "jrun-%lx%llx", (long)getpid(),
                 (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec);
    } else if (snprintf(pc->id, sizeof(pc->id), "%s", target) >= (int)sizeof(pc->id)) {
        goto miss;
    }
    if (!valid_id(pc->id) || absolute(bundle ? bundle : "", pc->bundle) < 0)
        goto miss;

    /* the cache: <root>/.plan-cache/<build>/<key>, each level root's own and private */
    char key[17];
    uint64_t h = fnv1a64(FNV_START, command, strlen(command));
    h = fnv1a64(h, " ", 1);
    snprintf(key, sizeof(key), "%016llx", (unsigned long long)fnv1a64(h, pc->bundle, strlen(pc->bundle)));
    if (snprintf(path, sizeof(path), "%s/.plan-cache", pc->root) >= (int)sizeof(path) || lstat(path, &st) < 0
        || !private_to_root(&st, 1))
        goto miss;
    if (snprintf(path, sizeof(path), "%s/.plan-cache/%s", pc->root, build) >= (int)sizeof(path)
        || lstat(path, &st) < 0 || !private_to_root(&st, 1))
        goto miss;
    if (snprintf(path, sizeof(path), "%s/.plan-cache/%s/%s", pc->root, build, key) >= (int)sizeof(path)
        || !load(pc, path) || !parse_entry(pc, build))
        goto miss;
    if (create && pc->records.len == 0) /* a create writes its records, or the JVM does it */
        goto miss;
    /* a taken id or an existing cgroup: the JVM says what is wrong */
    if (snprintf(pc->state, sizeof(pc->state), "%s/%s", pc->root, pc->id) >= (int)sizeof(pc->state)
        || lstat(pc->state, &st) == 0 || errno != ENOENT)
        goto miss;
    for (uint32_t k = 0; k < pc->ndirs; k++)
        if (lstat(pc->dirs[k], &st) == 0 || errno != ENOENT)
            goto miss;
    utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW); /* used now: the newest for eviction, and seen by tests */
    return pc;
miss:
    /* a short-lived process about to exec the JVM: what was allocated goes with it */
    return NULL;
}

/* ---- Java's part on the control channel ---- */

void say_stderr(const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (log_to && !strncmp(buf, "jrun: ", 6)) { /* create with --log or --log-format: Java's Log.error */
        native_error(log_to, "%s", buf + 6);
        return;
    }
    if ((size_t)n > sizeof(buf) - 2)
        n = sizeof(buf) - 2;
    buf[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, buf, (size_t)n);
    (void)w;
}

const char *entry_errno(const struct view *err, uint32_t nerr, int e, char *buf, size_t size)
{
    if (e > 0 && (uint32_t)e < nerr && err[e].len)
        snprintf(buf, size, "%.*s", (int)err[e].len, (const char *)err[e].p);
    else
        snprintf(buf, size, "errno %d", e);
    return buf;
}

static const char *errno_words(const struct plancache *pc, int e, char *buf, size_t size)
{
    return entry_errno(pc->err, pc->nerr, e, buf, size);
}

/* target written through tmp and a rename, as StateDir.writeAtomically and Jrun.writePidFile do. */
static int write_atomically(const char *tmp, const char *target, const void *data, size_t len)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 || write_all(fd, data, len) < 0 || close(fd) < 0 || rename(tmp, target) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

/* name in the state directory. */
static int write_state_file(const struct plancache *pc, const char *name, const void *data, size_t len)
{
    char tmp[PATH_MAX], target[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%.3900s/%.100s.tmp", pc->state, name);
    snprintf(target, sizeof(target), "%.3900s/%.100s", pc->state, name);
    return write_atomically(tmp, target, data, len);
}

static int depth(const char *p)
{
    int n = 0;
    for (; *p; p++)
        n += *p == '/';
    return n;
}

/* ContainerCgroup.record: deepest first by insertion at the front (once) */
static void record_front(struct plancache *pc, const char *p)
{
    for (size_t k = 0; k < pc->ncreated; k++)
        if (!strcmp(pc->created[k], p))
            return;
    if (pc->ncreated == sizeof(pc->created) / sizeof(pc->created[0]))
        return;
    memmove(pc->created + 1, pc->created, pc->ncreated * sizeof(char *));
    pc->created[0] = strdup(p);
    pc->ncreated++;
}

static int is_created(const struct plancache *pc, const char *p)
{
    for (size_t k = 0; k < pc->ncreated; k++)
        if (!strcmp(pc->created[k], p))
            return 1;
    return 0;
}

static int read_trimmed(const char *dir, const char *file, char *out, size_t size)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, out, size - 1);
    int e = errno;
    close(fd);
    if (n < 0) {
        errno = e;
        return -1;
    }
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
        n--;
    out[n] = '\0';
    return 0;
}

/* ContainerCgroup.inheritCpuset: an empty cpuset gets its parent's cpus and mems, the parent filled first. */
static int inherit_cpuset(const char *p, const char *top, char *err, size_t esize)
{
    static const char *files[] = { "cpuset.cpus", "cpuset.mems" };
    for (int f = 0; f < 2; f++) {
        char v[4096], parent[PATH_MAX], path[PATH_MAX];
        if (read_trimmed(p, files[f], v, sizeof(v)) < 0) {
            snprintf(err, esize, "read %s/%s", p, files[f]);
            return -1;
        }
        if (v[0])
            continue;
        snprintf(parent, sizeof(parent), "%s", p);
        *strrchr(parent, '/') = '\0';
        if (read_trimmed(parent, files[f], v, sizeof(v)) < 0) {
            snprintf(err, esize, "read %s/%s", parent, files[f]);
            return -1;
        }
        if (!v[0] && strcmp(parent, top)) {
            if (inherit_cpuset(parent, top, err, esize) < 0)
                return -1;
            if (read_trimmed(parent, files[f], v, sizeof(v)) < 0) {
                snprintf(err, esize, "read %s/%s", parent, files[f]);
                return -1;
            }
        }
        snprintf(path, sizeof(path), "%s/%s", p, files[f]);
        int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0 || write_all(fd, v, strlen(v)) < 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            errno = e;
            snprintf(err, esize, "write %.200s to %.3900s", v, path);
            return -1;
        }
        close(fd);
    }
    return 0;
}

/* ContainerCgroup.create for a new, default-placed cgroup: each directory and its missing parents. */
static int make_cgroups(struct plancache *pc, char *err, size_t esize)
{
    for (uint32_t k = 0; k < pc->ndirs; k++) {
        const char *dir = pc->dirs[k], *top = pc->tops[k];
        size_t tl = strlen(top);
        for (int attempt = 0;; attempt++) {
            char p[PATH_MAX];
            int vanished = 0;
            /* the chain below the mount, from the top down */
            for (size_t end = tl + 1; end <= strlen(dir) && !vanished; end++) {
                if (dir[end] != '/' && dir[end] != '\0')
                    continue;
                memcpy(p, dir, end);
                p[end] = '\0';
                struct stat st;
                if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
                    if (mkdir(p, 0755) == 0) {
                        record_front(pc, p);
                    } else if (errno == EEXIST) {
                        if (strcmp(p, dir))
                            record_front(pc, p);
                    } else if (errno == ENOENT) {
                        vanished = 1;
                        break;
                    } else {
                        snprintf(err, esize, "mkdir %s", p);
                        return -1;
                    }
                }
                if (pc->cpuset[k] && inherit_cpuset(p, top, err, esize) < 0) {
                    /* removed meanwhile by the last container leaving it: ENOENT, or ENODEV for a file of it */
                    if (errno != ENOENT && errno != ENODEV)
                        return -1;
                    vanished = 1;
                }
            }
            if (!vanished)
                break;
            if (attempt == 100) {
                errno = ENOENT;
                snprintf(err, esize, "mkdir %s", dir);
                return -1;
            }
        }
        if (pc->default_placement) {
            char parent[PATH_MAX];
            snprintf(parent, sizeof(parent), "%s", dir);
            *strrchr(parent, '/') = '\0';
            if (!is_created(pc, parent) && pc->ncreated < sizeof(pc->created) / sizeof(pc->created[0]))
                pc->created[pc->ncreated++] = strdup(parent);
        }
    }
    return 0;
}

/* ContainerCgroup.created(): deepest first, a stable order among equals */
static void sort_created(struct plancache *pc)
{
    for (size_t i = 1; i < pc->ncreated; i++) {
        char *x = pc->created[i];
        size_t j = i;
        while (j > 0 && depth(pc->created[j - 1]) < depth(x)) {
            pc->created[j] = pc->created[j - 1];
            j--;
        }
        pc->created[j] = x;
    }
}

/* {"v2":false,"dirs":[...],"created":[...]}, as JsonWriter writes it (Java made sure nothing needs escaping) */
static size_t cgroup_json(const struct plancache *pc, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "{\"v2\":%s,\"dirs\":[", pc->v2 ? "true" : "false");
    for (uint32_t k = 0; k < pc->ndirs && n < size; k++)
        n += (size_t)snprintf(out + n, size - n, "%s\"%s\"", k ? "," : "", pc->dirs[k]);
    if (n < size)
        n += (size_t)snprintf(out + n, size - n, "],\"created\":[");
    for (size_t k = 0; k < pc->ncreated && n < size; k++)
        n += (size_t)snprintf(out + n, size - n, "%s\"%s\"", k ? "," : "", pc->created[k]);
    if (n < size)
        n += (size_t)snprintf(out + n, size - n, "]}");
    return n < size ? n : 0;
}


static const char *errno_words(const struct plancache *pc, int e, char *buf, size_t size);

static void rmdir_tree(const struct plancache *pc, const char *p)
{
    DIR *d = opendir(p);
    if (d) {
        struct dirent *e;
        char c[PATH_MAX];
        while ((e = readdir(d)))
            if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..")
                && snprintf(c, sizeof(c), "%s/%s", p, e->d_name) < (int)sizeof(c))
                rmdir_tree(pc, c);
        closedir(d);
    }
    /* the container's own: its processes may take a moment to leave (up to 2 s, as Java) */
    int r = -1;
    for (int i = 0; i < 200 && (r = rmdir(p)) < 0 && errno == EBUSY; i++)
        usleep(10000);
    char words[200];
    if (r < 0 && errno != ENOENT) /* as Jrun.removeCgroup warns */
        say_stderr("jrun: rmdir %s: %s (processes are still in it)", p, errno_words(pc, errno, words, sizeof(words)));
}

/* ContainerCgroup.remove: the directories made, deepest first; the container's own with what it made inside. */
static void remove_cgroups(struct plancache *pc)
{
    for (size_t k = 0; k < pc->ncreated; k++) {
        int own = 0;
        for (uint32_t d = 0; d < pc->ndirs; d++)
            own |= !strcmp(pc->dirs[d], pc->created[k]);
        if (own)
            rmdir_tree(pc, pc->created[k]);
        else
            rmdir(pc->created[k]); /* a parent: only when no other container uses it */
    }
}

/* StateDir.remove: its files, then the directory. */
static void remove_state(struct plancache *pc)
{
    if (!pc->state_made)
        return;
    DIR *d = opendir(pc->state);
    if (d) {
        struct dirent *e;
        char c[PATH_MAX];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")
                && snprintf(c, sizeof(c), "%s/%s", pc->state, e->d_name) < (int)sizeof(c))
                unlink(c);
        closedir(d);
    }
    rmdir(pc->state);
}

/* A failure: one line, nothing left behind (the monitor kills the init once out_fd closes). */
static int fail(struct plancache *pc, int out_fd, int err, const char *what)
{
    char words[200];
    if (what)
        say_stderr("jrun: %s: %s", what, errno_words(pc, err, words, sizeof(words)));
    if (out_fd >= 0)
        close(out_fd);
    /* the init is killed and reaped by the monitor; its cgroup goes once it is empty */
    remove_cgroups(pc);
    remove_state(pc);
    return 1;
}

static void on_signal(int sig)
{
    stop_signal = sig;
}

/* One line from the monitor (without its newline), or -1 at EOF, error or a stop signal. */
static int read_line(int fd, char *line, size_t size)
{
    size_t n = 0;
    for (;;) {
        char c;
        ssize_t k = read(fd, &c, 1);
        if (k < 0 && errno == EINTR) {
            if (stop_signal)
                return -1;
            continue;
        }
        if (k <= 0)
            return -1;
        if (c == '\n') {
            line[n] = '\0';
            return 0;
        }
        if (n < size - 1)
            line[n++] = c;
    }
}

static unsigned long long start_time(int pid)
{
    char path[64], buf[1024], *p;
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    p = strrchr(buf, ')');
    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* Rfc3339.now(): UTC with nanoseconds */
static void rfc3339(char *out, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

/* Replaces the first `from` in *s (malloc'd) by `to`. */
static int replace(char **s, const char *from, const char *to)
{
    char *at = strstr(*s, from);
    if (!at)
        return -1;
    size_t fl = strlen(from), tl = strlen(to), sl = strlen(*s);
    char *out = malloc(sl - fl + tl + 1);
    if (!out)
        return -1;
    memcpy(out, *s, (size_t)(at - *s));
    memcpy(out + (at - *s), to, tl);
    strcpy(out + (at - *s) + tl, at + fl);
    free(*s);
    *s = out;
    return 0;
}

/* The plan with the id in place of the sentinel, re-encoded (plan.h): the lengths change with it. */
static unsigned char *filled_plan(const struct plancache *pc, size_t *len)
{
    struct plan plan;
    if (plan_decode(pc->plan.p, pc->plan.len, &plan) < 0 || plan.nsteps != pc->nsteps)
        return NULL;
    size_t cap = pc->plan.len + 64 + (size_t)plan.nsteps * 8 * (strlen(pc->id) + 1), n = 0;
    for (uint32_t i = 0; i < plan.nsteps; i++)
        cap += (size_t)plan.steps[i].nargs * strlen(pc->id) * 4;
    unsigned char *out = malloc(cap);
    if (!out)
        return NULL;
#define PUT(p, k) (memcpy(out + n, (p), (k)), n += (k))
#define PUT_LE(v, k) do { uint64_t x_ = (v); for (int b_ = 0; b_ < (k); b_++) out[n++] = (unsigned char)(x_ >> (8 * b_)); } while (0)
    PUT(pc->plan.p, 16); /* magic, version, step count: unchanged */
    for (uint32_t i = 0; i < plan.nsteps; i++) {
        const struct plan_step *s = &plan.steps[i];
        PUT_LE(s->op, 2);
        PUT_LE(s->nargs, 2);
        for (uint16_t k = 0; k < s->nargs; k++) {
            const struct plan_arg *a = &s->args[k];
            out[n++] = a->kind;
            if (a->kind == ARG_U64) {
                PUT_LE(a->num, 8);
                continue;
            }
            size_t l;
            char *f = fill(pc, (const unsigned char *)a->str, a->len, &l);
            if (!f || n + l + 5 + 64 > cap) {
                free(f);
                free(out);
                return NULL;
            }
            PUT_LE(l, 4);
            PUT(f, l + 1); /* with its NUL */
            free(f);
        }
        if (n + 64 > cap) {
            free(out);
            return NULL;
        }
    }
#undef PUT
#undef PUT_LE
    *len = n;
    return out;
}

/* state.json from its stored template: the id, the pid and its start time, the time, the cgroup record */
static char *fill_state(const struct plancache *pc, struct view tmpl, int pid, unsigned long long start,
                        const char *created, char *cg, size_t cgl)
{
    char num[32];
    char *state = fill_view(pc, tmpl);
    cg[cgl] = '\0';
    snprintf(num, sizeof(num), "%d", pid);
    int bad = !state || replace(&state, "1999999999", num) < 0;
    snprintf(num, sizeof(num), "%llu", start);
    bad = bad || replace(&state, "1999999998", num) < 0 || replace(&state, "@@CREATED@@", created) < 0
        || replace(&state, "\"@@CGROUP@@\"", cg) < 0;
    if (bad) {
        free(state);
        return NULL;
    }
    return state;
}

/* Jrun.writePidFile: the pid, no newline, through a hidden temporary file beside it */
int write_pid_file(const char *file, int pid)
{
    char abs[PATH_MAX], tmp[PATH_MAX + 8], num[32];
    if (absolute(file, abs) < 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char *slash = strrchr(abs, '/');
    snprintf(tmp, sizeof(tmp), "%.*s/.%s.tmp", (int)(slash - abs), abs, slash + 1);
    int n = snprintf(num, sizeof(num), "%d", pid);
    return write_atomically(tmp, abs, num, (size_t)n);
}

static int fail(struct plancache *pc, int out_fd, int err, const char *what);

/* Jrun.createDetached once the init is set up: state.json (created), the pid file, and the monitor told
   to leave the init waiting on its exec fifo, re-parented to the caller's subreaper. */
static int created(struct plancache *pc, int out_fd, int pid, unsigned long long start, const char *when, char *cg,
                   char *err, size_t esize)
{
    /* the records with their slots filled (plancache_create.c); state.json is their text of "created" */
    struct records_slots slots = { .id = pc->id, .created = when, .pid = (unsigned long long)pid, .start = start,
                                   .made = pc->created, .nmade = pc->ncreated };
    char sentinel[64], *state, *cgroup_text;
    size_t rlen;
    snprintf(sentinel, sizeof(sentinel), "%.*s", (int)pc->sentinel.len, (const char *)pc->sentinel.p);
    slots.sentinel = sentinel;
    unsigned char *records = records_fill(pc->records.p, pc->records.len, &slots, &rlen, &state, &cgroup_text);
    /* cgroup.json was written before the plan went out: the records must say the same */
    if (!records || strcmp(cgroup_text, cg))
        return fail(pc, out_fd, EBADMSG, "plan cache: stored records that do not fill in");
    free(cgroup_text);
    if (write_state_file(pc, "state.json", state, strlen(state)) < 0) {
        int e = errno;
        free(state);
        snprintf(err, esize, "write %.3900s/state.json", pc->state);
        return fail(pc, out_fd, e, err);
    }
    free(state);
    /* NativeRecords.write: last of the state files, so a create that fails before it leaves none */
    if (write_state_file(pc, "native.rec", records, rlen) < 0) {
        int e = errno;
        free(records);
        snprintf(err, esize, "write %.3900s/native.rec", pc->state);
        return fail(pc, out_fd, e, err);
    }
    free(records);
    if (pc->pid_file && write_pid_file(pc->pid_file, pid) < 0) {
        snprintf(err, esize, "write pid file %.3900s", pc->pid_file);
        return fail(pc, out_fd, errno, err);
    }
    if (write_all(out_fd, "detach\n", 7) < 0)
        return fail(pc, out_fd, errno, "create: the stage went away");
    close(out_fd);
    return 0;
}

/* Plan.describe: a failed step's words, the stage's detail, the errno. */
static void describe_failure(const struct plancache *pc, const char *rest)
{
    unsigned step;
    int err, off = 0;
    char words[200];
    if (sscanf(rest, "%u %d %n", &step, &err, &off) < 2) {
        say_stderr("jrun: run %s: unexpected message from the stage: error %s", pc->id, rest);
        return;
    }
    const char *detail = off ? rest + off : "";
    char *desc = step < pc->nsteps ? fill_view(pc, pc->desc[step]) : NULL;
    char fallback[32];
    snprintf(fallback, sizeof(fallback), "step %u", step);
    const char *d = desc ? desc : fallback;
    if (step < pc->nsteps && pc->lookup[step] && err == ENOENT && !strchr(detail, '/')) {
        say_stderr("jrun: %s: executable file not found in the rootfs (searched $PATH %.*s)", d,
                   (int)pc->lookup_path[step].len, (const char *)pc->lookup_path[step].p);
    } else if (*detail && !(step < pc->nsteps && pc->lookup[step])) {
        say_stderr("jrun: %s: %s: %s", d, detail, errno_words(pc, err, words, sizeof(words)));
    } else {
        say_stderr("jrun: %s: %s", d, errno_words(pc, err, words, sizeof(words)));
    }
    free(desc);
}

int plancache_control(struct plancache *pc, int in_fd, int out_fd)
{
    struct sigaction sa = { .sa_handler = on_signal };
    char err[PATH_MAX + 300], line[600];
    sigemptyset(&sa.sa_mask);
    /* no SA_RESTART: a stop signal interrupts the wait for the monitor, and what was made goes */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    if (pc->logging)
        log_to = &pc->log;

    /* StateDir.create */
    struct stat st;
    if (stat(pc->root, &st) < 0) {
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s", pc->root);
        for (char *s = p + 1; *s; s++)
            if (*s == '/') {
                *s = '\0';
                mkdir(p, 0755);
                *s = '/';
            }
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
            return fail(pc, out_fd, errno, (snprintf(err, sizeof(err), "create %s", pc->root), err));
    }
    if (mkdir(pc->state, 0700) < 0) {
        if (errno == EEXIST) {
            say_stderr("jrun: create %s: container \"%s\" already exists (EEXIST)", pc->state, pc->id);
            return fail(pc, out_fd, 0, NULL);
        }
        return fail(pc, out_fd, errno, (snprintf(err, sizeof(err), "create %s", pc->state), err));
    }
    pc->state_made = 1;
    chmod(pc->state, 0700);
    char lock[PATH_MAX];
    snprintf(lock, sizeof(lock), "%.4000s/lock", pc->state);
    int fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail(pc, out_fd, errno, (snprintf(err, sizeof(err), "create %s", lock), err));
    close(fd);

    /* the cgroup, and its record before anything is placed in it */
    if (make_cgroups(pc, err, sizeof(err)) < 0) {
        sort_created(pc);
        return fail(pc, out_fd, errno, err);
    }
    sort_created(pc);
    static char cg[65536];
    size_t cgl = cgroup_json(pc, cg, sizeof(cg));
    if (!cgl || write_state_file(pc, "cgroup.json", cg, cgl) < 0)
        return fail(pc, out_fd, cgl ? errno : ENAMETOOLONG,
                    (snprintf(err, sizeof(err), "write %s/cgroup.json", pc->state), err));
    if (stop_signal)
        goto stopped;

    size_t plen;
    unsigned char *plan = filled_plan(pc, &plen);
    if (!plan)
        return fail(pc, out_fd, EBADMSG, "plan cache: a stored plan that does not decode");
    unsigned char hdr[8] = { 'P', 'L', 'A', 'N', (unsigned char)plen, (unsigned char)(plen >> 8),
                             (unsigned char)(plen >> 16), (unsigned char)(plen >> 24) };
    if (write_all(out_fd, hdr, 8) < 0 || write_all(out_fd, plan, plen) < 0)
        return fail(pc, out_fd, errno, "send the plan to the monitor");
    free(plan);

    int started = 0;
    for (;;) {
        if (read_line(in_fd, line, sizeof(line)) < 0) {
            if (stop_signal)
                goto stopped;
            return fail(pc, out_fd, 0, NULL); /* the monitor went away */
        }
        if (!strncmp(line, "error ", 6)) {
            describe_failure(pc, line + 6);
            return fail(pc, out_fd, 0, NULL);
        }
        int pid;
        if (!started && sscanf(line, "created %d", &pid) == 1) {
            /* cgroup.apply: the limits, with the device rules, once the init has set itself up */
            for (uint32_t k = 0; k < pc->nwrites; k++) {
                char *dir = fill_view(pc, pc->wdir[k]), path[PATH_MAX];
                snprintf(path, sizeof(path), "%s/%.*s", dir ? dir : "", (int)pc->wfile[k].len,
                         (const char *)pc->wfile[k].p);
                free(dir);
                int w = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
                if (w < 0 || write_all(w, pc->wval[k].p, pc->wval[k].len) < 0) {
                    int e = errno;
                    if (w >= 0)
                        close(w);
                    char words[200];
                    if (e == ENOENT)
                        say_stderr("jrun: write %.*s to %s: No such file or directory (ENOENT): the controller or"
                                   " this setting is missing on this host", (int)pc->wval[k].len,
                                   (const char *)pc->wval[k].p, path);
                    else
                        say_stderr("jrun: write %.*s to %s: %s", (int)pc->wval[k].len, (const char *)pc->wval[k].p,
                                   path, errno_words(pc, e, words, sizeof(words)));
                    return fail(pc, out_fd, 0, NULL);
                }
                close(w);
            }
            /* exec reads the config as it was at create */
            if (write_state_file(pc, "config.json", pc->config.p, pc->config.len) < 0)
                return fail(pc, out_fd, errno, (snprintf(err, sizeof(err), "copy config.json to %s", pc->state), err));
            char when[64];
            rfc3339(when, sizeof(when));
            unsigned long long started_time = start_time(pid);
            if (stop_signal)
                goto stopped;
            cg[cgl] = '\0';
            if (!strcmp(pc->command, "create"))
                return created(pc, out_fd, pid, started_time, when, cg, err, sizeof(err));
            char *state = fill_state(pc, pc->state_running, pid, started_time, when, cg, cgl);
            if (!state)
                return fail(pc, out_fd, EBADMSG, "plan cache: a stored state that does not fill in");
            /* Jrun.run: the pid file before the start */
            if (pc->pid_file && write_pid_file(pc->pid_file, pid) < 0) {
                int e = errno;
                free(state);
                snprintf(err, sizeof(err), "write pid file %.3900s", pc->pid_file);
                return fail(pc, out_fd, e, err);
            }
            /* Container.start: the program is let go, state.json says running while it starts */
            if (write_all(out_fd, "start\n", 6) < 0)
                return fail(pc, out_fd, errno, "start: the stage went away");
            if (write_state_file(pc, "state.json", state, strlen(state)) < 0) {
                int e = errno;
                snprintf(err, sizeof(err), "write %s/state.json", pc->state);
                free(state);
                return fail(pc, out_fd, e, err);
            }
            free(state);
            started = 1;
        } else if (!strncmp(line, "exited ", 7)) {
            /* Container.close: the OOM warning, the cgroup, the state; then "done" */
            char v[4096];
            for (uint32_t k = 0; k < pc->ndirs; k++) {
                if (read_trimmed(pc->dirs[k], pc->v2 ? "memory.events" : "memory.oom_control", v, sizeof(v)) < 0)
                    continue;
                char *at = strstr(v, "oom_kill ");
                if (at && (at == v || at[-1] == '\n') && strtoll(at + 9, NULL, 10) > 0)
                    say_stderr("jrun: container %s: the kernel's OOM killer killed a process of it (memory limit"
                               " reached)", pc->id);
                break;
            }
            remove_cgroups(pc);
            remove_state(pc);
            write_all(out_fd, "done\n", 5);
            close(out_fd);
            return 0;
        }
        /* "started": nothing to do */
    }
stopped:
    fail(pc, out_fd, 0, NULL);
    signal(stop_signal, SIG_DFL);
    raise(stop_signal);
    return 128 + stop_signal;
}
