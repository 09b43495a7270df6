/*
 * The compiled-plan cache of `jrun run` (see plancache.c and io.jrun.runtime.plancache.PlanCache).
 */
#ifndef JRUN_PLANCACHE_H
#define JRUN_PLANCACHE_H

struct plancache;

/* Sets JRUN_BUILD_ID (this build's id) for the JVM; returns the entry for this command line when the
   launcher can run it without a JVM (every stored input equal to what it finds now), else NULL. */
struct plancache *plancache_lookup(int argc, char **argv, const char *stage_path, const char *libdir);

/* Plays Java's part for a cached entry in a forked child: reads the monitor's lines on in_fd, writes
   the plan and its answers to out_fd. Returns the child's exit status. */
int plancache_control(struct plancache *pc, int in_fd, int out_fd);

#endif
