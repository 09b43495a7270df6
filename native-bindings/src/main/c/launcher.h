/*
 * Declarations shared by the launcher's parts (the `jrun` binary outside the container's init):
 * main.c (argv dispatch), sealed.c (the sealed-copy re-exec), frontend.c (the CLI front end that
 * starts the JVM), monitor.c (the monitor loop and the control lines), preclone.c (the plan's
 * pre-clone steps and the clone), util.c, and the native commands under commands/.
 */
#ifndef JRUN_LAUNCHER_H
#define JRUN_LAUNCHER_H

#include "stage.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

struct monitor {
    int ctl_in, ctl_out; /* control channel with Java */
    int sigfd;
    pid_t jvm;           /* front-end: the JVM child, else 0 */
    int jvm_status;
    pid_t init;          /* the container's init, once cloned */
    int report_fd;       /* read end of the init's report pipe, -1 after it closed */
    int start_fd;        /* write end of the init's start pipe */
    unsigned pending;    /* bit i: forwarded[i] arrived before the init existed */
    int init_status;     /* the init's wait status, once reaped */
    int console_sock;    /* our end of the socketpair the init sends its pty master over, or -1 */
    int master;          /* the pty master we copy to and from our own stdio, or -1 */
    int stdin_open;      /* our stdin still has data to copy to the master */
    int done;            /* Java said "done" */
    int exec_seen;       /* the init said it is about to execve */
    int outlives;        /* the init outlives us (create, exec --detach): never reap it, so that
                            whoever adopts it (conmon, the shim) gets its exit status */
    int created;         /* the init reported it is set up */
    int detached;        /* Java said "detach" */
    int java_exit;       /* Java said "exit N" after detach: N, else -1 */
    int ctl_eof;         /* the control channel reached its end (or failed) */
    int devices_cg;      /* OP_CGROUP_DEVICES: the cgroup directory, the loaded program and its step, */
    int devices_prog;    /* attached when the init reports it is set up; -1 when none */
    uint32_t devices_step;
    const struct plan_step *listener; /* OP_SECCOMP_LISTENER: the path and the state JSON's parts, or NULL */
    uint32_t listener_step;
    int listener_sock;   /* connected to the seccomp listener until the notify fd is sent, or -1 */
    int seccomp_ack;     /* our end of the init's seccomp socket, or -1 */
    char line[512];
    size_t line_len;
};

/* util.c */
/* Prints "jrun: " and the message as one line on stderr and exits 125. */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Writes (or reads) all of len bytes, through EINTR and short transfers; -1 on error or EOF. */
int write_all(int fd, const void *buf, size_t len);
int read_all(int fd, void *buf, size_t len);
/* A container id as StateDir.checkId accepts it: letters, digits and _+.-, starting with a letter or digit. */
int valid_id(const char *id);
/* FNV-1a 64 of n bytes, continuing from h (FNV_START for a new hash), as Java's records and cache keys use it. */
#define FNV_START 0xcbf29ce484222325ULL
uint64_t fnv1a64(uint64_t h, const void *p, size_t n);

/* sealed.c */
/* The file this binary was started from (we run from a sealed copy of it: see run_from_sealed_copy). */

extern char stage_path[PATH_MAX];
/* Re-executes this binary from a sealed memfd copy of itself unless it already is that copy. */
void run_from_sealed_copy(char **argv);

/* frontend.c */
int front_end(int argc, char **argv);

/* monitor.c */
void say(struct monitor *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void say_error(struct monitor *m, uint32_t step, int err, const char *detail);
unsigned char *read_plan(int fd, size_t *len);
void setup_signals(struct monitor *m);
void forward(struct monitor *m, int sig);
int reap(struct monitor *m);
void kill_init_and_wait(struct monitor *m);
int read_control(struct monitor *m);
void supervise(struct monitor *m);
void drain_master(struct monitor *m);
int stage(const char *socket_path);

/* preclone.c: runs the plan's steps up to OP_CLONE, clones the init and lets it go */
void run_monitor(struct monitor *m, const unsigned char *buf, size_t len);

/* commands/ */
int send_signal(const char *pid_s, const char *start_s, const char *sig_s);
int cgroup_devices(const char *dir);

#endif
