package io.jrun.image.unpack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How an unpack runs: {@code asRoot} (owners are set and device nodes made; otherwise files are
 * left to the caller's uid and a device node is an error) and the limits.
 */
public record UnpackOptions(boolean asRoot, Limits limits) {
    /** As the current user: as root when the effective uid is 0. */
    public static UnpackOptions defaults() {
        return new UnpackOptions(effectiveUid() == 0, Limits.DEFAULT);
    }

    public UnpackOptions withLimits(Limits l) {
        return new UnpackOptions(asRoot, l);
    }

    /** The effective uid: the owner of /proc/self. */
    static int effectiveUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
