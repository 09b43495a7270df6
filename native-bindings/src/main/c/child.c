/*
 * The container's init before execve: runs the plan's steps in order, one
 * function per concern.  A failing step reports its index, errno and a short
 * detail to the monitor and exits; Java turns that into the user's message.
 */
#define _GNU_SOURCE
#include "stage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER 0x5441
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#ifndef SYS_pivot_root
#define SYS_pivot_root 155
#endif

struct child {
    const struct plan *plan;
    uint32_t step;
    int die_with_monitor;
    int base_fd; /* report pipe; start pipe and exec fifo follow */
    int rootfd;
    char **argv_buf; /* as many as the plan's ARG steps, and a NULL */
    size_t argc;
    char **envp_buf; /* as many as the plan's ENV steps, and a NULL */
    size_t envc;
    char exe[PATH_MAX];
    char detail[240];
    int cwd_done; /* an OP_CHDIR succeeded */
};

static void report(int fd, uint32_t type, uint32_t step, int err, const char *detail)
{
    struct child_msg m;
    memset(&m, 0, sizeof(m));
    m.type = type;
    m.step = step;
    m.err = err;
    if (detail)
        snprintf(m.detail, sizeof(m.detail), "%s", detail);
    /* smaller than PIPE_BUF: one atomic write */
    while (write(fd, &m, sizeof(m)) < 0 && errno == EINTR)
        ;
}

static void __attribute__((noreturn)) fail(struct child *c, int err, const char *detail)
{
    report(c->base_fd + CHILD_REPORT_OFFSET, CHILD_ERROR, c->step, err, detail ? detail : c->detail);
    _exit(127);
}

static const char *arg_str(struct child *c, const struct plan_step *s, unsigned i)
{
    if (i >= s->nargs || s->args[i].kind != ARG_STR)
        fail(c, EBADMSG, "malformed step");
    return s->args[i].str;
}

static uint64_t arg_u64(struct child *c, const struct plan_step *s, unsigned i)
{
    if (i >= s->nargs || s->args[i].kind != ARG_U64)
        fail(c, EBADMSG, "malformed step");
    return s->args[i].num;
}

static void fd_path(char *buf, size_t len, int fd)
{
    snprintf(buf, len, "/proc/self/fd/%d", fd);
}

static void set_loopback_up(struct child *c)
{
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        fail(c, errno, "socket");
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        fail(c, errno, "SIOCGIFFLAGS lo");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        fail(c, errno, "SIOCSIFFLAGS lo");
    close(s);
}

static void set_root_propagation(struct child *c, uint64_t flags)
{
    if (mount(NULL, "/", NULL, (unsigned long)flags, NULL) < 0)
        fail(c, errno, "mount --make-r* /");
}

static void bind_rootfs(struct child *c, const char *path)
{
    /* the rootfs must be a mount point for pivot_root */
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
        fail(c, errno, "bind rootfs onto itself");
    c->rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (c->rootfd < 0)
        fail(c, errno, "open rootfs");
}

#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif

/*
 * The rootfs through the idmapped tree the monitor made (see OP_IDMAP_ROOTFS), mounted on the rootfs
 * directory, which the monitor made our working directory at clone: the path itself may not be
 * reachable with the container's ids (a parent directory of mode 0700, say).
 */
static void move_idmapped_rootfs(struct child *c, const char *path)
{
    int tree = c->base_fd + CHILD_IDMAP_OFFSET;
    if (fcntl(tree, F_GETFD) < 0) { /* none: the kernel or the filesystem has no idmapped mounts */
        bind_rootfs(c, path);
        return;
    }
    if (syscall(SYS_move_mount, tree, "", AT_FDCWD, ".", MOVE_MOUNT_F_EMPTY_PATH) < 0)
        fail(c, errno, "move_mount the idmapped rootfs");
    c->rootfd = fcntl(tree, F_DUPFD_CLOEXEC, 0); /* the tree's root: now the top of the rootfs */
    if (c->rootfd < 0)
        fail(c, errno, "dup the idmapped rootfs");
    close(tree);
}

/* A bind mount takes new flags only on a remount; the flags it has (some locked) are kept. */
static void remount_bind(struct child *c, const char *target, unsigned long add, const char *what)
{
    struct statvfs sv;
    unsigned long keep = 0;
    if (statvfs(target, &sv) == 0)
        keep = sv.f_flag & (ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME | ST_NODIRATIME | ST_RELATIME);
    if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | keep | add, NULL) < 0)
        fail(c, errno, what);
}

/* Copies the tree under dirfd `from` into dirfd `to`: directories, files, symlinks, with modes and owners. */
static int copy_tree(int from, int to, int depth)
{
    DIR *d;
    struct dirent *e;
    int dup_from = dup(from);
    if (dup_from < 0 || depth > 64 || !(d = fdopendir(dup_from)))
        return -1;
    while ((e = readdir(d))) {
        struct stat st;
        int r = 0;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || fstatat(from, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            int a, b;
            r = mkdirat(to, e->d_name, st.st_mode & 07777);
            a = openat(from, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            b = openat(to, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (r < 0 || a < 0 || b < 0 || copy_tree(a, b, depth + 1) < 0)
                r = -1;
            if (a >= 0)
                close(a);
            if (b >= 0)
                close(b);
        } else if (S_ISREG(st.st_mode)) {
            char buf[65536];
            ssize_t n;
            int a = openat(from, e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            int b = openat(to, e->d_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777);
            r = a < 0 || b < 0 ? -1 : 0;
            while (!r && (n = read(a, buf, sizeof(buf))) > 0)
                if (write(b, buf, (size_t)n) != n)
                    r = -1;
            if (a >= 0)
                close(a);
            if (b >= 0)
                close(b);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlinkat(from, e->d_name, target, sizeof(target) - 1);
            if (n < 0)
                r = -1;
            else {
                target[n] = '\0';
                r = symlinkat(target, to, e->d_name);
            }
        } else {
            continue; /* devices, fifos, sockets: not copied */
        }
        if (r < 0 || fchownat(to, e->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0
            || (!S_ISLNK(st.st_mode) && fchmodat(to, e->d_name, st.st_mode & 07777, 0) < 0)) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    return 0;
}

static void do_mount(struct child *c, const struct plan_step *s)
{
    const char *src = arg_str(c, s, 0), *dest = arg_str(c, s, 1), *fstype = arg_str(c, s, 2);
    unsigned long flags = (unsigned long)arg_u64(c, s, 3);
    const char *data = arg_str(c, s, 4);
    unsigned long remount = (unsigned long)arg_u64(c, s, 5);
    unsigned long propagation = (unsigned long)arg_u64(c, s, 6);
    int kind = (int)arg_u64(c, s, 7);
    char target[64];
    int fd;

    if (c->rootfd < 0)
        fail(c, EINVAL, "mount before rootfs");
    uint64_t kind_arg = arg_u64(c, s, 7), attr_set = arg_u64(c, s, 8), attr_clr = arg_u64(c, s, 9);
    int copyup = kind & 2, tree_source = kind & 4;
    kind &= 1;
    fd = open_in_root(c->rootfd, dest, kind, c->detail, sizeof(c->detail));
    if (fd < 0)
        fail(c, -fd, NULL);
    fd_path(target, sizeof(target), fd);
    int under = copyup ? open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (copyup && under < 0)
        fail(c, errno, "open the directory to copy up");
    if (tree_source) {
        int tree = c->base_fd + CHILD_LAST_OFFSET + 1 + (kind_arg >> 8);
        if ((kind_arg >> 8) >= CHILD_MAX_TREES || fcntl(tree, F_GETFD) < 0)
            fail(c, EBADF, "no detached tree for this mount");
        /* onto the target's fd itself: move_mount follows no symlink, /proc/self/fd/N's neither */
        if (syscall(SYS_move_mount, tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
            fail(c, errno, "move_mount");
        close(tree);
    } else if (mount(*src ? src : NULL, target, *fstype ? fstype : NULL, flags, *data ? data : NULL) < 0) {
        fail(c, errno, "mount");
    }
    if (copyup) {
        int top = open_in_root(c->rootfd, dest, TARGET_DIR, c->detail, sizeof(c->detail));
        char top_path[64];
        int topdir;
        if (top < 0)
            fail(c, -top, NULL);
        fd_path(top_path, sizeof(top_path), top);
        topdir = open(top_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (topdir < 0 || copy_tree(under, topdir, 0) < 0)
            fail(c, errno, "copy up (tmpcopyup)");
        close(topdir);
        close(top);
        close(under);
    }
    if (remount) {
        int mfd = open_in_root(c->rootfd, dest, kind, c->detail, sizeof(c->detail));
        if (mfd < 0)
            fail(c, -mfd, NULL);
        fd_path(target, sizeof(target), mfd);
        remount_bind(c, target, remount, "remount");
        close(mfd);
    }
    if (propagation) {
        int mfd = open_in_root(c->rootfd, dest, kind, c->detail, sizeof(c->detail));
        if (mfd < 0)
            fail(c, -mfd, NULL);
        fd_path(target, sizeof(target), mfd);
        if (mount(NULL, target, NULL, propagation, NULL) < 0)
            fail(c, errno, "set propagation");
        close(mfd);
    }
    if (attr_set || attr_clr) {
        /* "rro" and its kin: on the new mount and every mount below it */
        struct { uint64_t attr_set, attr_clr, propagation, userns_fd; } attr = { attr_set, attr_clr, 0, 0 };
        int mfd = open_in_root(c->rootfd, dest, kind, c->detail, sizeof(c->detail));
        if (mfd < 0)
            fail(c, -mfd, NULL);
        if (syscall(SYS_mount_setattr, mfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
            fail(c, errno, "mount_setattr AT_RECURSIVE");
        close(mfd);
    }
    close(fd);
}

static void do_mknod(struct child *c, const struct plan_step *s)
{
    const char *path = arg_str(c, s, 0), *name;
    mode_t mode = (mode_t)arg_u64(c, s, 1);
    dev_t dev = makedev((unsigned)arg_u64(c, s, 2), (unsigned)arg_u64(c, s, 3));
    uid_t uid = (uid_t)arg_u64(c, s, 4);
    gid_t gid = (gid_t)arg_u64(c, s, 5);
    int pfd = open_parent_in_root(c->rootfd, path, &name, c->detail, sizeof(c->detail));

    if (pfd < 0)
        fail(c, -pfd, NULL);
    /* whatever sits there (a symlink planted by the image, say) is replaced, never followed */
    if (unlinkat(pfd, name, 0) < 0 && errno != ENOENT)
        fail(c, errno, "unlink old entry");
    if (mknodat(pfd, name, mode, dev) < 0)
        fail(c, errno, "mknod");
    if (fchmodat(pfd, name, mode & 07777, 0) < 0)
        fail(c, errno, "chmod");
    if (fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
        fail(c, errno, "chown");
    close(pfd);
}

static void do_symlink(struct child *c, const struct plan_step *s)
{
    const char *target = arg_str(c, s, 0), *path = arg_str(c, s, 1), *name;
    int pfd = open_parent_in_root(c->rootfd, path, &name, c->detail, sizeof(c->detail));

    if (pfd < 0)
        fail(c, -pfd, NULL);
    if (symlinkat(target, pfd, name) < 0 && errno != EEXIST)
        fail(c, errno, "symlink");
    close(pfd);
}

/* Leaves only stdio, the preserved fds, the pipes to the monitor, the exec fifo, the console socket and
   the seccomp socket open. */
static void close_other_fds(struct child *c)
{
    if (c->rootfd >= 0)
        close(c->rootfd);
    c->rootfd = -1;
    if (syscall(SYS_close_range, c->base_fd + CHILD_LAST_OFFSET + 1, ~0U, 0) < 0)
        fail(c, errno, "close_range");
}

static void do_pivot_root(struct child *c)
{
    if (fchdir(c->rootfd) < 0)
        fail(c, errno, "chdir rootfs");
    close_other_fds(c);
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        fail(c, errno, "pivot_root");
    /* the old root is stacked under the new one: keep its unmount from reaching the host, then detach it */
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        fail(c, errno, "make old root rslave");
    if (umount2(".", MNT_DETACH) < 0)
        fail(c, errno, "detach old root");
    if (chdir("/") < 0)
        fail(c, errno, "chdir /");
}

/* mountinfo's octal escapes (\040 for a space, ...) undone in place. */
static void unescape_mountinfo(char *p)
{
    char *out = p;
    for (; *p; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
            *out++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 3;
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
}

static int below(const char *path, const char *dir, size_t len)
{
    return !strncmp(path, dir, len) && (path[len] == '/' || path[len] == '\0' || (len == 1 && dir[0] == '/'));
}

/*
 * --no-pivot leaves the host's mounts in the container's mount namespace, under its root.  A full
 * procfs or sysfs among them lets the container make a user namespace and mount a fresh, unmasked
 * proc (the kernel allows that only when one is fully visible already: mount_too_revealing), so,
 * as runc does, each one outside the rootfs is detached, or covered with an empty tmpfs where it
 * cannot be (locked).
 */
static void hide_host_proc_and_sys(struct child *c, const char *rootfs)
{
    char **paths = NULL;
    size_t n = 0, cap_paths = 0, rlen = strlen(rootfs);
    char *line = NULL;
    size_t cap = 0;
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        fail(c, errno, "open /proc/self/mountinfo");
    while (getline(&line, &cap, f) > 0) {
        /* id parent major:minor root mountpoint options [optional...] - fstype source superoptions */
        char *field[5], *save = NULL, *sep = strstr(line, " - "), fstype[32];
        int k = 0;
        if (!sep || sscanf(sep + 3, "%31s", fstype) != 1 || (strcmp(fstype, "proc") && strcmp(fstype, "sysfs")))
            continue;
        for (char *t = strtok_r(line, " ", &save); t && k < 5; t = strtok_r(NULL, " ", &save))
            field[k++] = t;
        if (k < 5 || strcmp(field[3], "/"))
            continue; /* not the root of the filesystem: not a full mount */
        unescape_mountinfo(field[4]);
        if (below(field[4], rootfs, rlen))
            continue;
        if (n == cap_paths) {
            cap_paths = cap_paths ? cap_paths * 2 : 16;
            paths = realloc(paths, cap_paths * sizeof(*paths));
            if (!paths)
                fail(c, ENOMEM, "list the host's proc and sysfs mounts");
        }
        if (!(paths[n++] = strdup(field[4])))
            fail(c, ENOMEM, "list the host's proc and sysfs mounts");
    }
    free(line);
    fclose(f);
    for (size_t i = 0; i < n; i++) {
        int covered = 0;
        for (size_t j = 0; j < n && !covered; j++) /* one above it goes away with it */
            covered = j != i && strcmp(paths[i], paths[j]) && below(paths[i], paths[j], strlen(paths[j]));
        if (covered)
            continue;
        snprintf(c->detail, sizeof(c->detail), "hide the host's %s", paths[i]);
        if (mount(NULL, paths[i], NULL, MS_SLAVE | MS_REC, NULL) < 0) {
            if (errno == ENOENT)
                continue;
            fail(c, errno, NULL);
        }
        if (umount2(paths[i], MNT_DETACH) < 0) {
            if (errno != EINVAL && errno != EPERM)
                fail(c, errno, NULL);
            if (mount("tmpfs", paths[i], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0)
                fail(c, errno, NULL);
        }
    }
    c->detail[0] = '\0';
}

static void do_move_root(struct child *c)
{
    char rootfs[PATH_MAX], link[64];
    ssize_t len;
    fd_path(link, sizeof(link), c->rootfd);
    if ((len = readlink(link, rootfs, sizeof(rootfs) - 1)) < 0)
        fail(c, errno, "readlink the rootfs");
    rootfs[len] = '\0';
    hide_host_proc_and_sys(c, rootfs);
    if (fchdir(c->rootfd) < 0)
        fail(c, errno, "chdir rootfs");
    close_other_fds(c);
    if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
        fail(c, errno, "move rootfs to /");
    if (chroot(".") < 0)
        fail(c, errno, "chroot");
    if (chdir("/") < 0)
        fail(c, errno, "chdir /");
}

/* "/proc/self/fd/N" of the container's own procfs; refuses a /proc that is not procfs (an over-mount). */
static void proc_fd_path(struct child *c, char *buf, size_t len, int fd)
{
    struct statfs sf;
    if (statfs("/proc/self/fd", &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
        fail(c, EXDEV, "/proc in the container is not procfs");
    fd_path(buf, len, fd);
}

static void do_mask_path(struct child *c, const char *path)
{
    char target[64], null_path[64];
    struct stat st;
    int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    int fd = open_existing_in_root(root, path);
    if (fd == -ENOENT) {
        close(root);
        return;
    }
    if (fd < 0 || fstat(fd, &st) < 0)
        fail(c, fd < 0 ? -fd : errno, "open");
    proc_fd_path(c, target, sizeof(target), fd);
    if (S_ISDIR(st.st_mode)) {
        if (mount("tmpfs", target, "tmpfs", MS_RDONLY, "size=0") < 0)
            fail(c, errno, "mount read-only tmpfs");
    } else {
        /* the container's /dev/null may have been replaced: bind it only when it is the real one */
        struct stat ns;
        int nfd = open_existing_in_root(root, "/dev/null");
        if (nfd < 0 || fstat(nfd, &ns) < 0 || !S_ISCHR(ns.st_mode) || ns.st_rdev != makedev(1, 3))
            fail(c, nfd < 0 ? -nfd : EXDEV, "/dev/null in the container is not the null device");
        proc_fd_path(c, null_path, sizeof(null_path), nfd);
        if (mount(null_path, target, NULL, MS_BIND, NULL) < 0)
            fail(c, errno, "bind /dev/null");
        close(nfd);
    }
    close(fd);
    close(root);
}

static void do_readonly_path(struct child *c, const char *path)
{
    char target[64];
    int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    int fd = open_existing_in_root(root, path);
    if (fd == -ENOENT) {
        close(root);
        return;
    }
    if (fd < 0)
        fail(c, -fd, "open");
    proc_fd_path(c, target, sizeof(target), fd);
    if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
        fail(c, errno, "bind onto itself");
    close(fd);
    fd = open_existing_in_root(root, path); /* now the new mount */
    if (fd < 0)
        fail(c, -fd, "reopen");
    proc_fd_path(c, target, sizeof(target), fd);
    remount_bind(c, target, MS_RDONLY, "remount read-only");
    close(fd);
    close(root);
}

/* Writes a sysctl through the container's own /proc/sys, never following a symlink. */
static void do_sysctl(struct child *c, const char *key, const char *value)
{
    char path[64];
    struct statfs sf;
    int root = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0 || fstatfs(root, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
        fail(c, root < 0 ? errno : EXDEV, "/proc/sys in the container is not procfs");
    int fd = open_existing_in_root(root, key);
    if (fd < 0)
        fail(c, -fd, "open");
    proc_fd_path(c, path, sizeof(path), fd);
    int w = open(path, O_WRONLY | O_CLOEXEC);
    if (w < 0 || write(w, value, strlen(value)) < 0)
        fail(c, errno, "write");
    close(w);
    close(fd);
    close(root);
}

static void do_oom_score_adj(struct child *c, long long v)
{
    char buf[32];
    struct statfs sf;
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    int n = snprintf(buf, sizeof(buf), "%lld", v);
    if (fd >= 0 && (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC))
        fail(c, EXDEV, "/proc in the container is not procfs");
    if (fd < 0 || write(fd, buf, (size_t)n) != n)
        fail(c, errno, "write /proc/self/oom_score_adj");
    close(fd);
}

static void do_rlimit(struct child *c, const struct plan_step *s)
{
    struct rlimit rl = { .rlim_cur = (rlim_t)arg_u64(c, s, 1), .rlim_max = (rlim_t)arg_u64(c, s, 2) };
    if (setrlimit((int)arg_u64(c, s, 0), &rl) < 0) {
        int err = errno;
        struct rlimit host;
        if (getrlimit((int)arg_u64(c, s, 0), &host) == 0 && rl.rlim_max > host.rlim_max)
            snprintf(c->detail, sizeof(c->detail), "the hard limit may not exceed this host's %llu",
                     (unsigned long long)host.rlim_max);
        else
            snprintf(c->detail, sizeof(c->detail), "setrlimit");
        fail(c, err, NULL);
    }
}

struct cap_header {
    uint32_t version;
    int pid;
};
struct cap_data {
    uint32_t effective, permitted, inheritable;
};
#define CAP_VERSION_3 0x20080522

static void do_caps_bounding(struct child *c, uint64_t keep)
{
    /* every bit, not up to /proc's cap_last_cap: that file is the container's to fake on exec */
    for (int cap = 0; cap < 64; cap++)
        if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            fail(c, errno, "PR_CAPBSET_DROP");
    /* the permitted set survives the setuid to come; OP_CAPS sets it exactly */
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        fail(c, errno, "PR_SET_KEEPCAPS");
}

static void do_caps(struct child *c, const struct plan_step *s)
{
    uint64_t eff = arg_u64(c, s, 0), perm = arg_u64(c, s, 1), inh = arg_u64(c, s, 2), amb = arg_u64(c, s, 3);
    struct cap_header h = { CAP_VERSION_3, 0 };
    struct cap_data d[2] = {
        { (uint32_t)eff, (uint32_t)perm, (uint32_t)inh },
        { (uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32) },
    };
    if (syscall(SYS_capset, &h, d) < 0)
        fail(c, errno, "capset");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        fail(c, errno, "PR_CAP_AMBIENT_CLEAR_ALL");
    for (int cap = 0; cap < 64; cap++)
        if ((amb & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
            fail(c, errno, "PR_CAP_AMBIENT_RAISE");
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
}

struct bpf_insn_compat {
    uint16_t code;
    uint8_t jt, jf;
    uint32_t k;
};
struct bpf_prog_compat {
    unsigned short len;
    struct bpf_insn_compat *filter;
};
#ifndef SYS_seccomp
#define SYS_seccomp 317
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER 8UL
#endif

static void do_seccomp(struct child *c, const struct plan_step *s)
{
    static struct bpf_insn_compat insns[4096];
    unsigned n = s->nargs ? s->nargs - 1u : 0;
    if (n == 0 || n > sizeof(insns) / sizeof(insns[0]))
        fail(c, EINVAL, "seccomp program size");
    for (unsigned i = 0; i < n; i++) {
        uint64_t v = arg_u64(c, s, i + 1);
        insns[i].code = (uint16_t)(v >> 48);
        insns[i].jt = (uint8_t)(v >> 40);
        insns[i].jf = (uint8_t)(v >> 32);
        insns[i].k = (uint32_t)v;
    }
    struct bpf_prog_compat prog = { (unsigned short)n, insns };
    unsigned long flags = (unsigned long)arg_u64(c, s, 0);
    long fd = syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, flags, &prog);
    if (fd < 0)
        fail(c, errno, "seccomp(SECCOMP_SET_MODE_FILTER)");
    if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
        /*
         * From here on a syscall the filter notifies waits for a listener that must have the fd first.
         * Only sendmsg(2) and write(2) (refused as notify rules by Java) pass the fd to the monitor,
         * which hands it on; its answer is read whatever the filter does to read(2): a notified read
         * is answered by a listener that has the fd already.
         */
        char b = 'F';
        ssize_t r;
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } ctl;
        int listener = (int)fd;
        struct iovec iov = { &b, 1 };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                              .msg_controllen = sizeof(ctl.buf) };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &listener, sizeof(int));
        do
            r = sendmsg(c->base_fd + CHILD_SECCOMP_OFFSET, &msg, MSG_NOSIGNAL);
        while (r < 0 && errno == EINTR);
        if (r != 1)
            _exit(127); /* no monitor to hand it on: never go on with a filter nobody answers */
        report(c->base_fd + CHILD_REPORT_OFFSET, CHILD_SECCOMP, c->step, 0, NULL);
        do
            r = read(c->base_fd + CHILD_SECCOMP_OFFSET, &b, 1);
        while (r < 0 && errno == EINTR);
        if (r != 1)
            _exit(127); /* the monitor went away before the listener had the fd: never go on */
        close(c->base_fd + CHILD_SECCOMP_OFFSET);
        close((int)fd);
    }
}

#ifndef SYS_ioprio_set
#define SYS_ioprio_set 251
#endif
#ifndef SYS_sched_setattr
#define SYS_sched_setattr 314
#endif

static void do_sched(struct child *c, const struct plan_step *s)
{
    struct {
        uint32_t size, policy;
        uint64_t flags;
        int32_t nice;
        uint32_t priority;
        uint64_t runtime, deadline, period;
    } attr = { 48, (uint32_t)arg_u64(c, s, 0), arg_u64(c, s, 1), (int32_t)arg_u64(c, s, 2), (uint32_t)arg_u64(c, s, 3),
               arg_u64(c, s, 4), arg_u64(c, s, 5), arg_u64(c, s, 6) };
    if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
        fail(c, errno, "sched_setattr");
}

static void do_cpu_affinity(struct child *c, const struct plan_step *s)
{
    static uint64_t mask[128]; /* 8192 CPUs */
    unsigned n = s->nargs;
    if (n == 0 || n > sizeof(mask) / sizeof(mask[0]))
        fail(c, EINVAL, "CPU mask size");
    memset(mask, 0, sizeof(mask));
    for (unsigned i = 0; i < n; i++)
        mask[i] = arg_u64(c, s, i);
    if (syscall(SYS_sched_setaffinity, 0, (size_t)n * 8, mask) < 0)
        fail(c, errno, "sched_setaffinity");
}

/* personality(2): the execution domain (and flags) the program runs with; execve keeps it. */
static void do_personality(struct child *c, uint64_t persona)
{
    if (syscall(SYS_personality, (unsigned long)persona) < 0)
        fail(c, errno, "personality");
    /* personality(2) returns the old value, so the new one is checked by reading it back */
    if ((uint64_t)syscall(SYS_personality, 0xffffffffUL) != persona)
        fail(c, EINVAL, "personality not taken");
}

static void do_setgroups(struct child *c, const struct plan_step *s)
{
    gid_t gids[NGROUPS_MAX > 65536 ? 65536 : NGROUPS_MAX];
    size_t n = s->nargs;
    if (n > sizeof(gids) / sizeof(gids[0]))
        fail(c, E2BIG, "too many groups");
    for (size_t i = 0; i < n; i++)
        gids[i] = (gid_t)arg_u64(c, s, (unsigned)i);
    if (setgroups(n, gids) < 0)
        fail(c, errno, "setgroups");
}

static int is_executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* execvp's search, done before start so that a missing program fails create, not start. */
static void do_lookup(struct child *c, const char *search)
{
    const char *name = c->argc ? c->argv_buf[0] : NULL;
    int err = ENOENT;
    if (!name || !*name)
        fail(c, ENOENT, "no program");
    snprintf(c->detail, sizeof(c->detail), "%s", name);
    if (strchr(name, '/')) {
        if (strlen(name) >= sizeof(c->exe))
            fail(c, ENAMETOOLONG, NULL);
        strcpy(c->exe, name);
        if (is_executable(c->exe))
            return;
        fail(c, access(c->exe, F_OK) == 0 ? EACCES : ENOENT, NULL);
    }
    for (const char *p = search;; p++) {
        const char *end = strchrnul(p, ':');
        size_t dlen = (size_t)(end - p);
        if (dlen + strlen(name) + 2 <= sizeof(c->exe)) {
            if (dlen)
                snprintf(c->exe, sizeof(c->exe), "%.*s/%s", (int)dlen, p, name);
            else
                snprintf(c->exe, sizeof(c->exe), "%s", name);
            if (is_executable(c->exe))
                return;
            if (access(c->exe, F_OK) == 0)
                err = EACCES;
        }
        if (!*end)
            break;
        p = end;
    }
    fail(c, err, NULL);
}

static void wait_start(struct child *c)
{
    char b;
    ssize_t n;
    int fd = c->base_fd + CHILD_START_OFFSET;
    report(c->base_fd + CHILD_REPORT_OFFSET, CHILD_READY, c->step, 0, NULL);
    do
        n = read(fd, &b, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        _exit(127); /* the monitor went away: never start */
    close(fd);
}

/*
 * Before the user switch: stdio the process's uid does not own (its pty, the caller's pipes) is
 * given to it, as runc does, so that it can reopen them (/dev/stdout, /proc/self/fd/1, tty(1)).
 * The container's /dev/null and what cannot be chowned (an id its namespace does not map, a
 * read-only /dev) are left alone.
 */
static void stdio_owner(struct child *c, uid_t uid)
{
    struct stat null, st;
    if (stat("/dev/null", &null) < 0)
        null.st_rdev = makedev(1, 3);
    for (int fd = 0; fd < 3; fd++) {
        if (fstat(fd, &st) < 0) {
            if (errno == EBADF)
                continue;
            fail(c, errno, "fstat stdio");
        }
        if (st.st_uid == uid || (S_ISCHR(st.st_mode) && st.st_rdev == null.st_rdev))
            continue;
        if (fchown(fd, uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM && errno != EROFS)
            fail(c, errno, "chown stdio to the process's uid");
    }
}

/* Makes the pty in the container's own devpts, sends the master, and takes the slave as stdio. */
static void setup_console(struct child *c, uint64_t rows, uint64_t cols, uint64_t bind_console)
{
    int sock = c->base_fd + CHILD_CONSOLE_OFFSET, master, slave, unlock = 0;
    unsigned int n;
    char name[64], target[64];
    struct msghdr msg = { 0 };
    struct iovec iov;
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct cmsghdr *cm;

    master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        fail(c, errno, "open /dev/ptmx");
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0)
        fail(c, errno, "unlock pty");
    slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    if (slave < 0)
        fail(c, errno, "open pty slave");
    if (rows || cols) {
        struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
        if (ioctl(master, TIOCSWINSZ, &ws) < 0)
            fail(c, errno, "set console size");
    }
    /* /dev/console: the slave bound on an empty file (never through a symlink planted there) */
    int devfd = bind_console ? open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    if (devfd >= 0) {
        if (unlinkat(devfd, "console", 0) < 0 && errno != ENOENT)
            fail(c, errno, "unlink /dev/console");
        int f = openat(devfd, "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (f < 0)
            fail(c, errno, "create /dev/console");
        close(f);
        int t = open_existing_in_root(devfd, "console");
        if (t < 0)
            fail(c, -t, "open /dev/console");
        proc_fd_path(c, target, sizeof(target), t);
        snprintf(name, sizeof(name), "/proc/self/fd/%d", slave);
        if (mount(name, target, NULL, MS_BIND, NULL) < 0)
            fail(c, errno, "bind the pty on /dev/console");
        close(t);
        close(devfd);
    }
    snprintf(name, sizeof(name), "/dev/pts/%u", n);
    iov.iov_base = name;
    iov.iov_len = strlen(name);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl.buf;
    msg.msg_controllen = sizeof(ctl.buf);
    cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &master, sizeof(int));
    if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
        fail(c, errno, "send the pty master");
    close(master);
    close(sock);
    if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
        fail(c, errno, "make the pty the controlling terminal");
    for (int fd = 0; fd < 3; fd++)
        if (dup2(slave, fd) < 0)
            fail(c, errno, "dup the pty slave to stdio");
    if (slave > 2)
        close(slave);
}

/* Stops until the monitor says resume (Java runs hooks meanwhile). */
static void hook_pause(struct child *c)
{
    char b;
    ssize_t n;
    report(c->base_fd + CHILD_REPORT_OFFSET, CHILD_PAUSED, c->step, 0, NULL);
    do
        n = read(c->base_fd + CHILD_START_OFFSET, &b, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        _exit(127); /* the monitor went away, or a hook failed */
}

/*
 * Blocks until "jrun start" opens the exec fifo for reading, through the
 * container's own /proc (the host path is out of reach after pivot_root).
 */
static void wait_fifo(struct child *c)
{
    char path[64];
    int fd;
    report(c->base_fd + CHILD_REPORT_OFFSET, CHILD_READY, c->step, 0, NULL);
    close(c->base_fd + CHILD_START_OFFSET);
    proc_fd_path(c, path, sizeof(path), c->base_fd + CHILD_FIFO_OFFSET);
    do
        fd = open(path, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        fail(c, errno, "open exec fifo for writing");
    if (write(fd, "0", 1) != 1)
        fail(c, errno, "write exec fifo");
    close(fd);
    close(c->base_fd + CHILD_FIFO_OFFSET);
}

static void do_exec(struct child *c)
{
    c->argv_buf[c->argc] = NULL;
    c->envp_buf[c->envc] = NULL;
    if (!c->exe[0])
        fail(c, EINVAL, "exec without lookup");
    report(c->base_fd + CHILD_REPORT_OFFSET, CHILD_EXEC, c->step, 0, NULL);
    execve(c->exe, c->argv_buf, c->envp_buf);
    fail(c, errno, c->exe);
}

static void run_step(struct child *c, const struct plan_step *s)
{
    c->detail[0] = '\0';
    switch (s->op) {
    case OP_UNSHARE:
        if (unshare((int)arg_u64(c, s, 0)) < 0)
            fail(c, errno, "unshare");
        break;
    case OP_LOOPBACK_UP: set_loopback_up(c); break;
    case OP_HOSTNAME: {
        const char *h = arg_str(c, s, 0);
        if (sethostname(h, strlen(h)) < 0)
            fail(c, errno, "sethostname");
        break;
    }
    case OP_DOMAINNAME: {
        const char *d = arg_str(c, s, 0);
        if (setdomainname(d, strlen(d)) < 0)
            fail(c, errno, "setdomainname");
        break;
    }
    case OP_ROOT_PROPAGATION: set_root_propagation(c, arg_u64(c, s, 0)); break;
    case OP_ROOTFS: bind_rootfs(c, arg_str(c, s, 0)); break;
    case OP_ROOTFS_IDMAPPED: move_idmapped_rootfs(c, arg_str(c, s, 0)); break;
    case OP_MOUNT: do_mount(c, s); break;
    case OP_MKNOD: do_mknod(c, s); break;
    case OP_SYMLINK: do_symlink(c, s); break;
    case OP_PIVOT_ROOT: do_pivot_root(c); break;
    case OP_MOVE_ROOT: do_move_root(c); break;
    case OP_REMOUNT: remount_bind(c, arg_str(c, s, 0), (unsigned long)arg_u64(c, s, 1), "remount"); break;
    case OP_SETGROUPS: do_setgroups(c, s); break;
    case OP_SETGID:
        if (setresgid((gid_t)arg_u64(c, s, 0), (gid_t)arg_u64(c, s, 0), (gid_t)arg_u64(c, s, 0)) < 0)
            fail(c, errno, "setresgid");
        break;
    case OP_SETUID:
        if (setresuid((uid_t)arg_u64(c, s, 0), (uid_t)arg_u64(c, s, 0), (uid_t)arg_u64(c, s, 0)) < 0)
            fail(c, errno, "setresuid");
        /* the kernel clears the death signal when the ids change: set it again */
        if (c->die_with_monitor)
            prctl(PR_SET_PDEATHSIG, SIGKILL);
        break;
    case OP_CHDIR: {
        char cwd[PATH_MAX];
        uint64_t when = arg_u64(c, s, 1);
        if (when == CHDIR_IF_NOT_YET && c->cwd_done)
            break;
        if (chdir(arg_str(c, s, 0)) < 0) {
            /* as runc: the runtime's ids may not reach it where the process's can (a volume chowned
               to them): then it is tried again once the ids are the process's */
            if (when == CHDIR_TRY_FIRST && (errno == EACCES || errno == EPERM))
                break;
            fail(c, errno, "chdir");
        }
        c->cwd_done = 1;
        /* a cwd reached through a leaked fd reads "(unreachable)...": refuse it (a seccomp profile
           may refuse getcwd itself: then there is nothing to check) */
        if (getcwd(cwd, sizeof(cwd)) && cwd[0] != '/')
            fail(c, EPERM, "cwd outside the rootfs");
        break;
    }
    case OP_ARG: c->argv_buf[c->argc++] = (char *)arg_str(c, s, 0); break; /* sized in child_run */
    case OP_ENV: c->envp_buf[c->envc++] = (char *)arg_str(c, s, 0); break;
    case OP_LOOKUP: do_lookup(c, arg_str(c, s, 0)); break;
    case OP_WAIT_START: wait_start(c); break;
    case OP_EXEC: do_exec(c); break;
    case OP_MASK_PATH: do_mask_path(c, arg_str(c, s, 0)); break;
    case OP_READONLY_PATH: do_readonly_path(c, arg_str(c, s, 0)); break;
    case OP_CONSOLE: setup_console(c, arg_u64(c, s, 0), arg_u64(c, s, 1), arg_u64(c, s, 2)); break;
    case OP_STDIO_OWNER: stdio_owner(c, (uid_t)arg_u64(c, s, 0)); break;
    case OP_IOPRIO:
        if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, (int)arg_u64(c, s, 0)) < 0)
            fail(c, errno, "ioprio_set");
        break;
    case OP_SCHED: do_sched(c, s); break;
    case OP_CPU_AFFINITY: do_cpu_affinity(c, s); break;
    case OP_HOOK_PAUSE: hook_pause(c); break;
    case OP_SECCOMP: do_seccomp(c, s); break;
    case OP_SET_PROPAGATION:
        if (mount(NULL, arg_str(c, s, 0), NULL, (unsigned long)arg_u64(c, s, 1), NULL) < 0)
            fail(c, errno, "mount --make-*");
        break;
    case OP_SYSCTL: do_sysctl(c, arg_str(c, s, 0), arg_str(c, s, 1)); break;
    case OP_OOM_SCORE_ADJ: do_oom_score_adj(c, (long long)arg_u64(c, s, 0)); break;
    case OP_RLIMIT: do_rlimit(c, s); break;
    case OP_UMASK: umask((mode_t)arg_u64(c, s, 0)); break;
    case OP_CAPS_BOUNDING: do_caps_bounding(c, arg_u64(c, s, 0)); break;
    case OP_CAPS: do_caps(c, s); break;
    case OP_NO_NEW_PRIVS:
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            fail(c, errno, "PR_SET_NO_NEW_PRIVS");
        break;
    case OP_WAIT_FIFO: wait_fifo(c); break;
    case OP_PERSONALITY: do_personality(c, arg_u64(c, s, 0)); break;
    default: fail(c, EBADMSG, "unknown step");
    }
}

void child_run(const struct plan *plan, uint32_t first_step, int base_fd, int die_with_monitor)
{
    static struct child c;
    sigset_t none;
    size_t nargs = 0, nenv = 0;

    c.plan = plan;
    /* argv and envp as long as the plan makes them: only its size in bytes bounds them, as execve's */
    for (uint32_t i = first_step; i < plan->nsteps; i++) {
        nargs += plan->steps[i].op == OP_ARG;
        nenv += plan->steps[i].op == OP_ENV;
    }
    c.argv_buf = calloc(nargs + 1, sizeof(char *));
    c.envp_buf = calloc(nenv + 1, sizeof(char *));
    if (!c.argv_buf || !c.envp_buf) {
        c.base_fd = base_fd;
        fail(&c, ENOMEM, "allocate argv and envp");
    }
    c.rootfd = -1;
    c.step = first_step;
    c.base_fd = base_fd;
    c.die_with_monitor = die_with_monitor;
    /* the preserved fds pass to the program */
    for (int fd = 3; fd < base_fd; fd++) {
        int fl = fcntl(fd, F_GETFD);
        if (fl >= 0)
            fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
    }
    /* the monitor blocks and ignores signals; the user program must start with defaults */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    /* die with the monitor (jrun run); a created container outlives it, as with runc */
    if (die_with_monitor)
        prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* not dumpable until execve: no one can open /proc/<pid>/exe or ptrace the stage */
    prctl(PR_SET_DUMPABLE, 0);
    /* the monitor places us in our cgroups first */
    char placed;
    if (read(base_fd + CHILD_START_OFFSET, &placed, 1) != 1)
        _exit(127);
    for (uint32_t i = first_step; i < plan->nsteps; i++) {
        c.step = i;
        run_step(&c, &plan->steps[i]);
    }
    c.step = plan->nsteps;
    fail(&c, EBADMSG, "plan ended without exec");
}
