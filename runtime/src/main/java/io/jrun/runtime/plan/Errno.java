package io.jrun.runtime.plan;

/** errno values as users read them: {@code Operation not permitted (EPERM)}. */
public final class Errno {
    private static final String[][] TABLE = new String[134][];

    static {
        String[] rows = {
            "1 EPERM Operation not permitted", "2 ENOENT No such file or directory", "3 ESRCH No such process",
            "4 EINTR Interrupted system call", "5 EIO Input/output error", "6 ENXIO No such device or address",
            "7 E2BIG Argument list too long", "8 ENOEXEC Exec format error", "9 EBADF Bad file descriptor",
            "10 ECHILD No child processes", "11 EAGAIN Resource temporarily unavailable",
            "12 ENOMEM Cannot allocate memory", "13 EACCES Permission denied", "14 EFAULT Bad address",
            "15 ENOTBLK Block device required", "16 EBUSY Device or resource busy", "17 EEXIST File exists",
            "18 EXDEV Invalid cross-device link", "19 ENODEV No such device", "20 ENOTDIR Not a directory",
            "21 EISDIR Is a directory", "22 EINVAL Invalid argument", "23 ENFILE Too many open files in system",
            "24 EMFILE Too many open files", "25 ENOTTY Inappropriate ioctl for device",
            "26 ETXTBSY Text file busy", "27 EFBIG File too large", "28 ENOSPC No space left on device",
            "29 ESPIPE Illegal seek", "30 EROFS Read-only file system", "31 EMLINK Too many links",
            "32 EPIPE Broken pipe", "34 ERANGE Numerical result out of range",
            "36 ENAMETOOLONG File name too long", "38 ENOSYS Function not implemented",
            "39 ENOTEMPTY Directory not empty", "40 ELOOP Too many levels of symbolic links",
            "71 EPROTO Protocol error", "74 EBADMSG Bad message", "75 EOVERFLOW Value too large for defined data type",
            "95 EOPNOTSUPP Operation not supported", "110 ETIMEDOUT Connection timed out",
            "122 EDQUOT Disk quota exceeded",
        };
        for (String r : rows) {
            String[] w = r.split(" ", 3);
            TABLE[Integer.parseInt(w[0])] = new String[] {w[1], w[2]};
        }
    }

    private Errno() {}

    /** "Operation not permitted (EPERM)", or "errno 99" for a number not in the table. */
    public static String describe(int errno) {
        if (errno > 0 && errno < TABLE.length && TABLE[errno] != null) {
            return TABLE[errno][1] + " (" + TABLE[errno][0] + ")";
        }
        return "errno " + errno;
    }

    /**
     * The reason of a failed file operation as users read it, e.g. "No such file or directory
     * (ENOENT)": Java's NoSuchFileException and its kin carry only the path, which the caller's
     * message names already.
     */
    public static String describe(java.io.IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return describe(2);
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return describe(13);
        }
        if (e instanceof java.nio.file.FileAlreadyExistsException) {
            return describe(17);
        }
        if (e instanceof java.nio.file.NotDirectoryException) {
            return describe(20);
        }
        if (e instanceof java.nio.file.DirectoryNotEmptyException) {
            return describe(39);
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return describe(f.getReason());
        }
        return describe(String.valueOf(e.getMessage()));
    }

    /** "Invalid argument" (as Java reports a failed syscall) → "Invalid argument (EINVAL)". */
    public static String describe(String message) {
        for (String[] row : TABLE) {
            if (row != null && row[1].equals(message)) {
                return message + " (" + row[0] + ")";
            }
        }
        return message;
    }

}
