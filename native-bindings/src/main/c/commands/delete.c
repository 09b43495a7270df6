/* natives: `delete [--force] ID` in the order the records give (Jrun.delete's). */
#define _GNU_SOURCE
#include "commands/records.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int signal_all(const struct records *r, int sig);

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* ContainerCgroup.subtree for removal: the cgroups below dir, deepest first, then dir. */
static int rmdir_subtree(const char *dir, int depth)
{
    if (depth < 32) {
        DIR *d = opendir(dir);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                char sub[PATH_MAX];
                struct stat st;
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")
                    || snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name) >= (int)sizeof(sub))
                    continue;
                if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode) && rmdir_subtree(sub, depth + 1)) {
                    closedir(d);
                    return -1;
                }
            }
            closedir(d);
        }
    }
    struct stat st;
    for (int i = 0; i < 200 && stat(dir, &st) == 0 && S_ISDIR(st.st_mode); i++) {
        if (rmdir(dir) == 0 || errno == ENOENT)
            return 0;
        if (i + 1 == 200)
            return -1;
        sleep_ms(10);
    }
    return 0;
}

/* ContainerCgroup.remove: kill what is left, thaw, then the directories jrun made, deepest first. */
static int remove_cgroup(const struct records *r)
{
    static long pids[65536];
    int n = cg_pids(r, pids, (int)(sizeof(pids) / sizeof(pids[0])));
    for (int i = 0; i < n; i++)
        kill((pid_t)pids[i], SIGKILL);
    if (cg_frozen(r) && cg_set_frozen(r, 0))
        return -1;
    for (int i = 0; i < r->nmade; i++) {
        int own = 0;
        for (int k = 0; k < r->ndirs; k++)
            own |= !strcmp(r->dirs[k], r->made[i]);
        if (own) {
            if (rmdir_subtree(r->made[i], 0))
                return -1;
        } else {
            rmdir(r->made[i]); /* a parent: only when no other container uses it any more */
        }
    }
    return 0;
}

/* StateDir.remove: the files in it, then the directory. */
static int remove_state(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        char f[PATH_MAX];
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")
            || snprintf(f, sizeof(f), "%s/%s", dir, e->d_name) >= (int)sizeof(f))
            continue;
        if (unlink(f) && errno != ENOENT) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    return rmdir(dir) && errno != ENOENT ? -1 : 0;
}

int cmd_delete(const struct natives_global *g, int argc, char **argv)
{
    int force = 0, lock;
    const char *id = NULL;
    struct records r;
    struct stat st;
    char dir[PATH_MAX];
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f") || !strcmp(argv[i], "-force"))
            force = 1;
        else if (argv[i][0] == '-' || id)
            return NATIVE_FALLBACK;
        else
            id = argv[i];
    }
    if (!id || !valid_id(id) || snprintf(dir, sizeof(dir), "%s/%s", g->root, id) >= (int)sizeof(dir))
        return NATIVE_FALLBACK;
    if (lstat(dir, &st) && errno == ENOENT && force)
        return 0; /* already gone: what containerd's cleanup wants */
    if (rec_lock(dir, &lock))
        return NATIVE_FALLBACK;
    if (rec_load(g->root, id, &r)) {
        rec_unlock(&lock);
        return NATIVE_FALLBACK;
    }
    r.lock_fd = lock;
    if (hooks_runnable(&r, 4))
        goto fallback;
    int status = rec_status(&r);
    if (status != ST_STOPPED) {
        if (!force || !r.has_cgroup)
            goto fallback; /* Java refuses it, or kills in the init's pid namespace */
        if (signal_all(&r, SIGKILL))
            goto fallback;
        if (cg_frozen(&r) && cg_set_frozen(&r, 0))
            goto fallback;
        int i = 0;
        for (; i < 1000 && proc_alive(r.pid, r.start_time); i++)
            sleep_ms(i < 50 ? 1 : 10);
        if (i == 1000)
            goto fallback;
    }
    /* from here on a failure leaves state Java's delete takes up again (it is idempotent) */
    if (r.has_cgroup && remove_cgroup(&r))
        goto fallback;
    if (remove_state(r.dir))
        goto fallback;
    run_hooks(&r, 4, r.oci_compact[ST_STOPPED]); /* after the state is gone, as Java runs them */
    rec_free(&r);
    return 0;
fallback:
    rec_free(&r);
    return NATIVE_FALLBACK;
}
