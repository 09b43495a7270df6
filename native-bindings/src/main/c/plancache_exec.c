/*
 * The compiled-plan cache of `jrun exec`: an exec whose command line (but the container id), process
 * file and container config are byte-identical to an earlier exec's needs no JVM.  Java
 * (io.jrun.runtime.plancache.ExecPlanCache) stores, after an exec it compiled, an entry under
 * <root>/.plan-cache/<build>/<key>:
 *
 *   "JRUNPX01"
 *   str inputs     str build, str "exec", str root, u32 n, n x str the exec's arguments but the id,
 *                  each pid file and process file path left out ("" as an argument, "--pid-file="),
 *                  u32 the id's index, u8 detach, u8 has a pid file, u8 has a process file, str its
 *                  bytes, str the container's config.json, u8 has a cgroup, u8 v2, u32 its directories
 *   str plan       compiled for a stand-in container: init pid 1999999999, cgroup dirs @@CGDIR<k>@@
 *   u32 n, n x (str description, u8 is a lookup, str its $PATH)
 *   u32 n, n x str                Java's words for errno 0..n-1
 *   u64 FNV-1a 64 of everything before it
 *   (str is u32 length + bytes, little-endian)
 *
 * key: FNV-1a 64 in hex of "exec", each of those arguments after a NUL, "\0#" and the id's index,
 * "\0" and the FNV-1a 64 of the container's config.json in hex.
 *
 * The launcher reads the container's records (native.rec, commands/records.c), takes only a created
 * or running one, compares every stored input with what it finds now, and fills in the container's
 * init pid and cgroup directories; Java stored the entry only after checking that this fill-in gives
 * the plan it used, byte for byte.  On a hit a forked child plays Java's part of an exec on the
 * control channel: the plan, the pid file, "start", then "detach" or, after the exit, "done".
 * Anything else (another flag, a paused container, a damaged entry): NULL, and the JVM runs.
 */
#define _GNU_SOURCE
#include "plancache_exec.h"
#include "commands/records.h"
#include "launcher.h"
#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ENTRY_MAX (64u << 20)
#define PID_STANDIN "/proc/1999999999/"

struct plancache_exec {
    struct records rec;
    char root[PATH_MAX];
    const char *id, *pid_file, *process;
    int detach;
    unsigned char *entry, *plan;
    size_t entry_len, plan_len;
    uint32_t nsteps, nerr;
    struct view *desc, *lookup_path, *err;
    unsigned char *lookup;
    /* the stand-ins and what replaces them */
    const char *from[REC_MAX_DIRS + 1];
    char *to[REC_MAX_DIRS + 1];
    int nsubst;
};

/* s with every stand-in replaced: a NUL-terminated malloc'd string. */
static char *subst(const struct plancache_exec *px, const unsigned char *s, size_t len, size_t *out_len)
{
    size_t cap = len + 1, n = 0;
    for (int k = 0; k < px->nsubst; k++) {
        size_t fl = strlen(px->from[k]);
        for (size_t i = 0; i + fl <= len; i++)
            if (!memcmp(s + i, px->from[k], fl))
                cap += strlen(px->to[k]);
    }
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (size_t i = 0; i < len;) {
        int hit = -1;
        for (int k = 0; k < px->nsubst && hit < 0; k++) {
            size_t fl = strlen(px->from[k]);
            if (i + fl <= len && !memcmp(s + i, px->from[k], fl))
                hit = k;
        }
        if (hit < 0) {
            out[n++] = (char)s[i++];
            continue;
        }
        size_t tl = strlen(px->to[hit]);
        memcpy(out + n, px->to[hit], tl);
        n += tl;
        i += strlen(px->from[hit]);
    }
    out[n] = '\0';
    if (out_len)
        *out_len = n;
    return out;
}

/* A growing buffer for the re-encoded plan. */
struct xbuf {
    unsigned char *p;
    size_t n, cap;
    int bad;
};

static void put(struct xbuf *b, const void *p, size_t k)
{
    if (b->bad)
        return;
    if (b->n + k > b->cap) {
        size_t cap = (b->cap + k) * 2;
        unsigned char *np = realloc(b->p, cap);
        if (!np) {
            b->bad = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, k);
    b->n += k;
}

static void put_le(struct xbuf *b, uint64_t v, int k)
{
    unsigned char le[8];
    for (int i = 0; i < k; i++)
        le[i] = (unsigned char)(v >> (8 * i));
    put(b, le, (size_t)k);
}

/* The stored plan with the stand-ins filled in, re-encoded (plan.h): the lengths change with them. */
static unsigned char *filled_plan(const struct plancache_exec *px, struct view tmpl, size_t *len)
{
    struct plan plan;
    struct xbuf b = { NULL, 0, 0, 0 };
    if (tmpl.len < 16 || plan_decode(tmpl.p, tmpl.len, &plan) < 0 || plan.nsteps != px->nsteps)
        return NULL;
    put(&b, tmpl.p, 16); /* magic, version, step count: unchanged */
    for (uint32_t i = 0; i < plan.nsteps; i++) {
        const struct plan_step *s = &plan.steps[i];
        put_le(&b, s->op, 2);
        put_le(&b, s->nargs, 2);
        for (uint16_t k = 0; k < s->nargs; k++) {
            const struct plan_arg *a = &s->args[k];
            put(&b, &a->kind, 1);
            if (a->kind == ARG_U64) {
                put_le(&b, a->num, 8);
                continue;
            }
            size_t l;
            char *f = subst(px, (const unsigned char *)a->str, a->len, &l);
            if (!f) {
                free(b.p);
                return NULL;
            }
            put_le(&b, l, 4);
            put(&b, f, l + 1); /* with its NUL */
            free(f);
        }
    }
    if (b.bad) {
        free(b.p);
        return NULL;
    }
    *len = b.n;
    return b.p;
}

/* ExecPlanCache.shape: flags before the id, only those whose meaning is all in the plan, or the three
   the launcher acts on; 0 with the id's index, or -1. */
static int parse_exec(int n, char **a, int *id_index, int *detach, const char **pid_file, const char **process,
                      const char **masked)
{
    static const char *valued[] = { "env", "e", "cwd", "user", "u", "additional-gids", "g", "cap", "c",
                                     "pid-file", "process", "p", NULL };
    *detach = 0;
    *pid_file = *process = NULL;
    for (int k = 0; k < n; k++)
        masked[k] = a[k];
    for (int k = 0; k < n; k++) {
        if (a[k][0] != '-') {
            *id_index = k;
            for (int j = k; j + 1 < n; j++) /* the id is no input either */
                masked[j] = masked[j + 1];
            return 0;
        }
        const char *body = a[k] + (a[k][1] == '-' ? 2 : 1);
        const char *eq = strchr(body, '=');
        size_t bl = eq ? (size_t)(eq - body) : strlen(body);
        const char *value = eq ? eq + 1 : NULL;
        int known = 0;
        for (int v = 0; valued[v] && !known; v++) {
            if (strlen(valued[v]) != bl || strncmp(body, valued[v], bl))
                continue;
            known = 1;
            /* where the pid file and the process file are is no input (the process file's bytes are) */
            int where = !strcmp(valued[v], "pid-file") || !strcmp(valued[v], "process") || !strcmp(valued[v], "p");
            if (!value) {
                if (k + 1 >= n)
                    return -1;
                value = a[++k];
                if (where)
                    masked[k] = "";
            } else if (where) {
                char *prefix = strndup(a[k], (size_t)(value - a[k]));
                if (!prefix)
                    return -1;
                masked[k] = prefix;
            }
            if (!strcmp(valued[v], "pid-file"))
                *pid_file = value;
            else if (!strcmp(valued[v], "process") || !strcmp(valued[v], "p"))
                *process = value;
        }
        if (known)
            continue;
        if ((bl == 6 && !strncmp(body, "detach", 6)) || (bl == 1 && body[0] == 'd'))
            *detach = !value || strcmp(value, "false");
        else if (!(bl == 12 && !strncmp(body, "no-new-privs", 12)))
            return -1;
    }
    return -1;
}

/* len bytes from fd, malloc'd (at least one byte), or NULL when it holds fewer or more now. */
static unsigned char *read_exactly(int fd, size_t len)
{
    unsigned char *b = malloc(len + 1);
    size_t got = 0;
    while (b && got <= len) {
        ssize_t k = read(fd, b + got, len + 1 - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    if (b && got != len) {
        free(b);
        b = NULL;
    }
    return b;
}

static int parse_entry(struct plancache_exec *px, const char *build, int ntok, const char **masked, int id_index,
                       const unsigned char *config, size_t config_len)
{
    struct reader r = { px->entry, px->entry_len - 8, 0 };
    uint64_t sum = 0;
    if (px->entry_len < 16 || memcmp(px->entry, "JRUNPX01", 8))
        return 0;
    for (int b = 7; b >= 0; b--)
        sum = sum << 8 | px->entry[px->entry_len - 8 + (size_t)b];
    if (fnv1a64(FNV_START, px->entry, px->entry_len - 8) != sum)
        return 0; /* damaged */
    r.p += 8;
    r.left -= 8;
    struct view inputs = rd_str(&r), plan = rd_str(&r);
    if (rd_steps(&r, &px->nsteps, &px->desc, &px->lookup, &px->lookup_path, &px->nerr, &px->err))
        return 0;
    if (r.bad || r.left != 0)
        return 0;

    /* the inputs, each as this host shows it now */
    struct reader in = { inputs.p, inputs.len, 0 };
    if (!equals_str(rd_str(&in), build) || !equals_str(rd_str(&in), "exec") || !equals_str(rd_str(&in), px->root)
        || rd_u32(&in) != (uint32_t)(ntok - 1))
        return 0;
    for (int k = 0; k + 1 < ntok; k++)
        if (!equals_str(rd_str(&in), masked[k]))
            return 0;
    if (rd_u32(&in) != (uint32_t)id_index || rd_u8(&in) != px->detach || rd_u8(&in) != (px->pid_file != NULL)
        || rd_u8(&in) != (px->process != NULL))
        return 0;
    struct view process_bytes = rd_str(&in);
    if (in.bad)
        return 0;
    if (px->process) {
        /* a regular file, checked on the fd read: a fifo put there meanwhile would block the launcher */
        struct stat st;
        int fd = open(px->process, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            return 0;
        unsigned char *b = NULL;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= ENTRY_MAX)
            b = read_exactly(fd, (size_t)st.st_size);
        close(fd);
        int same = b && equals(process_bytes, b, (size_t)st.st_size);
        free(b);
        if (!same)
            return 0;
    }
    if (!equals(rd_str(&in), config, config_len) || rd_u8(&in) != px->rec.has_cgroup || rd_u8(&in) != px->rec.v2
        || rd_u32(&in) != (uint32_t)px->rec.ndirs || in.bad || in.left != 0)
        return 0;
    px->plan = filled_plan(px, plan, &px->plan_len);
    return px->plan != NULL;
}

struct plancache_exec *plancache_exec_lookup(int argc, char **argv)
{
    const char *root = "/run/jrun", *build = getenv("JRUN_BUILD_ID");
    char path[PATH_MAX], key[17];
    struct stat st;
    int i = 1, id_index;
    unsetenv("JRUN_EXEC_PLAN_KEY"); /* only ours counts */
    if (!build || !*build)
        return NULL; /* the cache is off, or not root: see plancache_lookup */
    if (i < argc && !strcmp(argv[i], "--root") && i + 1 < argc) {
        root = argv[i + 1];
        i += 2;
    } else if (i < argc && !strncmp(argv[i], "--root=", 7)) {
        root = argv[i] + 7;
        i++;
    }
    if (i >= argc || strcmp(argv[i], "exec") || !*root)
        return NULL;
    int ntok = argc - i - 1;
    char **tok = argv + i + 1;
    struct plancache_exec *px = calloc(1, sizeof(*px));
    const char **masked = calloc((size_t)ntok + 1, sizeof(char *));
    if (!px || !masked || parse_exec(ntok, tok, &id_index, &px->detach, &px->pid_file, &px->process, masked) < 0
        || (px->pid_file && !*px->pid_file) || !valid_id(tok[id_index]) || absolute(root, px->root) < 0)
        return NULL;
    px->id = tok[id_index];
    /* the container as its records say it is: created or running (else Java says why not) */
    if (rec_load(px->root, px->id, &px->rec))
        return NULL;
    int status = rec_status(&px->rec);
    if (status != ST_CREATED && status != ST_RUNNING)
        return NULL;
    size_t config_len;
    snprintf(path, sizeof(path), "%.4000s/config.json", px->rec.dir);
    unsigned char *config = read_file(path, ENTRY_MAX, &config_len);
    if (!config)
        return NULL;

    uint64_t h = fnv1a64(FNV_START, "exec", 4);
    for (int k = 0; k + 1 < ntok; k++) {
        h = fnv1a64(h, "", 1);
        h = fnv1a64(h, masked[k], strlen(masked[k]));
    }
    char tail[64];
    int tl = snprintf(tail, sizeof(tail), "%c#%d%c%016llx", 0, id_index, 0,
                      (unsigned long long)fnv1a64(FNV_START, config, config_len));
    h = fnv1a64(h, tail, (size_t)tl);
    snprintf(key, sizeof(key), "%016llx", (unsigned long long)h);
    setenv("JRUN_EXEC_PLAN_KEY", key, 1); /* a miss: the JVM stores the entry under this name */

    /* <root>/.plan-cache/<build>/<key>, each level root's own and private */
    if (snprintf(path, sizeof(path), "%s/.plan-cache", px->root) >= (int)sizeof(path) || lstat(path, &st) < 0
        || !private_to_root(&st, 1))
        return NULL;
    if (snprintf(path, sizeof(path), "%s/.plan-cache/%s", px->root, build) >= (int)sizeof(path)
        || lstat(path, &st) < 0 || !private_to_root(&st, 1))
        return NULL;
    if (snprintf(path, sizeof(path), "%s/.plan-cache/%s/%s", px->root, build, key) >= (int)sizeof(path))
        return NULL;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) < 0 || !private_to_root(&st, 0) || st.st_size < 16 || st.st_size > ENTRY_MAX) {
        close(fd);
        return NULL;
    }
    /* read through the fd just checked: the path may name another file by now (a --root others can
       write could have its .plan-cache swapped for theirs between the check and a second open) */
    px->entry_len = (size_t)st.st_size;
    px->entry = read_exactly(fd, px->entry_len);
    close(fd);
    if (!px->entry)
        return NULL;

    /* the stand-ins: the init's pid, the container's cgroup directories */
    char pid[64];
    snprintf(pid, sizeof(pid), "/proc/%llu/", (unsigned long long)px->rec.pid);
    px->from[0] = PID_STANDIN;
    px->to[0] = strdup(pid);
    px->nsubst = 1;
    for (int k = 0; k < px->rec.ndirs && k < REC_MAX_DIRS; k++) {
        char *f = malloc(32);
        if (!f)
            return NULL;
        snprintf(f, 32, "@@CGDIR%d@@", k);
        px->from[px->nsubst] = f;
        px->to[px->nsubst++] = (char *)px->rec.dirs[k];
    }
    if (!parse_entry(px, build, ntok, masked, id_index, config, config_len))
        return NULL;
    free(config);
    utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW); /* used now: the newest for eviction */
    unsetenv("JRUN_EXEC_PLAN_KEY");
    return px;
}

/* ---- Java's part of an exec on the control channel ---- */

static const char *errno_words(const struct plancache_exec *px, int e, char *buf, size_t size)
{
    return entry_errno(px->err, px->nerr, e, buf, size);
}

/* Plan.describe, as ExecCommand reports it (exit 255). */
static int failed_step(const struct plancache_exec *px, const char *rest)
{
    unsigned step;
    int err, off = 0;
    char words[200];
    if (sscanf(rest, "%u %d %n", &step, &err, &off) < 2) {
        say_stderr("jrun: exec %s: unexpected message from the stage: error %s", px->id, rest);
        return 255;
    }
    const char *detail = off ? rest + off : "";
    char *desc = step < px->nsteps ? subst(px, px->desc[step].p, px->desc[step].len, NULL) : NULL;
    char fallback[32];
    snprintf(fallback, sizeof(fallback), "step %u", step);
    const char *d = desc ? desc : fallback;
    if (step < px->nsteps && px->lookup[step] && err == ENOENT && !strchr(detail, '/'))
        say_stderr("jrun: %s: executable file not found in the rootfs (searched $PATH %.*s)", d,
            (int)px->lookup_path[step].len, (const char *)px->lookup_path[step].p);
    else if (*detail && !(step < px->nsteps && px->lookup[step]))
        say_stderr("jrun: %s: %s: %s", d, detail, errno_words(px, err, words, sizeof(words)));
    else
        say_stderr("jrun: %s: %s", d, errno_words(px, err, words, sizeof(words)));
    free(desc);
    return 255;
}

/* One line from the monitor (without its newline), or -1 at EOF or error. */
static int read_line(int fd, char *line, size_t size)
{
    size_t n = 0;
    for (;;) {
        char c;
        ssize_t k = read(fd, &c, 1);
        if (k < 0 && errno == EINTR)
            continue;
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

int plancache_exec_control(struct plancache_exec *px, int in_fd, int out_fd)
{
    char line[600], words[200];
    unsigned char hdr[8] = { 'P', 'L', 'A', 'N', (unsigned char)px->plan_len, (unsigned char)(px->plan_len >> 8),
                             (unsigned char)(px->plan_len >> 16), (unsigned char)(px->plan_len >> 24) };
    if (write_all(out_fd, hdr, 8) < 0 || write_all(out_fd, px->plan, px->plan_len) < 0) {
        say_stderr("jrun: exec %s: the stage went away: %s", px->id, errno_words(px, errno, words, sizeof(words)));
        return 255;
    }
    int started = 0;
    for (;;) {
        if (read_line(in_fd, line, sizeof(line)) < 0) {
            say_stderr("jrun: exec %s: the stage went away", px->id);
            return 255; /* the channel closes with us: the monitor kills what it cloned */
        }
        if (!strncmp(line, "error ", 6))
            return failed_step(px, line + 6);
        int pid;
        if (!started && sscanf(line, "created %d", &pid) == 1) {
            /* Jrun.exec: the pid file before the program runs, then start */
            if (px->pid_file && write_pid_file(px->pid_file, pid) < 0) {
                say_stderr("jrun: write pid file %s: %s", px->pid_file, errno_words(px, errno, words, sizeof(words)));
                return 255;
            }
            if (write_all(out_fd, "start\n", 6) < 0) {
                say_stderr("jrun: exec %s: the stage went away", px->id);
                return 255;
            }
            started = 1;
            if (!px->detach)
                continue;
            /* execDetached: the first answer to start, then the process is left to run */
            if (read_line(in_fd, line, sizeof(line)) < 0) {
                say_stderr("jrun: exec %s: the stage went away", px->id);
                return 255;
            }
            if (!strncmp(line, "error ", 6))
                return failed_step(px, line + 6);
            if (write_all(out_fd, "detach\n", 7) < 0)
                return 255;
            close(out_fd);
            return 0;
        }
        if (!strncmp(line, "exited ", 7)) {
            /* Container.close for an exec: nothing of its own to remove */
            write_all(out_fd, "done\n", 5);
            close(out_fd);
            return 0;
        }
        /* "started": nothing to do */
    }
}
