/* natives: `state ID` and `list [--format table|json] [--quiet]` from the records. */
#define _GNU_SOURCE
#include "commands/records.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cmd_state(const struct natives_global *g, int argc, char **argv)
{
    struct records r;
    if (argc != 1 || argv[0][0] == '-' || rec_load(g->root, argv[0], &r))
        return NATIVE_FALLBACK;
    const char *out = r.oci_pretty[rec_status(&r)];
    int rc = write_all_fd(STDOUT_FILENO, out, strlen(out)) ? 1 : 0;
    rec_free(&r);
    return rc;
}

struct row {
    char *id;
    struct records r;
    int status;
};

static int by_id(const void *a, const void *b)
{
    return strcmp(((const struct row *)a)->id, ((const struct row *)b)->id);
}

static void put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = realloc(*buf, *cap);
        if (!*buf)
            abort();
    }
    memcpy(*buf + *len, s, n);
    *len += n;
}

int cmd_list(const struct natives_global *g, int argc, char **argv)
{
    int quiet = 0, json = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-q") || !strcmp(a, "--quiet") || !strcmp(a, "-quiet"))
            quiet = 1;
        else if ((!strcmp(a, "-f") || !strcmp(a, "--format") || !strcmp(a, "-format")) && i + 1 < argc
                 && (!strcmp(argv[i + 1], "json") || !strcmp(argv[i + 1], "table")))
            json = !strcmp(argv[++i], "json");
        else if (!strcmp(a, "--format=json") || !strcmp(a, "-f=json") || !strcmp(a, "-format=json"))
            json = 1;
        else if (!strcmp(a, "--format=table") || !strcmp(a, "-f=table") || !strcmp(a, "-format=table"))
            json = 0;
        else
            return NATIVE_FALLBACK;
    }
    struct row *rows = NULL;
    int n = 0, cap = 0, rc = NATIVE_FALLBACK;
    DIR *d = opendir(g->root);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            char path[PATH_MAX];
            struct stat st;
            if (e->d_name[0] == '.'
                || snprintf(path, sizeof(path), "%s/%s/state.json", g->root, e->d_name) >= (int)sizeof(path)
                || stat(path, &st) || !S_ISREG(st.st_mode))
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                rows = realloc(rows, (size_t)cap * sizeof(*rows));
                if (!rows)
                    abort();
            }
            rows[n].id = strdup(e->d_name);
            if (rec_load(g->root, e->d_name, &rows[n].r)) { /* Java reads (or skips) such a one */
                free(rows[n].id);
                closedir(d);
                goto out;
            }
            rows[n].status = rec_status(&rows[n].r);
            n++;
        }
        closedir(d);
    }
    qsort(rows, (size_t)n, sizeof(*rows), by_id);
    char *buf = NULL;
    size_t len = 0, bcap = 0;
    if (quiet) {
        for (int i = 0; i < n; i++) {
            put(&buf, &len, &bcap, rows[i].id, strlen(rows[i].id));
            put(&buf, &len, &bcap, "\n", 1);
        }
    } else if (json) {
        put(&buf, &len, &bcap, "[", 1);
        for (int i = 0; i < n; i++) {
            const char *c = rows[i].r.oci_compact[rows[i].status];
            if (i)
                put(&buf, &len, &bcap, ",", 1);
            put(&buf, &len, &bcap, c, strlen(c));
        }
        put(&buf, &len, &bcap, n ? "]\n" : "]\n", 2);
    } else {
        /* runc's tabwriter: columns padded to the widest cell plus three spaces, the last unpadded */
        static const char *status_name[] = { "created", "running", "paused", "stopped" };
        const char *head[6] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
        char (*pid)[24] = calloc((size_t)n + 1, sizeof(*pid));
        size_t w[6];
        for (int c = 0; c < 6; c++)
            w[c] = strlen(head[c]);
        for (int i = 0; i < n; i++) {
            snprintf(pid[i], sizeof(pid[i]), "%llu",
                     rows[i].status == ST_STOPPED ? 0ULL : (unsigned long long)rows[i].r.pid);
            const char *cell[6] = { rows[i].id, pid[i], status_name[rows[i].status], rows[i].r.bundle,
                                    rows[i].r.created, "root" };
            for (int c = 0; c < 6; c++)
                if (strlen(cell[c]) > w[c])
                    w[c] = strlen(cell[c]);
        }
        for (int i = -1; i < n; i++) {
            const char *cell[6];
            if (i < 0)
                memcpy(cell, head, sizeof(cell));
            else {
                const char *c6[6] = { rows[i].id, pid[i], status_name[rows[i].status], rows[i].r.bundle,
                                      rows[i].r.created, "root" };
                memcpy(cell, c6, sizeof(cell));
            }
            for (int c = 0; c < 6; c++) {
                put(&buf, &len, &bcap, cell[c], strlen(cell[c]));
                if (c < 5)
                    for (size_t k = strlen(cell[c]); k < w[c] + 3; k++)
                        put(&buf, &len, &bcap, " ", 1);
            }
            put(&buf, &len, &bcap, "\n", 1);
        }
        free(pid);
    }
    rc = buf && write_all_fd(STDOUT_FILENO, buf, len) ? 1 : 0;
    free(buf);
out:
    for (int i = 0; i < n; i++) {
        rec_free(&rows[i].r);
        free(rows[i].id);
    }
    free(rows);
    return rc;
}
