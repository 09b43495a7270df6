/* The sealed-copy re-exec (CVE-2019-5736). */
#define _GNU_SOURCE
#include "launcher.h"

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

/* The file this binary was started from (we run from a sealed copy of it: see run_from_sealed_copy). */
char stage_path[PATH_MAX];

#define STAGE_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/*
 * CVE-2019-5736 and its kin: a container process that gets hold of the binary a runtime process
 * runs (through /proc/PID/exe of a process that entered its namespaces, or by having the runtime
 * execute a "#!/proc/self/exe" script inside the container) can reopen it for writing once that
 * process is gone, and so replace jrun on the host.  So the launcher and the stage never run from
 * the file on disk: they copy it into a sealed memfd and re-execute from there.  /proc/self/exe of
 * every process that could be seen from a container is that copy, which nobody can write.
 * The original path travels in JRUN_STAGE_PATH (the front-end finds lib/ beside it).
 */
void run_from_sealed_copy(char **argv)
{
    char path[PATH_MAX];
    struct stat st;
    int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (self < 0)
        die("open /proc/self/exe: %s", strerror(errno));
    int seals = fcntl(self, F_GET_SEALS);
    if (seals >= 0 && (seals & STAGE_SEALS) == STAGE_SEALS) {
        close(self);
        return; /* already the sealed copy */
    }
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    if (n < 0)
        die("readlink /proc/self/exe: %s", strerror(errno));
    path[n] = '\0';
    int copy = memfd_create("jrun-stage", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (copy < 0)
        die("memfd_create jrun-stage (a sealed copy of %s): %s", path, strerror(errno));
    if (fstat(self, &st) < 0)
        die("stat %s: %s", path, strerror(errno));
    for (off_t left = st.st_size; left > 0;) {
        ssize_t k = sendfile(copy, self, NULL, (size_t)left);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            die("copy %s into a memfd: %s", path, k < 0 ? strerror(errno) : "short file");
        left -= k;
    }
    if (fcntl(copy, F_ADD_SEALS, STAGE_SEALS) < 0)
        die("seal the memfd copy of %s: %s", path, strerror(errno));
    close(self);
    setenv("JRUN_STAGE_PATH", path, 1);
    fexecve(copy, argv, environ);
    die("fexecve the sealed copy of %s: %s", path, strerror(errno));
}
