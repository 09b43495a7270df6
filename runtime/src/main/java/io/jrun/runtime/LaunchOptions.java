package io.jrun.runtime;

import java.lang.ProcessBuilder.Redirect;

/**
 * How to launch a container beyond its config.json: {@code --no-pivot}, and where
 * the container's stdio goes when this JVM spawns the stage (the default: this
 * JVM's own stdio).  Immutable; each {@code with*} returns a copy.
 */
public record LaunchOptions(boolean noPivot, Redirect stdin, Redirect stdout, Redirect stderr) {
    public static LaunchOptions defaults() {
        return new LaunchOptions(false, Redirect.INHERIT, Redirect.INHERIT, Redirect.INHERIT);
    }

    public LaunchOptions withNoPivot(boolean v) {
        return new LaunchOptions(v, stdin, stdout, stderr);
    }

    public LaunchOptions withStdin(Redirect r) {
        return new LaunchOptions(noPivot, r, stdout, stderr);
    }

    public LaunchOptions withStdout(Redirect r) {
        return new LaunchOptions(noPivot, stdin, r, stderr);
    }

    public LaunchOptions withStderr(Redirect r) {
        return new LaunchOptions(noPivot, stdin, stdout, r);
    }
}
