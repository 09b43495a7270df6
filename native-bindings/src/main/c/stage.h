/* Declarations shared by the stage's parts: the monitor, the child steps and path resolution. */
#ifndef JRUN_STAGE_H
#define JRUN_STAGE_H

#include "plan.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What the container's init tells its monitor, over a pipe, before execve. */
#define CHILD_READY 1 /* everything is set up: waiting for start */
#define CHILD_ERROR 2 /* a step failed: step, err and detail say which and why */
#define CHILD_EXEC 3  /* about to execve: the report pipe's EOF that follows means it succeeded */
#define CHILD_PAUSED 4 /* stopped at a hook point: waits for one byte on the start pipe */
#define CHILD_SECCOMP 5 /* loaded a filter with a listener and sent its fd on the seccomp socket; the init
                           waits for one byte on that socket, written once the listener has the fd */

struct child_msg {
    uint32_t type;
    uint32_t step;
    int32_t err;
    char detail[240];
};

/*
 * The container's init keeps stdio, the preserved fds 3..base-1, and above them:
 * base: its report pipe to the monitor, base+1: the start pipe, base+2: the exec fifo,
 * base+3: the socket the pty master is sent over, base+4: the seccomp socket (the notify fd goes to
 * the monitor over it, and back comes the monitor's word that the listener has it), base+5: the
 * idmapped rootfs tree, base+6..: the bind trees (OP_BIND_TREE).
 */
#define CHILD_REPORT_OFFSET 0
#define CHILD_START_OFFSET 1
#define CHILD_FIFO_OFFSET 2
#define CHILD_CONSOLE_OFFSET 3
#define CHILD_SECCOMP_OFFSET 4
#define CHILD_IDMAP_OFFSET 5
#define CHILD_LAST_OFFSET CHILD_IDMAP_OFFSET
/* Above them, until pivot_root: the detached bind trees of the plan's OP_BIND_TREE steps, in order. */
#define CHILD_MAX_TREES 128

/* Runs the steps after OP_CLONE in the freshly cloned child; never returns. */
void child_run(const struct plan *plan, uint32_t first_step, int base_fd, int die_with_monitor)
    __attribute__((noreturn));

/*
 * Opens path (absolute or relative, as seen inside the rootfs) below rootfd
 * without letting any symlink or ".." lead out of it.  Missing components are
 * created as directories; the last one as a directory (kind 0) or an empty
 * file (kind 1).  Returns an O_PATH fd or -errno; detail names the component
 * that failed.
 */
#define TARGET_DIR 0
#define TARGET_FILE 1
int open_in_root(int rootfd, const char *path, int kind, char *detail, size_t detail_len);

/* Opens an existing path inside rootfd without following anything out of it; -errno on failure. */
int open_existing_in_root(int rootfd, const char *path);

/* Opens the parent directory of path inside rootfd (creating it) and points *name at the last component. */
int open_parent_in_root(int rootfd, const char *path, const char **name, char *detail, size_t detail_len);

/*
 * Device rules on cgroup v2 (cgdev.c).  cgdev_load returns a program fd or -errno (detail: the
 * verifier's reason, from its log); cgdev_replace attaches it to a cgroup directory fd
 * (BPF_F_ALLOW_MULTI) and detaches the device programs jrun attached there before, returning 0
 * or -errno (op names the bpf() command that failed).
 */
int cgdev_load(const uint64_t *words, size_t n, char *detail, size_t detail_len);
int cgdev_replace(int cgroup_fd, int prog_fd, const char **op);

#endif
