/*
 * The plan: the wire format between jrun's Java side and this stage.
 *
 * Java compiles an OCI config into a list of steps; this stage executes them
 * in order and holds no OCI policy of its own.  The ops, their argument
 * signatures, the encoding and the control channel's lines are defined once, in
 * src/main/protocol/protocol.def; generate-protocol.sh writes protocol.h from it
 * for this side and StageOp/Protocol for Java's, at build time.
 */
#ifndef JRUN_PLAN_H
#define JRUN_PLAN_H

#include "protocol.h"

#include <stddef.h>
#include <stdint.h>

#define CHDIR_NOW 0
#define CHDIR_TRY_FIRST 1
#define CHDIR_IF_NOT_YET 2

struct plan_arg {
    uint8_t kind;
    uint64_t num;
    const char *str;
    uint32_t len;
};

struct plan_step {
    uint16_t op;
    uint16_t nargs;
    struct plan_arg *args;
};

struct plan {
    uint32_t nsteps;
    struct plan_step *steps;
};

/* Decodes buf (len bytes, kept alive by the caller). Returns 0 or -errno: -EBADMSG also for a step of an op
   of the protocol whose arguments are not those protocol.def gives it. */
int plan_decode(const unsigned char *buf, size_t len, struct plan *out);

#endif
