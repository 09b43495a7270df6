/* natives: `ps --format json ID`: the pids of the container's cgroup as a JSON array. */
#define _GNU_SOURCE
#include "commands/records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_ps(const struct natives_global *g, int argc, char **argv)
{
    static long pids[65536];
    struct records r;
    const char *id = NULL;
    int json = 0;
    /* flags stop at the id; ps options after it, and the table, are Java's (it runs ps(1)) */
    for (int i = 0; i < argc; i++) {
        if ((!strcmp(argv[i], "--format") || !strcmp(argv[i], "-f") || !strcmp(argv[i], "-format")) && i + 1 < argc)
            json = !strcmp(argv[++i], "json");
        else if (!strcmp(argv[i], "--format=json") || !strcmp(argv[i], "-f=json") || !strcmp(argv[i], "-format=json"))
            json = 1;
        else if (argv[i][0] == '-' || id)
            return NATIVE_FALLBACK;
        else
            id = argv[i];
    }
    if (!json || !id || rec_load(g->root, id, &r))
        return NATIVE_FALLBACK;
    if (!r.has_cgroup) {
        rec_free(&r);
        return NATIVE_FALLBACK;
    }
    int n = cg_pids(&r, pids, (int)(sizeof(pids) / sizeof(pids[0])));
    rec_free(&r);
    size_t cap = 4 + (size_t)n * 22, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NATIVE_FALLBACK;
    out[len++] = '[';
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%ld", i ? "," : "", pids[i]);
    len += (size_t)snprintf(out + len, cap - len, "]\n");
    int rc = write_all_fd(STDOUT_FILENO, out, len) ? 1 : 0;
    free(out);
    return rc;
}
