package io.jrun.runtime.plan;

import static io.jrun.runtime.plan.LinuxConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class MountOptionsTest {
    @Test
    void laterOptionsWinAndUnknownOnesAreData() {
        MountOptions o = MountOptions.parse(List.of("ro", "nosuid", "rw", "size=64m", "rprivate", "mode=1777",
                "noatime", "atime", "strictatime"));
        assertEquals(MS_NOSUID | MS_STRICTATIME, o.flags());
        assertEquals(MS_RDONLY | MS_NOATIME, o.clearedFlags());
        assertEquals(MS_PRIVATE | MS_REC, o.propagation());
        assertEquals("size=64m,mode=1777", o.data());
    }

    @Test
    void tmpcopyupIsJrunsNotTheFilesystems() {
        MountOptions o = MountOptions.parse(List.of("rw", "tmpcopyup", "size=1m"));
        assertEquals(true, o.copyUp());
        assertEquals("size=1m", o.data());
    }

    @Test
    void bindRemountCarriesTheOtherFlags() {
        MountOptions o = MountOptions.parse(List.of("rbind", "ro", "nodev"));
        assertEquals(true, o.isBind());
        assertEquals(MS_RDONLY | MS_NODEV, o.bindRemountFlags());
        assertEquals(0, MountOptions.parse(List.of("bind")).bindRemountFlags());
    }

    @Test
    void recursiveOptionsBecomeMountAttributes() {
        MountOptions o = MountOptions.parse(List.of("rbind", "rro", "rnosuid", "rnodev", "rexec", "rnoatime"));
        assertEquals(MountOptions.ATTR_RDONLY | MountOptions.ATTR_NOSUID | MountOptions.ATTR_NODEV
                | MountOptions.ATTR_NOATIME, o.attrSet());
        // the atime setting is one field: a new one clears it first, as mount_setattr(2) asks
        assertEquals(MountOptions.ATTR_NOEXEC | MountOptions.ATTR_ATIME_MASK, o.attrClear());
        assertEquals("", o.data());
        MountOptions back = MountOptions.parse(List.of("rro", "rrw", "rnoatime", "ratime"));
        assertEquals(0, back.attrSet());
        assertEquals(MountOptions.ATTR_RDONLY | MountOptions.ATTR_ATIME_MASK, back.attrClear());
    }

    @Test
    void idmapAndRidmapAreJrunsNotTheFilesystems() {
        assertEquals(MountOptions.IDMAP, MountOptions.parse(List.of("bind", "idmap")).idmap());
        assertEquals(MountOptions.RIDMAP, MountOptions.parse(List.of("rbind", "ridmap")).idmap());
        assertEquals(MountOptions.NO_IDMAP, MountOptions.parse(List.of("rbind")).idmap());
        assertEquals("", MountOptions.parse(List.of("bind", "ridmap")).data());
    }
}
