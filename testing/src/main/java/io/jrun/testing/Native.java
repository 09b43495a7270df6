package io.jrun.testing;

import io.jrun.runtime.plan.Errno;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/** The few system calls the library makes itself (the stage does the rest): mounts and setns. */
final class Native {
    static final int CLONE_NEWNET = 0x40000000;
    static final int MNT_DETACH = 2;
    private static final int O_RDONLY_CLOEXEC = 0x80000;
    private static final int ENOENT = 2;
    private static final int EINVAL = 22;

    public interface LibC {
        int open(String path, int flags);

        int close(int fd);

        int setns(int fd, int nstype);

        int mount(String source, String target, String type, long flags, String data);

        int umount2(String target, int flags);
    }

    private static final class Holder {
        static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
        static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
    }

    private Native() {}

    /** "Operation not permitted (EPERM)" for the last error of this thread. */
    static String lastError() {
        return Errno.describe(LastError.getLastError(Holder.RUNTIME));
    }

    static int open(String path) {
        int fd = Holder.LIBC.open(path, O_RDONLY_CLOEXEC);
        if (fd < 0) {
            throw new ContainerException("open " + path + ": " + lastError());
        }
        return fd;
    }

    static void close(int fd) {
        Holder.LIBC.close(fd);
    }

    /** Moves the calling thread into the network namespace open as {@code fd}. */
    static void setnsNet(int fd, String what) {
        if (Holder.LIBC.setns(fd, CLONE_NEWNET) != 0) {
            throw new ContainerException("setns " + what + ": " + lastError());
        }
    }

    static void mountOverlay(String lower, String upper, String work, String target) {
        overlayPath(target, "lowerdir", lower);
        overlayPath(target, "upperdir", upper);
        overlayPath(target, "workdir", work);
        String data = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
        if (Holder.LIBC.mount("overlay", target, "overlay", 0, data) != 0) {
            throw new ContainerException("mount overlay on " + target + " (lowerdir " + lower + "): " + lastError());
        }
    }

    /**
     * Refuses a path that overlayfs's option string would split or unescape (',' between options,
     * ':' between lower layers, '\\' escaping them): passed as it is, it would name another directory
     * or add an option.
     */
    static void overlayPath(String target, String option, String path) {
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == ',' || c == ':' || c == '\\') {
                throw new ContainerException("mount overlay on " + target + ": " + option + " " + path + " holds '" + c
                        + "', which overlayfs's mount options cannot carry; use a directory without it: Invalid argument (EINVAL)");
            }
        }
    }

    /** Detaches the mount at {@code target}; false when nothing is mounted there (EINVAL) or it is gone. */
    static boolean unmount(String target) {
        if (Holder.LIBC.umount2(target, MNT_DETACH) == 0) {
            return true;
        }
        int e = LastError.getLastError(Holder.RUNTIME);
        if (e == EINVAL || e == ENOENT) {
            return false;
        }
        throw new ContainerException("umount " + target + ": " + lastError());
    }
}
