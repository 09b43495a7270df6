/*
 * The records (native.rec) of a `jrun create` run from the plan cache.  Java stored them with slots for
 * what only the launcher knows at create (io.jrun.runtime.plancache.PlanCache.fillRecords, which this
 * mirrors byte for byte, and which Java checked against the records it wrote itself):
 *   - in every string, in one pass from left to right: the sentinel id, "1999999999" (the init's pid),
 *     "1999999998" (its start time), "@@CREATED@@" (the time) and "\"@@MADE@@\"" (the cgroup directories
 *     jrun made, as JSON strings separated by commas);
 *   - a u64 argument of 1999999999 or 1999999998: the pid or the start time;
 *   - the step REC_CGROUP_MADE "@@MADE@@": one such step per directory made.
 * No OCI policy here: which texts hold which slots Java decided.
 */
#define _GNU_SOURCE
#include "plancache.h"
#include "plan.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PID_SLOT 1999999999ULL
#define START_SLOT 1999999998ULL
#define MADE_SLOT "@@MADE@@"

struct out {
    unsigned char *p;
    size_t n, cap;
    int bad;
};

static void put(struct out *o, const void *p, size_t k)
{
    if (o->bad)
        return;
    if (o->n + k > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->n + k)
            cap *= 2;
        unsigned char *np = realloc(o->p, cap);
        if (!np) {
            o->bad = 1;
            return;
        }
        o->p = np;
        o->cap = cap;
    }
    memcpy(o->p + o->n, p, k);
    o->n += k;
}

static void put_le(struct out *o, uint64_t v, int k)
{
    unsigned char b[8];
    for (int i = 0; i < k; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put(o, b, (size_t)k);
}

/* s with its slots filled, NUL-terminated in a malloc'd buffer. */
static char *fill_text(const struct records_slots *v, const char *s, size_t len, size_t *out_len)
{
    char pid[24], start[24], made[] = "\"" MADE_SLOT "\"";
    snprintf(pid, sizeof(pid), "%llu", PID_SLOT);
    snprintf(start, sizeof(start), "%llu", START_SLOT);
    char vpid[24], vstart[24];
    snprintf(vpid, sizeof(vpid), "%llu", v->pid);
    snprintf(vstart, sizeof(vstart), "%llu", v->start);
    const char *from[5] = { v->sentinel, pid, start, "@@CREATED@@", made };
    const char *to[5] = { v->id, vpid, vstart, v->created, NULL };
    struct out o = { 0 };
    for (size_t i = 0; i < len;) {
        int hit = -1;
        for (int k = 0; k < 5 && hit < 0; k++) {
            size_t fl = strlen(from[k]);
            if (fl && i + fl <= len && !memcmp(s + i, from[k], fl))
                hit = k;
        }
        if (hit < 0) {
            put(&o, s + i, 1);
            i++;
            continue;
        }
        if (hit == 4) {
            for (size_t m = 0; m < v->nmade; m++) {
                put(&o, m ? ",\"" : "\"", m ? 2 : 1);
                put(&o, v->made[m], strlen(v->made[m]));
                put(&o, "\"", 1);
            }
        } else {
            put(&o, to[hit], strlen(to[hit]));
        }
        i += strlen(from[hit]);
    }
    put(&o, "", 1);
    if (o.bad) {
        free(o.p);
        return NULL;
    }
    if (out_len)
        *out_len = o.n - 1;
    return (char *)o.p;
}

static void put_str(struct out *o, const char *s, size_t l)
{
    unsigned char kind = ARG_STR;
    put(o, &kind, 1);
    put_le(o, l, 4);
    put(o, s, l + 1); /* with its NUL */
}

/* Before the command: --root DIR, --log FILE, --log-format FORMAT (each at most once, "--flag value" or
   "--flag=value"); -1 for anything else, or a format Java's Log refuses. */
int global_flags(int argc, char **argv, int *i, const char **root, const char **log, const char **format,
                 int *logging)
{
    static const char *names[3] = { "--root", "--log", "--log-format" };
    int seen[3] = { 0, 0, 0 };
    for (; *i < argc && argv[*i][0] == '-'; (*i)++) {
        const char *a = argv[*i], *v = NULL;
        int k = -1;
        for (int n = 0; n < 3 && k < 0; n++) {
            size_t l = strlen(names[n]);
            if (!strcmp(a, names[n]) && *i + 1 < argc) {
                k = n;
                v = argv[++*i];
            } else if (!strncmp(a, names[n], l) && a[l] == '=') {
                k = n;
                v = a + l + 1;
            }
        }
        if (k < 0 || seen[k]++)
            return -1;
        if (k == 0)
            *root = v;
        else if (k == 1)
            *log = v;
        else
            *format = v;
        *logging |= k > 0;
    }
    if (*format && strcmp(*format, "text") && strcmp(*format, "json"))
        return -1;
    return 0;
}

unsigned char *records_fill(const unsigned char *tmpl, size_t len, const struct records_slots *v, size_t *out_len,
                            char **state_text, char **cgroup_text)
{
    struct plan plan;
    struct out o = { 0 };
    uint32_t nsteps = 0;
    *state_text = *cgroup_text = NULL;
    if (len < 16 || plan_decode(tmpl, len, &plan) < 0)
        return NULL;
    put(&o, tmpl, 12); /* magic and version; the step count once known */
    put_le(&o, 0, 4);
    for (uint32_t i = 0; i < plan.nsteps && !o.bad; i++) {
        const struct plan_step *s = &plan.steps[i];
        if (s->op == OP_REC_CGROUP_MADE && s->nargs == 1 && s->args[0].kind == ARG_STR
            && !strcmp(s->args[0].str, MADE_SLOT)) {
            for (size_t m = 0; m < v->nmade; m++) {
                put_le(&o, OP_REC_CGROUP_MADE, 2);
                put_le(&o, 1, 2);
                put_str(&o, v->made[m], strlen(v->made[m]));
                nsteps++;
            }
            continue;
        }
        put_le(&o, s->op, 2);
        put_le(&o, s->nargs, 2);
        for (uint16_t k = 0; k < s->nargs && !o.bad; k++) {
            const struct plan_arg *a = &s->args[k];
            if (a->kind == ARG_U64) {
                unsigned char kind = ARG_U64;
                put(&o, &kind, 1);
                put_le(&o, a->num == PID_SLOT ? v->pid : a->num == START_SLOT ? v->start : a->num, 8);
                continue;
            }
            size_t l;
            char *f = fill_text(v, a->str, a->len, &l);
            if (!f) {
                o.bad = 1;
                break;
            }
            put_str(&o, f, l);
            /* the texts the launcher writes as state.json and cgroup.json: the records' own */
            if (s->op == OP_REC_STATE_TEXT && k == 1 && s->args[0].num == 0 && !*state_text)
                *state_text = f;
            else if (s->op == OP_REC_CGROUP_TEXT && k == 0 && !*cgroup_text)
                *cgroup_text = f;
            else
                free(f);
        }
        nsteps++;
    }
    for (uint32_t i = 0; i < plan.nsteps; i++)
        free(plan.steps[i].args);
    free(plan.steps);
    if (o.bad || !*state_text || !*cgroup_text) {
        free(o.p);
        free(*state_text);
        free(*cgroup_text);
        *state_text = *cgroup_text = NULL;
        return NULL;
    }
    for (int b = 0; b < 4; b++)
        o.p[12 + b] = (unsigned char)(nsteps >> (8 * b));
    *out_len = o.n;
    return o.p;
}
