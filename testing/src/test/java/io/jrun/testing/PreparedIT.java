package io.jrun.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.HostLeakCheck;
import io.jrun.runtime.testing.RootTests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Containers prepared ahead ({@link Engine#prepare}) behave as containers created at start, and never leak. */
@ExtendWith({RootTests.class, HostLeakCheck.class})
class PreparedIT {
    @TempDir
    Path tmp;

    /** What a container shows of itself: its pid, hostname, streams, a file the previous one left, its status. */
    private static final ContainerSpec PROBE = ContainerSpec.fromRootfs(BusyboxImage.rootfs()).withHostname("box")
            .withEnv("GREETING", "hi").withCommand("sh", "-c",
                    "echo $GREETING pid $$ $(hostname) $(readlink /proc/1/ns/pid); echo err >&2;"
                    + " test -e /left-by-previous && echo found a file of the previous container;"
                    + " touch /left-by-previous; exit 3");

    private static List<String> dirs(Path p) throws Exception {
        if (!Files.isDirectory(p)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(p)) {
            return s.map(x -> x.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        }
    }

    private static boolean awaitPrepared(Engine e, ContainerSpec spec, int n) throws InterruptedException {
        for (int i = 0; i < 3000 && e.preparedCount(spec) < n; i++) {
            Thread.sleep(10);
        }
        return e.preparedCount(spec) >= n;
    }

    private static String[] run(Container c) {
        c.start();
        assertTrue(c.waitFor(Duration.ofSeconds(30)));
        c.close();
        return new String[] {c.id(), String.valueOf(c.exitCode().getAsInt()), c.output().stdout(), c.output().stderr()};
    }

    @Test
    void aPreparedStartShowsWhatAnUnpreparedOneShowsOnAFreshLayer() throws Exception {
        Engine engine = Engine.at(tmp.resolve("root"), tmp.resolve("images"));
        String[] plain = run(PROBE.container(engine));
        engine.prepare(PROBE, 2);
        try {
            List<String[]> prepared = new ArrayList<>();
            Set<String> ids = new java.util.HashSet<>();
            for (int i = 0; i < 3; i++) {
                assertTrue(awaitPrepared(engine, PROBE, 2), "not prepared after 30 s");
                List<String> ahead = dirs(engine.root().resolve("c"));
                assertEquals(2, ahead.size(), "the prepared containers' directories: " + ahead);
                // a spec equal in what makes the container, not in its consumers: it takes a prepared one
                List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
                Container c = PROBE.withStdoutConsumer(lines::add).container(engine);
                String[] r = run(c);
                assertTrue(ahead.contains(r[0]), r[0] + " was not one of the prepared " + ahead);
                assertTrue(ids.add(r[0]), "an id twice: " + r[0]);
                assertEquals(List.of(r[2].strip()), lines);
                prepared.add(r);
            }
            for (String[] r : prepared) {
                assertEquals(plain[1], r[1]);
                assertEquals(plain[2].replaceAll("pid:\\[[0-9]+\\]", "pid:[N]"), r[2].replaceAll("pid:\\[[0-9]+\\]",
                        "pid:[N]"));
                assertEquals(plain[3], r[3]);
            }
            assertEquals("3", plain[1]);
            assertTrue(plain[2].startsWith("hi pid 1 box pid:["), plain[2]);
            assertEquals("err\n", plain[3]);
            String hostPidNs = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
            for (String[] r : prepared) {
                assertFalse(r[2].contains(hostPidNs), "the host's pid namespace: " + r[2]);
            }
            assertNotEquals(prepared.get(0)[2], prepared.get(1)[2], "two containers in one pid namespace");
        } finally {
            engine.close();
        }
        assertEquals(List.of(), dirs(engine.root().resolve("c")));
        assertEquals(List.of(), dirs(engine.root().resolve("state")));
    }

    @Test
    void closingTheEngineRemovesItsPreparedContainers() throws Exception {
        Engine engine = Engine.at(tmp.resolve("root"), tmp.resolve("images"));
        ContainerSpec spec = ContainerSpec.fromRootfs(BusyboxImage.rootfs()).withCommand("sleep", "1000")
                .withMemoryLimit(64 << 20);
        engine.prepare(spec, 2);
        assertTrue(awaitPrepared(engine, spec, 2), "not prepared after 30 s");
        List<Long> pids = new ArrayList<>();
        for (String id : dirs(engine.root().resolve("state"))) {
            pids.add(initPid(engine.root().resolve("state").resolve(id)));
        }
        assertEquals(2, pids.size());
        for (long pid : pids) {
            assertTrue(Files.exists(Path.of("/proc/" + pid)), "a prepared container's init is not there");
        }
        engine.close();
        assertEquals(0, engine.preparedCount(spec));
        assertEquals(List.of(), dirs(engine.root().resolve("c")));
        assertEquals(List.of(), dirs(engine.root().resolve("state")));
        for (long pid : pids) {
            assertFalse(Files.exists(Path.of("/proc/" + pid)), "init " + pid + " outlived the engine's close");
        }
        assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(engine.root().toString()));
        // HostLeakCheck: and no cgroup is left
    }

    @Test
    void aSpecWithStdinStartsUnpreparedAndReadsIt() throws Exception {
        Engine engine = Engine.at(tmp.resolve("root"), tmp.resolve("images"));
        ContainerSpec spec = ContainerSpec.fromRootfs(BusyboxImage.rootfs()).withCommand("cat").withStdin("typed\n");
        try {
            engine.prepare(spec, 1); // cannot be: the caller writes its stdin
            assertEquals(List.of(), dirs(engine.root().resolve("c")));
            String[] r = run(spec.container(engine));
            assertEquals("0", r[1]);
            assertEquals("typed\n", r[2]);
        } finally {
            engine.close();
        }
    }

    /** The init's pid from the runtime's state.json. */
    static long initPid(Path stateDir) throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"pid\"\\s*:\\s*([0-9]+)")
                .matcher(Files.readString(stateDir.resolve("state.json")));
        assertTrue(m.find());
        return Long.parseLong(m.group(1));
    }
}
