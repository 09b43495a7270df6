/* Decoding of the plan, with every length checked against the buffer and every step against its op's signature. */
#define PROTOCOL_DEFINE_TABLES
#include "plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct reader {
    const unsigned char *p;
    size_t left;
};

static int take(struct reader *r, void *dst, size_t n)
{
    if (r->left < n)
        return -EBADMSG;
    memcpy(dst, r->p, n);
    r->p += n;
    r->left -= n;
    return 0;
}

static int take_u16(struct reader *r, uint16_t *v)
{
    unsigned char b[2];
    if (take(r, b, 2))
        return -EBADMSG;
    *v = (uint16_t)(b[0] | (b[1] << 8));
    return 0;
}

static int take_u32(struct reader *r, uint32_t *v)
{
    unsigned char b[4];
    if (take(r, b, 4))
        return -EBADMSG;
    *v = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
    return 0;
}

static int take_u64(struct reader *r, uint64_t *v)
{
    uint32_t lo, hi;
    if (take_u32(r, &lo) || take_u32(r, &hi))
        return -EBADMSG;
    *v = ((uint64_t)hi << 32) | lo;
    return 0;
}

static int take_arg(struct reader *r, struct plan_arg *a)
{
    if (take(r, &a->kind, 1))
        return -EBADMSG;
    if (a->kind == ARG_U64)
        return take_u64(r, &a->num);
    if (a->kind != ARG_STR || take_u32(r, &a->len))
        return -EBADMSG;
    /* the string, then its NUL: both must lie inside the buffer */
    if (r->left < (size_t)a->len + 1 || r->p[a->len] != '\0' || memchr(r->p, '\0', a->len))
        return -EBADMSG;
    a->str = (const char *)r->p;
    r->p += (size_t)a->len + 1;
    r->left -= (size_t)a->len + 1;
    return 0;
}

/* Whether the step's arguments are those protocol.def gives its op; an op not in it is left to the executor. */
static int matches_signature(const struct plan_step *s)
{
    const char *sig = s->op <= PLAN_OP_MAX ? plan_op_args[s->op] : NULL;
    if (!sig)
        return 1;
    size_t fixed = strlen(sig);
    int repeats = fixed && sig[fixed - 1] == '*';
    if (repeats)
        fixed -= 2;
    if (s->nargs < fixed || (!repeats && s->nargs > fixed))
        return 0;
    for (size_t j = 0; j < s->nargs; j++) {
        char kind = sig[j < fixed ? j : fixed];
        if (s->args[j].kind != (kind == 'u' ? ARG_U64 : ARG_STR))
            return 0;
    }
    return 1;
}

int plan_decode(const unsigned char *buf, size_t len, struct plan *out)
{
    struct reader r = { buf, len };
    char magic[8];
    uint32_t version, n;

    if (len > PLAN_MAX_BYTES || take(&r, magic, 8) || memcmp(magic, PLAN_MAGIC, 8))
        return -EBADMSG;
    if (take_u32(&r, &version) || version != PLAN_VERSION)
        return -EPROTO;
    /* each step takes at least 4 bytes: refuse a count the buffer cannot hold (the bytes are the limit) */
    if (take_u32(&r, &n) || (size_t)n * 4 > r.left)
        return -EBADMSG;
    out->nsteps = n;
    out->steps = calloc(n ? n : 1, sizeof(*out->steps));
    if (!out->steps)
        return -ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        struct plan_step *s = &out->steps[i];
        if (take_u16(&r, &s->op) || take_u16(&r, &s->nargs))
            return -EBADMSG;
        /* each argument takes at least 6 bytes: refuse counts the buffer cannot hold */
        if ((size_t)s->nargs * 6 > r.left)
            return -EBADMSG;
        s->args = calloc(s->nargs ? s->nargs : 1, sizeof(*s->args));
        if (!s->args)
            return -ENOMEM;
        for (uint16_t j = 0; j < s->nargs; j++)
            if (take_arg(&r, &s->args[j]))
                return -EBADMSG;
        if (!matches_signature(s))
            return -EBADMSG;
    }
    return r.left == 0 ? 0 : -EBADMSG;
}
