package io.jrun.cli;

import java.nio.file.InvalidPathException;

/**
 * Every error jrun prints is one line: a message's control characters (a newline in a string from
 * config.json, say) are escaped, a long one is cut, and an exception no command expected is described
 * in a line rather than a stack trace.
 */
final class OneLine {
    static final int MAX = 4096;

    private OneLine() {}

    static String text(String message) {
        if (message == null) {
            return "(no message)";
        }
        StringBuilder b = new StringBuilder(Math.min(message.length(), MAX) + 16);
        for (int i = 0; i < message.length() && b.length() < MAX; i++) {
            char c = message.charAt(i);
            if (c == '\n') {
                b.append("\\n");
            } else if (c < 0x20 || c == 0x7f) {
                b.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            } else {
                b.append(c);
            }
        }
        if (b.length() >= MAX) {
            b.setLength(MAX);
            b.append("... (").append(message.length()).append(" characters)");
        }
        return b.toString();
    }

    /** What went wrong, for a Throwable that escaped every command's own error handling. */
    static String unexpected(Throwable t) {
        if (t instanceof InvalidPathException e) {
            return text("path \"" + e.getInput() + "\": " + e.getReason()
                    + (e.getReason().startsWith("Malformed") ? " (its bytes are not text in this locale)" : ""));
        }
        if (t instanceof OutOfMemoryError) {
            return "out of memory (" + text(t.getMessage()) + ")";
        }
        if (t instanceof StackOverflowError) {
            return "input nested too deeply (stack overflow)";
        }
        String where = "";
        StackTraceElement[] st = t.getStackTrace();
        if (st.length > 0) {
            where = " at " + st[0].getClassName() + "." + st[0].getMethodName() + ":" + st[0].getLineNumber();
        }
        return text("internal error: " + t.getClass().getName() + ": " + t.getMessage() + where
                + " (a bug in jrun: please report it)");
    }
}
