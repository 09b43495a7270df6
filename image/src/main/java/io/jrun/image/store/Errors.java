package io.jrun.image.store;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** The reason part of a one-line error from an I/O exception, with the errno name where Java hides it. */
public final class Errors {
    private Errors() {}

    public static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory (ENOENT)";
        }
        if (e instanceof AccessDeniedException) {
            return "Permission denied (EACCES)";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "File exists (EEXIST)";
        }
        if (e instanceof NotDirectoryException) {
            return "Not a directory (ENOTDIR)";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.split("\n")[0];
    }
}
