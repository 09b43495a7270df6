package io.jrun.runtime;

import java.util.function.Consumer;

/**
 * Where the runtime's warnings go (an OOM kill, a cgroup that could not be removed, a failed
 * poststart or poststop hook): one line each, to stderr as the CLI shows them, unless a JVM that
 * embeds jrun sends them elsewhere, e.g. to its logger.  For the whole JVM.
 */
public final class Warnings {
    private static volatile Consumer<String> sink; // null: stderr (no lambda on the CLI's path)

    private Warnings() {}

    /** Sends every later warning line (e.g. "jrun: container x: ...") to {@code lines}; null: stderr again. */
    public static void sendTo(Consumer<String> lines) {
        sink = lines;
    }

    /** One warning line, to where {@link #sendTo} said. */
    public static void warn(String line) {
        Consumer<String> s = sink;
        if (s != null) {
            s.accept(line);
        } else {
            System.err.println(line);
        }
    }
}
