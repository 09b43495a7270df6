package io.jrun.runtime;

/**
 * Every error jrun reports: one line that names the operation, the path and,
 * where the kernel said no, the errno (e.g.
 * {@code mount proc on /proc: Operation not permitted (EPERM)}).
 */
public class JrunException extends Exception {
    public JrunException(String message) {
        super(message);
    }

    public JrunException(String message, Throwable cause) {
        super(message, cause);
    }
}
