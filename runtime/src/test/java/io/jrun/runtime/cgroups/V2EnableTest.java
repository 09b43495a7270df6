package io.jrun.runtime.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cgroup v2: which controllers jrun enables in the parents' cgroup.subtree_control, on a directory tree shaped
 * as cgroupfs (the kernel's own behaviour is CgroupsIT's, in the cgroup v2 guest), and what the plan cache
 * records of it.
 */
class V2EnableTest {
    @TempDir
    Path tmp;

    Path top;
    Path own;
    Path jrun;

    /** mount / own / jrun (made by another container, pids and memory enabled) / the container. */
    void tree() throws Exception {
        top = tmp.resolve("cg");
        own = top.resolve("own");
        jrun = own.resolve("jrun");
        Files.createDirectories(jrun);
        files(top, "cpu io memory pids", "memory");
        files(own, "memory", "");
        files(jrun, "memory pids", "memory pids");
    }

    static void files(Path dir, String controllers, String subtree) throws Exception {
        Files.writeString(dir.resolve("cgroup.controllers"), controllers + "\n");
        Files.writeString(dir.resolve("cgroup.subtree_control"), subtree.isEmpty() ? "" : subtree + "\n");
    }

    static List<String> written(List<String[]> writes) {
        List<String> out = new ArrayList<>();
        for (String[] w : writes) {
            out.add(Path.of(w[0]).getFileName() + "/" + w[1] + " " + w[2]);
        }
        return out;
    }

    @Test
    void onlyWhatAParentHasAndDoesNotEnableYetIsWritten() throws Exception {
        tree();
        ContainerCgroup.enableControllers(top, jrun.resolve("c"), own, List.of("pids", "memory", "cpu"));
        // the files are plain files here: each write replaced its file's text
        assertEquals("+pids +cpu", Files.readString(top.resolve("cgroup.subtree_control")));
        assertEquals("+memory", Files.readString(own.resolve("cgroup.subtree_control")));
        assertEquals("memory pids\n", Files.readString(jrun.resolve("cgroup.subtree_control")), "enabled already");
    }

    /**
     * Recorded for the plan cache: the caller's cgroup and those above as they are (facts of the cached
     * compile), the jrun/ parent as a run that makes it finds it, though another container's is there now.
     */
    @Test
    void theRecordedWritesTakeJrunsParentAsNew() throws Exception {
        tree();
        files(top, "cpu io memory pids", "memory pids");
        files(own, "memory pids", "memory");
        CgroupFiles.startRecording();
        List<String[]> writes;
        try {
            ContainerCgroup.enableControllers(top, jrun.resolve("c"), own, List.of("pids", "memory"));
        } finally {
            writes = CgroupFiles.stopRecording();
        }
        assertEquals(List.of("own/cgroup.subtree_control +pids", "jrun/cgroup.subtree_control +pids +memory"),
                written(writes));
        assertEquals("memory\n", Files.readString(own.resolve("cgroup.subtree_control")), "recorded, not written");
    }

    @Test
    void theHostParentsAreTheCallersCgroupAndThoseAbove() throws Exception {
        CgroupHost v2 = CgroupHost.parse(List.of("29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate"),
                List.of("0::/user.slice/session-1.scope"));
        ContainerCgroup c = ContainerCgroup.place(v2, null, "web-1");
        assertEquals(List.of(Path.of("/sys/fs/cgroup"), Path.of("/sys/fs/cgroup/user.slice"),
                Path.of("/sys/fs/cgroup/user.slice/session-1.scope")), c.hostParents());
        CgroupHost atRoot = CgroupHost.parse(List.of("29 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw"),
                List.of("0::/"));
        assertEquals(List.of(Path.of("/sys/fs/cgroup")), ContainerCgroup.place(atRoot, null, "web-1").hostParents());
        CgroupHost hybrid = CgroupHost.parse(CgroupHostTest.HYBRID_MOUNTS, CgroupHostTest.HYBRID_CGROUP);
        assertEquals(List.of(), ContainerCgroup.place(hybrid, null, "web-1").hostParents(), "v1: nothing is enabled");
    }
}
