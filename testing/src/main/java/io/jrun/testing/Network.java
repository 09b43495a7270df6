package io.jrun.testing;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A container's network: its own namespace with only {@code lo} (the default; reach it with
 * {@link Container#connect(int)} or {@link Container#hostPort(int)}), the host's, or another's.
 */
public abstract sealed class Network {
    /** A new network namespace with only the loopback interface, up. */
    public static final Network LOOPBACK_ONLY = new Own();
    /** The host's network: no namespace of its own. */
    public static final Network HOST = new Host();

    private Network() {}

    /** Joins the network namespace at {@code nsPath}, e.g. {@code /proc/PID/ns/net} or a bind-mounted one. */
    public static Network join(Path nsPath) {
        return new Join(nsPath);
    }

    /** Joins another container's network namespace (it must be running). */
    public static Network join(Container other) {
        return new Join(Path.of("/proc/" + other.pid() + "/ns/net"));
    }

    static final class Own extends Network {
        @Override
        public String toString() {
            return "LOOPBACK_ONLY";
        }
    }

    static final class Host extends Network {
        @Override
        public String toString() {
            return "HOST";
        }
    }

    static final class Join extends Network {
        final Path path;

        Join(Path path) {
            this.path = Objects.requireNonNull(path, "nsPath");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Join j && j.path.equals(path);
        }

        @Override
        public int hashCode() {
            return path.hashCode();
        }

        @Override
        public String toString() {
            return "join(" + path + ")";
        }
    }
}
