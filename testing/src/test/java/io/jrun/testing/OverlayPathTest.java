package io.jrun.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * A container's overlay paths go into overlayfs's option string: one with ',', ':' or '\' would
 * name another directory or add an option, so it is refused with one line before any mount (the
 * target does not exist: nothing could be mounted even if the check were missing).
 */
class OverlayPathTest {
    static final String TARGET = "/nonexistent-jrun-test/rootfs";

    static String refused(String lower, String upper, String work) {
        return assertThrows(ContainerException.class, () -> Native.mountOverlay(lower, upper, work, TARGET)).getMessage();
    }

    @Test
    void aCommaColonOrBackslashInAnyLayerIsRefused() {
        assertEquals("mount overlay on " + TARGET + ": lowerdir /img/a,upperdir=/etc holds ',', which overlayfs's mount"
                + " options cannot carry; use a directory without it: Invalid argument (EINVAL)",
                refused("/img/a,upperdir=/etc", "/c/upper", "/c/work"));
        assertEquals("mount overlay on " + TARGET + ": upperdir /c/up:per holds ':', which overlayfs's mount"
                + " options cannot carry; use a directory without it: Invalid argument (EINVAL)",
                refused("/img/a", "/c/up:per", "/c/work"));
        assertEquals("mount overlay on " + TARGET + ": workdir /c/w\\ork holds '\\', which overlayfs's mount"
                + " options cannot carry; use a directory without it: Invalid argument (EINVAL)",
                refused("/img/a", "/c/upper", "/c/w\\ork"));
    }
}
