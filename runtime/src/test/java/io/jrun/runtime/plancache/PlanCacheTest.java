package io.jrun.runtime.plancache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.nativebind.PlanEncoder;
import io.jrun.nativebind.StageOp;
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
