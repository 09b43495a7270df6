/*
 * The compiled-plan cache of `jrun exec` (plancache_exec.c, io.jrun.runtime.plancache.ExecPlanCache),
 * and the helpers of plancache.c it shares.
 */
#ifndef JRUN_PLANCACHE_EXEC_H
#define JRUN_PLANCACHE_EXEC_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct plancache_exec;

/* After plancache_lookup (which sets JRUN_BUILD_ID when the cache is on): the entry for this `exec` command
   line when the launcher can run it without a JVM (the container's records, config and the stored inputs
   equal to what it finds now), else NULL; on a miss of a command line it could take, JRUN_EXEC_PLAN_KEY
   tells the JVM the entry's name, so that it stores one. */
struct plancache_exec *plancache_exec_lookup(int argc, char **argv);

/* Plays Java's part of an exec in a forked child on the control channel; returns the child's exit status. */
int plancache_exec_control(struct plancache_exec *px, int in_fd, int out_fd);

/* plancache.c */
/* Bytes of a cache entry, and a bounds-checked little-endian reader over them (bad once it ran out). */
struct view {
    const unsigned char *p;
    size_t len;
};
struct reader {
    const unsigned char *p;
    size_t left;
    int bad;
};
uint32_t rd_u32(struct reader *r);
int rd_u8(struct reader *r);
struct view rd_str(struct reader *r);
int equals(struct view v, const void *p, size_t len);
int equals_str(struct view v, const char *s);
/* One line on stderr ("jrun: ..."; to --log for a cached create that has one). */
void say_stderr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An entry's words for errno e (Java's Errno.describe), or "errno N". */
const char *entry_errno(const struct view *err, uint32_t nerr, int e, char *buf, size_t size);
/* PlanCache.writeSteps read back: -1 when damaged. */
int rd_steps(struct reader *r, uint32_t *nsteps, struct view **desc, unsigned char **lookup,
             struct view **lookup_path, uint32_t *nerr, struct view **err);
/* A whole file (up to max bytes), malloc'd, or NULL. */
unsigned char *read_file(const char *path, size_t max, size_t *len);
/* Java's Path.toAbsolutePath().normalize(). */
int absolute(const char *p, char out[PATH_MAX]);
/* A directory (dir) or file of the cache: root's, nobody else may read or write it. */
int private_to_root(const struct stat *st, int dir);
/* Jrun.writePidFile: the pid through a hidden temporary file beside it; -1 with errno. */
int write_pid_file(const char *file, int pid);

#endif
