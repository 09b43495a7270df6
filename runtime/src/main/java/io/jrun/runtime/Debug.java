package io.jrun.runtime;

import java.util.function.Consumer;

/**
 * Where the runtime's debug lines go: the steps of a create, start, kill or delete (the config
 * read and validated, the cgroup directories made, the plan's steps, the stage's events, each hook,
 * what a delete removes), one line each. Off (nothing built, nothing written) unless the CLI's
 * {@code --debug}, or a JVM that embeds jrun, names a sink. For the whole JVM.
 */
public final class Debug {
    private static volatile Consumer<String> sink; // null: off

    private Debug() {}

    /** Sends every later debug line to {@code lines}; null turns them off. */
    public static void sendTo(Consumer<String> lines) {
        sink = lines;
    }

    /** Whether debug lines are wanted: test it before building a line that costs anything. */
    public static boolean on() {
        return sink != null;
    }

    /** One debug line, where {@link #sendTo} said, or nowhere. */
    public static void log(String line) {
        Consumer<String> s = sink;
        if (s != null) {
            s.accept(line);
        }
    }
}
