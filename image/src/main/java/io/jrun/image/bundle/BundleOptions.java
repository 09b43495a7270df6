package io.jrun.image.bundle;

import java.util.List;

/**
 * What the command line changes in the bundle's process: {@code args} replace the image's
 * Entrypoint and Cmd (null keeps them), {@code env} entries (KEY=VALUE) replace or add to the
 * image's Env, {@code user} replaces its User, {@code tty} gives the process a terminal.
 */
public record BundleOptions(List<String> args, List<String> env, String user, boolean tty) {
    public static final BundleOptions NONE = new BundleOptions(null, List.of(), null, false);
}
