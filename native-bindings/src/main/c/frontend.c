/* The CLI front end: starts the JVM with a control channel and monitors the container it asks for. */
#define _GNU_SOURCE
#include "launcher.h"
#include "plancache.h" /* plancache: */
#include "plancache_exec.h" /* plancache_exec: */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define JAVA_IN_FD 3  /* in the JVM: what the monitor says */
#define JAVA_OUT_FD 4 /* in the JVM: what Java says */

/* The front-end: start the JVM, wait for it, and monitor the container it may ask for. */
int front_end(int argc, char **argv)
{
    struct monitor m = { .report_fd = -1, .start_fd = -1, .init = 0, .console_sock = -1, .master = -1,
                         .devices_cg = -1, .devices_prog = -1, .listener_sock = -1,
                         .seccomp_ack = -1, .java_exit = -1 };
    int to_java[2], from_java[2];
    char self[PATH_MAX], launch[PATH_MAX + 32], *slash;
    if (snprintf(self, sizeof(self), "%s", stage_path) >= (int)sizeof(self))
        die("%s: path too long", stage_path);
    slash = strrchr(self, '/');
    *slash = '\0'; /* the bin directory */
    snprintf(launch, sizeof(launch), "%s/../lib/jrun.launch", self);
    *slash = '/';

    /* jrun.launch: the java binary on its first line, then one JVM argument a line; @LIB@ is the lib dir */
    FILE *f = fopen(launch, "re");
    if (!f)
        die("open %s: %s", launch, strerror(errno));
    char **jargv = calloc((size_t)argc + 64, sizeof(char *));
    size_t ja = 0;
    char line[PATH_MAX * 2];
    char libdir[PATH_MAX];
    snprintf(libdir, sizeof(libdir), "%.*s/../lib", (int)(slash - self), self);
    while (fgets(line, sizeof(line), f) && ja < 60) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char expanded[PATH_MAX * 4], *at;
        const char *src = line;
        size_t used = 0;
        while ((at = strstr(src, "@LIB@")) || *src) {
            size_t chunk = at ? (size_t)(at - src) : strlen(src);
            int n = snprintf(expanded + used, sizeof(expanded) - used, "%.*s%s", (int)chunk, src, at ? libdir : "");
            if (n < 0 || (size_t)n >= sizeof(expanded) - used)
                die("%s: a line is too long once @LIB@ is expanded", launch);
            used += (size_t)n;
            src = at ? at + 5 : src + chunk;
        }
        expanded[used] = '\0';
        jargv[ja++] = strdup(expanded);
    }
    fclose(f);
    /* plancache: a run whose compiled plan is cached runs without a JVM (plancache.c) */
    struct plancache *cached = plancache_lookup(argc, argv, stage_path, libdir);
    /* plancache_exec: so does an exec whose plan is cached (plancache_exec.c) */
    struct plancache_exec *cached_exec = cached ? NULL : plancache_exec_lookup(argc, argv);
    const char *java_override = getenv("JRUN_JAVA");
    if (java_override && *java_override)
        jargv[0] = (char *)java_override;
    if (!ja)
        die("%s: no java binary on its first line", launch);
    for (int i = 1; i < argc; i++)
        jargv[ja++] = argv[i];
    jargv[ja] = NULL;

    setup_signals(&m);
    if (pipe2(to_java, O_CLOEXEC) < 0 || pipe2(from_java, O_CLOEXEC) < 0)
        die("pipe: %s", strerror(errno));
    /* out of the way of the fds the caller asks us to preserve (3, 4, ...) */
    for (int k = 0; k < 2; k++) {
        int *p = k ? from_java : to_java;
        for (int e = 0; e < 2; e++) {
            int hi = fcntl(p[e], F_DUPFD_CLOEXEC, 256);
            if (hi < 0)
                die("fcntl: %s", strerror(errno));
            close(p[e]);
            p[e] = hi;
        }
    }
    m.jvm = fork();
    if (m.jvm < 0)
        die("fork: %s", strerror(errno));
    if (m.jvm == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (dup2(to_java[0], JAVA_IN_FD) < 0 || dup2(from_java[1], JAVA_OUT_FD) < 0)
            _exit(126);
        syscall(SYS_close_range, JAVA_OUT_FD + 1, ~0U, 0); /* the JVM keeps none of the caller's fds */
        if (cached) /* plancache: this child plays Java's part */
            _exit(plancache_control(cached, JAVA_IN_FD, JAVA_OUT_FD));
        if (cached_exec) /* plancache_exec: this child plays Java's part of the exec */
            _exit(plancache_exec_control(cached_exec, JAVA_IN_FD, JAVA_OUT_FD));
        *slash = '\0';
        snprintf(line, sizeof(line), "%s/jrun", self);
        setenv("JRUN_LAUNCHER", line, 1);
        setenv("JRUN_CONTROL_FDS", "3,4", 1);
        /* Java's paths are text in the locale's charset: in C/POSIX a UTF-8 path could not even be named */
        setenv("LC_ALL", "C.UTF-8", 1);
        execv(jargv[0], jargv);
        fprintf(stderr, "jrun: exec %s: %s\n", jargv[0], strerror(errno));
        _exit(126);
    }
    close(to_java[0]);
    close(from_java[1]);
    m.ctl_in = from_java[0];
    m.ctl_out = to_java[1];

    size_t len;
    unsigned char *plan = NULL;
    /* Wait for either a plan or the JVM's end, forwarding signals meanwhile. */
    for (;;) {
        struct pollfd p[2] = { { m.sigfd, POLLIN, 0 }, { m.ctl_in, POLLIN, 0 } };
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            die("poll: %s", strerror(errno));
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(m.sigfd, &si, sizeof(si)) == sizeof(si)) {
                if ((int)si.ssi_signo == SIGCHLD)
                    reap(&m);
                else
                    forward(&m, (int)si.ssi_signo);
            }
        }
        if (p[1].revents) {
            plan = read_plan(m.ctl_in, &len);
            break;
        }
    }
    if (plan) {
        run_monitor(&m, plan, len);
        supervise(&m);
        drain_master(&m);
        /* Java still finishes its side (state, cleanup): drain until it is done or gone; once detached
           (create), until it says how the command ended. */
        while (!m.done && !m.ctl_eof && !(m.detached && m.java_exit >= 0))
            if (read_control(&m) < 0 && !m.detached)
                break;
        /* Done: what jrun run returns is the container's status; the JVM ends on its own. */
        if (m.done && m.init < 0)
            return WIFSIGNALED(m.init_status) ? 128 + WTERMSIG(m.init_status) : WEXITSTATUS(m.init_status);
        /* create: the container is not ours, and Java's command is over; the JVM ends on its own */
        if (m.detached && m.java_exit >= 0)
            return m.java_exit;
    }
    kill_init_and_wait(&m);
    while (m.jvm > 0) {
        int status;
        pid_t p = waitpid(m.jvm, &status, 0);
        if (p == m.jvm) {
            m.jvm = 0;
            m.jvm_status = status;
        } else if (errno != EINTR) {
            break;
        }
    }
    if (WIFSIGNALED(m.jvm_status))
        return 128 + WTERMSIG(m.jvm_status);
    return WEXITSTATUS(m.jvm_status);
}
