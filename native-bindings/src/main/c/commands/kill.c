/* natives: `kill [--all] ID [SIGNAL]`, `pause ID`, `resume ID`. */
#define _GNU_SOURCE
#include "commands/records.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The names and numbers Signals.parse knows that are common; anything else goes to Java. */
static int parse_signal(const char *s)
{
    static const struct { const char *name; int num; } names[] = {
        { "HUP", 1 }, { "INT", 2 }, { "QUIT", 3 }, { "ABRT", 6 }, { "KILL", 9 }, { "USR1", 10 },
        { "USR2", 12 }, { "PIPE", 13 }, { "ALRM", 14 }, { "TERM", 15 }, { "CONT", 18 }, { "STOP", 19 },
        { "TSTP", 20 }, { "WINCH", 28 },
    };
    if (s[0] >= '0' && s[0] <= '9') {
        char *end;
        long n = strtol(s, &end, 10);
        return *end || n < 1 || n > 64 ? -1 : (int)n;
    }
    if (!strncasecmp(s, "SIG", 3))
        s += 3;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcasecmp(s, names[i].name))
            return names[i].num;
    return -1;
}

/* Jrun.signal with all: freeze so nothing forks, signal each process of the cgroup, thaw. */
int signal_all(const struct records *r, int sig)
{
    static long pids[65536];
    int frozen = 0, rc = 0;
    if (!cg_frozen(r))
        frozen = cg_set_frozen(r, 1) == 0;
    int n = cg_pids(r, pids, (int)(sizeof(pids) / sizeof(pids[0])));
    for (int i = 0; i < n; i++) {
        long long start = proc_start_time(pids[i]);
        if (send_signal_checked(pids[i], (unsigned long long)start, sig) && (uint64_t)pids[i] == r->pid)
            rc = -1; /* others may have ended meanwhile */
    }
    if (frozen && cg_set_frozen(r, 0))
        rc = -1;
    return rc;
}

int cmd_kill(const struct natives_global *g, int argc, char **argv)
{
    int all = 0, sig = 15;
    const char *pos[2];
    int npos = 0;
    struct records r;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--all") || !strcmp(argv[i], "-a") || !strcmp(argv[i], "-all"))
            all = 1;
        else if (argv[i][0] == '-' || npos == 2)
            return NATIVE_FALLBACK;
        else
            pos[npos++] = argv[i];
    }
    if (npos == 0)
        return NATIVE_FALLBACK;
    if (npos == 2)
        sig = !strcmp(pos[1], "0") ? 0 : parse_signal(pos[1]);
    if (sig < 0 || rec_load(g->root, pos[0], &r))
        return NATIVE_FALLBACK;
    int rc = NATIVE_FALLBACK; /* stopped, or a signal that failed: Java says why, having nothing else to undo */
    if (rec_status(&r) != ST_STOPPED && (all ? r.has_cgroup && !signal_all(&r, sig)
                                             : !send_signal_checked((long)r.pid, r.start_time, sig)))
        rc = 0;
    rec_free(&r);
    return rc;
}

int cmd_pause(const struct natives_global *g, int argc, char **argv, int pause)
{
    struct records r;
    if (argc != 1 || argv[0][0] == '-' || rec_load(g->root, argv[0], &r))
        return NATIVE_FALLBACK;
    int rc = NATIVE_FALLBACK;
    if (r.has_cgroup && rec_status(&r) == (pause ? ST_RUNNING : ST_PAUSED) && !cg_set_frozen(&r, pause))
        rc = 0;
    rec_free(&r);
    return rc;
}
