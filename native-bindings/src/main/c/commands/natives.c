/* natives: the launcher's argv dispatch for the commands it runs without a JVM (records.h). */
#define _GNU_SOURCE
#include "commands/records.h"

#include <stdlib.h>
#include <string.h>

/* --name VALUE, --name=VALUE, -name VALUE, -name=VALUE; 1 when argv[*i] is that flag. */
static int value_flag(int argc, char **argv, int *i, const char *name, const char **value)
{
    const char *a = argv[*i];
    if (a[0] != '-')
        return 0;
    a += a[1] == '-' ? 2 : 1;
    size_t n = strlen(name);
    if (strncmp(a, name, n))
        return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] || *i + 1 >= argc)
        return 0;
    *value = argv[++*i];
    return 1;
}

int natives_main(int argc, char **argv)
{
    struct natives_global g = { "/run/jrun", NULL, 0 };
    const char *format = NULL;
    const char *no = getenv("JRUN_NO_NATIVE");
    int i = 1;
    if (no && *no)
        return NATIVE_FALLBACK;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *v;
        if (value_flag(argc, argv, &i, "root", &v))
            g.root = v;
        else if (value_flag(argc, argv, &i, "log-format", &v))
            format = v;
        else if (value_flag(argc, argv, &i, "log", &v))
            g.log = v;
        else
            return NATIVE_FALLBACK; /* --debug, --help, --version, --systemd-cgroup, anything else: Java */
    }
    if (i >= argc)
        return NATIVE_FALLBACK;
    if (format && strcmp(format, "text") && strcmp(format, "json"))
        return NATIVE_FALLBACK;
    g.json = format && !strcmp(format, "json");
    if (g.log && (!*g.log || !strcmp(g.log, "/dev/stderr")))
        g.log = NULL;
    /* Java's Path.toAbsolutePath().normalize(): only roots already in that form are handled here */
    size_t rl = strlen(g.root);
    if (g.root[0] != '/' || rl < 2 || g.root[rl - 1] == '/' || strstr(g.root, "//") || strstr(g.root, "/./")
        || strstr(g.root, "/../") || (rl >= 2 && !strcmp(g.root + rl - 2, "/.")) || (rl >= 3 && !strcmp(g.root + rl - 3, "/..")))
        return NATIVE_FALLBACK;
    const char *cmd = argv[i];
    int n = argc - i - 1;
    char **rest = argv + i + 1;
    for (int k = 0; k < n; k++)
        if (!strcmp(rest[k], "--help") || !strcmp(rest[k], "-h") || !strcmp(rest[k], "-help"))
            return NATIVE_FALLBACK;
    if (!strcmp(cmd, "state"))
        return cmd_state(&g, n, rest);
    if (!strcmp(cmd, "start"))
        return cmd_start(&g, n, rest);
    if (!strcmp(cmd, "kill"))
        return cmd_kill(&g, n, rest);
    if (!strcmp(cmd, "delete"))
        return cmd_delete(&g, n, rest);
    if (!strcmp(cmd, "list"))
        return cmd_list(&g, n, rest);
    if (!strcmp(cmd, "ps"))
        return cmd_ps(&g, n, rest);
    if (!strcmp(cmd, "pause"))
        return cmd_pause(&g, n, rest, 1);
    if (!strcmp(cmd, "resume"))
        return cmd_pause(&g, n, rest, 0);
    return NATIVE_FALLBACK;
}
