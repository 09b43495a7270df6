package io.jrun.runtime.json;

/** Malformed JSON, with the place it was found. */
public final class JsonException extends RuntimeException {
    private final int line;
    private final int column;

    public JsonException(int line, int column, String what) {
        super("line " + line + ", column " + column + ": " + what);
        this.line = line;
        this.column = column;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }
}
