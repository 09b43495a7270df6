package io.jrun.testing;

/** A container could not be set up, started, reached or cleaned up; the message is one line, or a wait's report. */
public class ContainerException extends RuntimeException {
    public ContainerException(String message) {
        super(message);
    }

    public ContainerException(String message, Throwable cause) {
        super(message, cause);
    }
}
