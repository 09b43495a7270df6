package io.jrun.runtime.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CgroupHostTest {
    /** This project's machines: v1 controllers, a cgroup2 with only hugetlb at /sys/fs/cgroup/unified. */
    static final List<String> HYBRID_MOUNTS = List.of(
            "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
            "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu",
            "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct",
            "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
            "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids",
            "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd",
            "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw");
    static final List<String> HYBRID_CGROUP = List.of("9:name=systemd:/", "8:pids:/", "4:memory:/process_api/abc",
            "2:cpuacct:/", "1:cpu:/", "0::/");

    @Test
    void hybridHostsAreV1WithTheirCgroup2Beside() throws Exception {
        CgroupHost h = CgroupHost.parse(HYBRID_MOUNTS, HYBRID_CGROUP);
        assertFalse(h.isV2());
        assertEquals(Path.of("/sys/fs/cgroup/unified"), h.unified().mount());
        assertEquals("/", h.unified().own());
        assertEquals(null, CgroupHost.parse(HYBRID_MOUNTS.subList(0, 6), HYBRID_CGROUP).unified());
        assertEquals(List.of("cpu", "cpuacct", "memory", "pids"), List.copyOf(h.v1().keySet()));
        assertEquals("/process_api/abc", h.v1().get("memory").own());
        assertEquals(Path.of("/sys/fs/cgroup/memory"), h.v1().get("memory").mount());
    }

    @Test
    void pureV2AndComountedV1() throws Exception {
        CgroupHost v2 = CgroupHost.parse(List.of("29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate"),
                List.of("0::/user.slice/session-1.scope"));
        assertTrue(v2.isV2());
        assertEquals("/user.slice/session-1.scope", v2.v2Own());
        CgroupHost co = CgroupHost.parse(List.of(
                "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct"), List.of("3:cpu,cpuacct:/a"));
        assertEquals(co.v1().get("cpu"), co.v1().get("cpuacct"));
        assertEquals("/a", co.v1().get("cpuacct").own());
    }

    @Test
    void placementNestsUnderTheCallersCgroupUnlessAbsolute() throws Exception {
        assertEquals("/process_api/abc/jrun/c1", CgroupHost.placement(null, "/process_api/abc", "c1"));
        assertEquals("/process_api/abc/pods/c1", CgroupHost.placement("pods/c1", "/process_api/abc", "c1"));
        assertEquals("/libpod_parent/libpod-c1", CgroupHost.placement("/libpod_parent/libpod-c1", "/x", "c1"));
        ContainerCgroup cg = ContainerCgroup.place(CgroupHost.parse(HYBRID_MOUNTS, HYBRID_CGROUP), null, "c1");
        assertEquals(List.of(Path.of("/sys/fs/cgroup/cpu/jrun/c1"), Path.of("/sys/fs/cgroup/cpuacct/jrun/c1"),
                Path.of("/sys/fs/cgroup/memory/process_api/abc/jrun/c1"), Path.of("/sys/fs/cgroup/pids/jrun/c1"),
                Path.of("/sys/fs/cgroup/unified/jrun/c1")), cg.dirs());
        assertEquals(List.of("/sys/fs/cgroup/cpu/jrun/c1/cgroup.procs", "/sys/fs/cgroup/cpuacct/jrun/c1/cgroup.procs",
                "/sys/fs/cgroup/memory/process_api/abc/jrun/c1/cgroup.procs", "/sys/fs/cgroup/pids/jrun/c1/cgroup.procs",
                "/sys/fs/cgroup/unified/jrun/c1/cgroup.procs"), cg.procsFiles());
        assertEquals("unified", cg.hierarchyName(Path.of("/sys/fs/cgroup/unified/jrun/c1")));
    }
}
