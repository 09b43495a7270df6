package io.jrun.runtime.plan;

/** errno values as users read them: {@code Operation not permitted (EPERM)}. */
public final class Errno {
    /** By number: {name, message}; from the kernel's headers and the C library's messages (ErrnoData). */
    private static final String[][] TABLE = new String[ErrnoData.MAX + 1][];

    static {
        for (String r : ErrnoData.ROWS) {
            String[] w = r.split(" ", 3);
            TABLE[Integer.parseInt(w[0])] = new String[] {w[1], w[2]};
        }
    }

    private Errno() {}

    /** "Operation not permitted (EPERM)", or "errno 4095" for a number the kernel's headers do not name. */
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
