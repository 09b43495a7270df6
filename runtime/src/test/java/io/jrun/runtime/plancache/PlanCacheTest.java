package io.jrun.runtime.plancache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.nativebind.PlanEncoder;
import io.jrun.nativebind.StageOp;
import io.jrun.runtime.state.ContainerState;
import io.jrun.runtime.state.NativeRecords;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanCacheTest {
    @TempDir
    Path tmp;

    @Test
    void evictionKeepsTheNewestEntriesWithinTheBound() throws Exception {
        int n = PlanCache.MAX_ENTRIES + 5;
        for (int i = 0; i < n; i++) {
            Path p = Files.write(tmp.resolve(String.format("%016x", i)), new byte[] {1});
            Files.setLastModifiedTime(p, FileTime.fromMillis(1_000_000L + i * 1000L));
        }
        Files.write(tmp.resolve(".tmp-being-written"), new byte[] {1});
        PlanCache.evict(tmp);
        try (var s = Files.list(tmp)) {
            assertEquals(PlanCache.MAX_ENTRIES + 1, s.count());
        }
        for (int i = 0; i < 5; i++) {
            assertFalse(Files.exists(tmp.resolve(String.format("%016x", i))), "oldest " + i + " kept");
        }
        assertTrue(Files.exists(tmp.resolve(String.format("%016x", n - 1))));
        assertTrue(Files.exists(tmp.resolve(".tmp-being-written")), "a temporary file is not an entry");
    }

    @Test
    void aStoreThatFailsLeavesNoTemporaryFileBehind() throws Exception {
        // the entry's name taken by a non-empty directory: the rename fails as a full filesystem's write would
        Path dir = PlanCache.dir(tmp, "0123456789abcdef");
        Files.createDirectories(dir.resolve("00000000000000aa").resolve("x"));
        assertThrows(java.io.IOException.class,
                () -> PlanCache.write(tmp, "0123456789abcdef", "00000000000000aa", new byte[] {1, 2, 3}));
        try (var s = Files.list(dir)) {
            assertEquals(List.of(dir.resolve("00000000000000aa")), s.toList(), "a temporary file was left behind");
        }
    }

    @Test
    void evictionKeepsTheBytesWithinTheBound() throws Exception {
        byte[] big = new byte[(int) (PlanCache.MAX_BYTES / 3)];
        for (int i = 0; i < 4; i++) {
            Path p = Files.write(tmp.resolve("e" + i), big);
            Files.setLastModifiedTime(p, FileTime.fromMillis(1_000_000L + i * 1000L));
        }
        PlanCache.evict(tmp);
        assertFalse(Files.exists(tmp.resolve("e0")));
        assertTrue(Files.exists(tmp.resolve("e1")) && Files.exists(tmp.resolve("e3")));
    }

    /** The launcher finds an entry by the same key (FNV-1a 64 of "COMMAND BUNDLE", as plancache.c). */
    /** The records of a create, filled as plancache_create.c fills them, are those NativeRecords writes. */
    @Test
    void filledRecordsAreTheRecordsOfTheCreate() {
        byte[] config = "{\"ociVersion\":\"1.0.2\"}".getBytes(StandardCharsets.UTF_8);
        String dir = "/sys/fs/cgroup/memory/jrun/" + PlanCache.SENTINEL;
        ContainerState template = new ContainerState(PlanCache.SENTINEL, PlanCache.PID, PlanCache.START, "/b",
                "/b/rootfs", PlanCache.CREATED, java.util.Map.of("a", "1999999999"), false,
                new ContainerState.CgroupRecord(false, List.of(dir), List.of(PlanCache.MADE)));
        // an id that holds the pid's digits: what is put in is not looked at again
        String id = "c1999999999";
        List<String> made = List.of("/sys/fs/cgroup/memory/jrun/" + id, "/sys/fs/cgroup/memory/jrun");
        ContainerState real = new ContainerState(id, 4242, 777, "/b", "/b/rootfs", "2026-12-04T16:00:00.123456789Z",
                java.util.Map.of("a", "1999999999"), false,
                new ContainerState.CgroupRecord(false, List.of(dir.replace(PlanCache.SENTINEL, id)), made));
        List<PlanEncoder.Step> filled = PlanCache.fillRecords(NativeRecords.steps(template, config,
                io.jrun.runtime.spec.Spec.Hooks.NONE, false), id, 4242, 777, real.created(), made);
        // the annotation's "1999999999" is not a slot, but the fill cannot tell: such a config is not stored
        assertFalse(java.util.Arrays.equals(NativeRecords.encode(real, config, io.jrun.runtime.spec.Spec.Hooks.NONE,
                false), PlanEncoder.encode(filled)));
        template = new ContainerState(PlanCache.SENTINEL, PlanCache.PID, PlanCache.START, "/b", "/b/rootfs",
                PlanCache.CREATED, java.util.Map.of(), false, template.cgroup());
        real = new ContainerState(id, 4242, 777, "/b", "/b/rootfs", real.created(), java.util.Map.of(), false,
                real.cgroup());
        filled = PlanCache.fillRecords(NativeRecords.steps(template, config, io.jrun.runtime.spec.Spec.Hooks.NONE,
                false), id, 4242, 777, real.created(), made);
        assertEquals(new String(NativeRecords.encode(real, config, io.jrun.runtime.spec.Spec.Hooks.NONE, false),
                StandardCharsets.ISO_8859_1), new String(PlanEncoder.encode(filled), StandardCharsets.ISO_8859_1));
        long madeSteps = filled.stream().filter(st -> st.op() == StageOp.REC_CGROUP_MADE).count();
        assertEquals(2, madeSteps);
        // no directory made (the container's own cgroup existed): an empty list, no REC_CGROUP_MADE step
        filled = PlanCache.fillRecords(NativeRecords.steps(template, config, io.jrun.runtime.spec.Spec.Hooks.NONE,
                false), id, 4242, 777, real.created(), List.of());
        assertEquals(0, filled.stream().filter(st -> st.op() == StageOp.REC_CGROUP_MADE).count());
        assertTrue(filled.stream().anyMatch(st -> st.op() == StageOp.REC_CGROUP_TEXT
                && st.args().get(0).toString().endsWith("\"created\":[]}")));
    }

    @Test
    void theKeyIsFnv1a64OfTheCommandAndBundlePath() {
        assertEquals(String.format("%016x", PlanCache.fnv("run /b".getBytes(StandardCharsets.UTF_8))),
                PlanCache.key("run", "/b"));
        assertEquals("af63dc4c8601ec8c", String.format("%016x", PlanCache.fnv("a".getBytes(StandardCharsets.UTF_8))));
        assertTrue(!PlanCache.key("run", "/b").equals(PlanCache.key("create", "/b")));
    }

    @Test
    void substitutionReplacesTheSentinelInStringsOnly() {
        List<PlanEncoder.Step> steps = List.of(new PlanEncoder.Step(StageOp.HOSTNAME, List.of(PlanCache.SENTINEL)),
                new PlanEncoder.Step(StageOp.CGROUP_ENTER, List.of("/sys/fs/cgroup/pids/jrun/" + PlanCache.SENTINEL
                        + "/cgroup.procs")));
        List<PlanEncoder.Step> filled = PlanCache.substitute(steps, "web-1");
        assertEquals("web-1", filled.get(0).args().get(0));
        assertEquals("/sys/fs/cgroup/pids/jrun/web-1/cgroup.procs", filled.get(1).args().get(0));
    }

    @Test
    void inputsEncodeEveryFactWithItsValue() {
        CompileInputs in = new CompileInputs("b", "", "/run/jrun", "/b", "{}".getBytes(StandardCharsets.UTF_8),
                List.of(new CompileInputs.Fact(CompileInputs.KIND, "/x", "n".getBytes(StandardCharsets.UTF_8))));
        byte[] e = in.encode();
        // 5 strings (build, command, root, bundle, config), a count, then kind, arg, value
        assertEquals(4 + 1 + 4 + 4 + 9 + 4 + 2 + 4 + 2 + 4 + 1 + 4 + 2 + 4 + 1, e.length);
        assertEquals(CompileInputs.KIND, e[e.length - 1 - (4 + 1) - (4 + 2)]); // before its arg and value
    }
}
