/*
 * Paths inside the rootfs, resolved with openat2(RESOLVE_IN_ROOT): a symlink or
 * ".." planted in the rootfs is resolved as if the rootfs were "/", so nothing
 * the runtime creates or mounts on can land outside it.
 */
#define _GNU_SOURCE
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_IN_ROOT 0x10

struct open_how_compat {
    uint64_t flags;
    uint64_t mode;
    uint64_t resolve;
};

static int openat2_in_root(int rootfd, const char *rel, int flags)
{
    struct open_how_compat how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    long r = syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof(how));
    return r < 0 ? -errno : (int)r;
}

/* Creates one missing component, name, in the directory prefix (resolved in the root). */
static int create_component(int rootfd, const char *prefix, const char *name, int as_file)
{
    int pfd = openat2_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
    int r;
    if (pfd < 0)
        return pfd;
    if (as_file) {
        r = openat(pfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (r >= 0)
            close(r);
    } else {
        r = mkdirat(pfd, name, 0755);
    }
    r = (r < 0 && errno != EEXIST) ? -errno : 0;
    close(pfd);
    return r;
}

int open_in_root(int rootfd, const char *path, int kind, char *detail, size_t detail_len)
{
    char buf[PATH_MAX];
    const char *rel = path;
    int fd;

    while (*rel == '/')
        rel++;
    if (strlen(rel) >= sizeof(buf))
        return -ENAMETOOLONG;
    fd = openat2_in_root(rootfd, rel, O_PATH);
    if (fd != -ENOENT) {
        if (fd < 0)
            snprintf(detail, detail_len, "resolve %s in rootfs", path);
        return fd;
    }
    /* Some component is missing: walk the prefixes, creating what is not there. */
    strcpy(buf, rel);
    for (size_t end = 0, start = 0;; start = end + 1) {
        char saved;
        int last;
        end = start;
        while (buf[end] && buf[end] != '/')
            end++;
        last = buf[end] == '\0';
        if (end == start) { /* an empty component: "a//b" or a trailing '/' */
            if (last)
                break;
            continue;
        }
        saved = buf[end];
        buf[end] = '\0';
        fd = openat2_in_root(rootfd, buf, O_PATH);
        if (fd == -ENOENT) {
            char name[NAME_MAX + 1];
            size_t nlen = end - start;
            if (nlen > NAME_MAX)
                return -ENAMETOOLONG;
            memcpy(name, buf + start, nlen);
            name[nlen] = '\0';
            buf[start ? start - 1 : 0] = '\0'; /* buf is now the parent prefix */
            int r = create_component(rootfd, buf, name, last && kind == TARGET_FILE);
            if (start)
                buf[start - 1] = '/';
            else
                memcpy(buf, name, nlen);
            if (r < 0) {
                snprintf(detail, detail_len, "create %s in rootfs", path);
                return r;
            }
            fd = openat2_in_root(rootfd, buf, O_PATH);
        }
        if (fd < 0) {
            snprintf(detail, detail_len, "resolve %s in rootfs", path);
            return fd;
        }
        buf[end] = saved;
        if (last)
            return fd;
        close(fd);
    }
    return openat2_in_root(rootfd, rel, O_PATH);
}

int open_existing_in_root(int rootfd, const char *path)
{
    while (*path == '/')
        path++;
    return openat2_in_root(rootfd, path, O_PATH);
}

int open_parent_in_root(int rootfd, const char *path, const char **name, char *detail, size_t detail_len)
{
    char parent[PATH_MAX];
    const char *slash = strrchr(path, '/');
    size_t plen = slash ? (size_t)(slash - path) : 0;

    if (plen >= sizeof(parent))
        return -ENAMETOOLONG;
    memcpy(parent, path, plen);
    parent[plen] = '\0';
    *name = slash ? slash + 1 : path;
    if (!**name)
        return -EINVAL;
    return open_in_root(rootfd, parent, TARGET_DIR, detail, detail_len);
}
