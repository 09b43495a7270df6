package io.jrun.micro;

import io.jrun.image.store.Errors;
import io.jrun.runtime.JrunException;
import java.io.IOException;
import java.nio.file.FileSystemException;

/** A failed micro build: one line naming the operation, the path and the reason. */
public class MicroException extends JrunException {
    public MicroException(String message) {
        super(message);
    }

    /** "OPERATION: REASON (ERRNO)", naming the file the I/O error is about when the operation does not. */
    public static MicroException io(String operation, IOException e) {
        String file = e instanceof FileSystemException f ? f.getFile() : null;
        String where = file != null && !operation.contains(file) ? " (" + file + ")" : "";
        return new MicroException(operation + where + ": " + Errors.reason(e));
    }
}
