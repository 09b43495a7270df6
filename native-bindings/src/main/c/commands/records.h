/*
 * natives: the commands that compile nothing (state, start, kill, delete, list, ps, pause,
 * resume), run by the launcher without a JVM from the records Java wrote at create (plan.h,
 * OP_REC_*).  Java decides everything; these follow the records.  Whenever something is not
 * as recorded, or not a case handled here, a command returns NATIVE_FALLBACK before it has
 * printed anything, and the launcher starts the JVM as for any other command.
 */
#ifndef JRUN_RECORDS_H
#define JRUN_RECORDS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "launcher.h" /* valid_id, fnv1a64 */
#include "plan.h"

#define NATIVE_FALLBACK (-1)
#define REC_MAX_DIRS 32
#define REC_MAX_HOOKS 16

enum { ST_CREATED, ST_RUNNING, ST_PAUSED, ST_STOPPED };

struct rec_hook {
    uint64_t kind, timeout;
    const char *timeout_text;
    uint64_t argc, envc;
    const char **argv, **envp;
};

struct records {
    char dir[PATH_MAX];
    const char *id;
    uint64_t pid, start_time;
    const char *state_text[2];
    uint32_t state_len[2];
    const char *cgroup_text;
    uint32_t cgroup_len;
    int has_cgroup, v2;
    const char *dirs[REC_MAX_DIRS];
    int ndirs;
    const char *made[REC_MAX_DIRS];
    int nmade;
    const char *oci_pretty[4], *oci_compact[4];
    const char *bundle, *created;
    uint64_t config_len, config_hash, hooks, terminal;
    struct rec_hook hook[REC_MAX_HOOKS]; /* poststart and poststop, in order */
    int nhooks;
    int started;  /* state.json is the recorded "started" text */
    int lock_fd;  /* -1 unless rec_lock */
    unsigned char *buf;
    struct plan plan;
};

/* What the global flags said. */
struct natives_global {
    const char *root;
    const char *log;     /* NULL: stderr only */
    int json;            /* --log-format json */
};

/* Loads and checks the records of container id under root; 0, or NATIVE_FALLBACK. */
int rec_load(const char *root, const char *id, struct records *r);
void rec_free(struct records *r);
/* Takes the container's lock as Java does (fcntl write lock on DIR/lock); 0 or NATIVE_FALLBACK. */
int rec_lock(const char *dir, int *fd);
void rec_unlock(int *fd);
/* The status, derived as Java derives it. */
int rec_status(const struct records *r);
int proc_alive(uint64_t pid, uint64_t start_time);
long long proc_start_time(long pid);
int cg_frozen(const struct records *r);
int cg_set_frozen(const struct records *r, int frozen);
/* The pids of the container's cgroup, as Java's ContainerCgroup.pids(); returns the count (at most max). */
int cg_pids(const struct records *r, long *pids, int max);
int send_signal_checked(long pid, unsigned long long start, int sig);
int write_all_fd(int fd, const char *s, size_t len);
/* One error line as Java's Log writes it: "jrun: MSG" on stderr, and the log file's line. */
void native_error(const struct natives_global *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runs the records' hooks of kind (2 poststart, 4 poststop) as HookRunner.runWarning: state on stdin,
   a failure one warning line. -1 (before running any) when one cannot be run here. */
int hooks_runnable(const struct records *r, uint64_t kind);
void run_hooks(const struct records *r, uint64_t kind, const char *state);

int cmd_state(const struct natives_global *g, int argc, char **argv);
int cmd_start(const struct natives_global *g, int argc, char **argv);
int cmd_kill(const struct natives_global *g, int argc, char **argv);
int cmd_delete(const struct natives_global *g, int argc, char **argv);
int cmd_list(const struct natives_global *g, int argc, char **argv);
int cmd_ps(const struct natives_global *g, int argc, char **argv);
int cmd_pause(const struct natives_global *g, int argc, char **argv, int pause);

/* The launcher's entry: the command's exit status, or NATIVE_FALLBACK to start the JVM. */
int natives_main(int argc, char **argv);

#endif
