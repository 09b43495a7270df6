package io.jrun.runtime.json;

/** Malformed JSON, with the place it was found. */
public final class JsonException extends RuntimeException {
    public JsonException(int line, int column, String what) {
        super("line " + line + ", column " + column + ": " + what);
    }
}
