package io.jrun.runtime;

import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;

/**
 * How to launch a container beyond its config.json: {@code --no-pivot}, {@code --preserve-fds}
 * (fds 3.. of a CLI caller that pass to the container), and where the container's stdio goes
 * when this JVM spawns the stage (default: this JVM's own).  Immutable; {@code with*} copies.
 */
public record LaunchOptions(boolean noPivot, int preserveFds, Path consoleSocket, Redirect stdin, Redirect stdout,
        Redirect stderr) {
    public static LaunchOptions defaults() {
        return new LaunchOptions(false, 0, null, Redirect.INHERIT, Redirect.INHERIT, Redirect.INHERIT);
    }

    /** {@code --console-socket}: where a terminal's pty master goes (else the monitor copies it to its stdio). */
    public LaunchOptions withConsoleSocket(Path p) {
        return new LaunchOptions(noPivot, preserveFds, p, stdin, stdout, stderr);
    }

    public LaunchOptions withNoPivot(boolean v) {
        return new LaunchOptions(v, preserveFds, consoleSocket, stdin, stdout, stderr);
    }

    public LaunchOptions withPreserveFds(int n) {
        return new LaunchOptions(noPivot, n, consoleSocket, stdin, stdout, stderr);
    }

    public LaunchOptions withStdin(Redirect r) {
        return new LaunchOptions(noPivot, preserveFds, consoleSocket, r, stdout, stderr);
    }

    public LaunchOptions withStdout(Redirect r) {
        return new LaunchOptions(noPivot, preserveFds, consoleSocket, stdin, r, stderr);
    }

    public LaunchOptions withStderr(Redirect r) {
        return new LaunchOptions(noPivot, preserveFds, consoleSocket, stdin, stdout, r);
    }
}
