package io.jrun.runtime;

import java.nio.file.Path;
import java.util.Map;

/**
 * What {@code exec} takes beyond the process and the launch options, as runc's exec flags:
 * {@code pidFile} ({@code --pid-file}, written before the process runs its program),
 * {@code subCgroups} ({@code --cgroup}: controller, or "" for every hierarchy, to a path below
 * the container's cgroup that must exist) and {@code ignorePaused} ({@code --ignore-paused}:
 * exec into a frozen container, whose process then waits for resume).
 */
public record ExecOptions(Path pidFile, Map<String, String> subCgroups, boolean ignorePaused) {
    public static final ExecOptions NONE = new ExecOptions(null, Map.of(), false);

    public ExecOptions {
        subCgroups = Map.copyOf(subCgroups);
    }
}
