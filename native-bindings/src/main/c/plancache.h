/*
 * The compiled-plan cache of `jrun run` (see plancache.c and io.jrun.runtime.plancache.PlanCache).
 */
#ifndef JRUN_PLANCACHE_H
#define JRUN_PLANCACHE_H

#include <stddef.h>

struct plancache;

/* Sets JRUN_BUILD_ID (this build's id) for the JVM; returns the entry for this command line when the
   launcher can run it without a JVM (every stored input equal to what it finds now), else NULL. */
struct plancache *plancache_lookup(int argc, char **argv, const char *stage_path, const char *libdir);

/* Plays Java's part for a cached entry in a forked child: reads the monitor's lines on in_fd, writes
   the plan and its answers to out_fd. Returns the child's exit status. */
int plancache_control(struct plancache *pc, int in_fd, int out_fd);

/* plancache_create.c: what only the launcher knows at a create from the cache, for the records' slots. */
struct records_slots {
    const char *sentinel, *id, *created;
    unsigned long long pid, start;
    char *const *made; /* the cgroup directories made, in cgroup.json's order */
    size_t nmade;
};

/* The records (native.rec) of a create: the stored template with its slots filled, malloc'd, or NULL if it
   does not decode. *state_text and *cgroup_text: the filled texts of state.json (created) and cgroup.json. */
unsigned char *records_fill(const unsigned char *tmpl, size_t len, const struct records_slots *v, size_t *out_len,
                            char **state_text, char **cgroup_text);

/* The global flags a cached command may have: --root, --log, --log-format; -1 for any other. */
int global_flags(int argc, char **argv, int *i, const char **root, const char **log, const char **format,
                 int *logging);

#endif
