package io.jrun.runtime;

import java.lang.ProcessBuilder.Redirect;

/**
 * How to launch a container beyond its config.json: {@code --no-pivot}, {@code --preserve-fds}
 * (fds 3.. of a CLI caller that pass to the container), and where the container's stdio goes
 * when this JVM spawns the stage (default: this JVM's own).  Immutable; {@code with*} copies.
 */
public record LaunchOptions(boolean noPivot, int preserveFds, Redirect stdin, Redirect stdout, Redirect stderr) {
    public static LaunchOptions defaults() {
        return new LaunchOptions(false, 0, Redirect.INHERIT, Redirect.INHERIT, Redirect.INHERIT);
    }

    public LaunchOptions withNoPivot(boolean v) {
        return new LaunchOptions(v, preserveFds, stdin, stdout, stderr);
    }

    public LaunchOptions withPreserveFds(int n) {
        return new LaunchOptions(noPivot, n, stdin, stdout, stderr);
    }

    public LaunchOptions withStdin(Redirect r) {
        return new LaunchOptions(noPivot, preserveFds, r, stdout, stderr);
    }

    public LaunchOptions withStdout(Redirect r) {
        return new LaunchOptions(noPivot, preserveFds, stdin, r, stderr);
    }

    public LaunchOptions withStderr(Redirect r) {
        return new LaunchOptions(noPivot, preserveFds, stdin, stdout, r);
    }
}
