package io.jrun.micro;

import io.jrun.runtime.JrunException;

/** A failed micro build: one line naming the operation, the path and the reason. */
public class MicroException extends JrunException {
    public MicroException(String message) {
        super(message);
    }
}
