package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.TestBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The commands the launcher runs without a JVM (state, start, kill, delete, list, ps --format json,
 * pause, resume): the same bytes, exit status and effects as the JVM path. "Without a JVM" is shown
 * by running them with {@code JRUN_JAVA=/bin/false}: a command that started the JVM would fail; the
 * JVM path is forced with {@code JRUN_NO_NATIVE=1}.
 */
class NativeCommandsIT extends CliTest {
    private static final Map<String, String> NO_JVM = Map.of("JRUN_JAVA", "/bin/false");
    private static final Map<String, String> JVM = Map.of("JRUN_NO_NATIVE", "1");

    JrunCli.Result run(Map<String, String> env, String... args) throws Exception {
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder pb = jrun.builder(args).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putAll(env);
        return JrunCli.finish(new JrunCli.Started(pb.start(), out, err));
    }

    /** Runs a command natively (no JVM may start) and through the JVM; both must print the same. */
    JrunCli.Result same(String... args) throws Exception {
        JrunCli.Result n = run(NO_JVM, args);
        JrunCli.Result j = run(JVM, args);
        assertEquals(j, n, "native and JVM differ for " + List.of(args));
        assertEquals(0, n.exit(), n.stderr());
        return n;
    }

    static String withoutCpuColumn(JrunCli.Result r) {
        return r.exit() + r.stderr() + r.stdout().replaceAll("(?m)^(\\S+\\s+\\S+\\s+\\S+\\s+)\\d+", "$1C");
    }

    String create(TestBundle b) throws Exception {
        String id = "nat-" + UUID.randomUUID().toString().substring(0, 8);
        JrunCli.Result r = jrun.run("create", "--bundle", b.write().toString(), id);
        assertEquals(0, r.exit(), r.stderr());
        return id;
    }

    TestBundle bundle(String script) {
        return TestBundle.in(tmp.resolve("b-" + UUID.randomUUID().toString().substring(0, 6))).sh(script);
    }

    static String status(JrunCli.Result state) {
        int i = state.stdout().indexOf("\"status\": \"");
        return state.stdout().substring(i + 11, state.stdout().indexOf('"', i + 11));
    }

    static List<Path> cgroupsOf(long pid) throws Exception {
        List<Path> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
            String[] f = line.split(":", 3);
            if (f[1].equals("memory") || f[1].equals("pids") || f[1].equals("freezer")) {
                out.add(Path.of("/sys/fs/cgroup/" + f[1] + f[2]));
            } else if (f[1].isEmpty()) { // cgroup v2: a hybrid host's unified hierarchy, or the only one
                Path unified = Path.of("/sys/fs/cgroup/unified");
                out.add(Path.of((Files.isDirectory(unified) ? unified : Path.of("/sys/fs/cgroup")) + f[2]));
            }
        }
        return out;
    }

    static long pid(JrunCli.Result state) {
        String s = state.stdout();
        int i = s.indexOf("\"pid\": ");
        return Long.parseLong(s.substring(i + 7, s.indexOf(',', i)));
    }

    @Test
    void everyStatusPrintsTheSameAsTheJvmAndEveryStepRunsWithoutOne() throws Exception {
        String id = create(bundle("echo started > /tmp/x; exec sleep 100"));
        JrunCli.Result st = same("state", id);
        assertEquals("created", status(st));
        long pid = pid(st);
        List<Path> cgroups = cgroupsOf(pid);
        same("list");
        same("list", "--format", "json");
        same("list", "-q");
        Path log = tmp.resolve("log.json");
        same("--log", log.toString(), "--log-format=json", "state", id);
        same("--log-format", "text", "list");
        assertFalse(Files.exists(log), "a command that succeeded logged something");
        JrunCli.Result ps = same("ps", "--format", "json", id);
        assertEquals("[" + pid + "]\n", ps.stdout());
        // ps -ef's C column is CPU time over elapsed time: the waiting init's drops between two calls
        JrunCli.Result table = run(NO_JVM, "ps", id);
        assertEquals(withoutCpuColumn(run(JVM, "ps", id)), withoutCpuColumn(table));
        assertEquals(0, table.exit(), table.stderr());
        assertEquals(2, table.stdout().lines().count(), table.stdout());
        assertTrue(table.stdout().startsWith("UID") && table.stdout().contains(" " + pid + " "), table.stdout());
        same("ps", id, "--", "-o", "pid,comm");
        same("ps", "-f", "table", id, "-o", "pid,ppid,stat");

        JrunCli.Result start = run(NO_JVM, "start", id);
        assertEquals(0, start.exit(), start.stderr());
        assertEquals("", start.stdout() + start.stderr());
        assertEquals("running", status(same("state", id)));
        same("list");

        assertEquals(0, run(NO_JVM, "pause", id).exit());
        assertEquals("paused", status(same("state", id)));
        same("list", "--format=json");
        assertEquals(0, run(NO_JVM, "resume", id).exit());
        assertEquals("running", status(same("state", id)));

        assertEquals(0, run(NO_JVM, "kill", id, "0").exit(), "signal 0: it runs");
        assertEquals(0, run(NO_JVM, "kill", id, "SIGKILL").exit());
        for (int i = 0; i < 500 && !status(run(JVM, "state", id)).equals("stopped"); i++) {
            Thread.sleep(10);
        }
        JrunCli.Result stopped = same("state", id);
        assertEquals("stopped", status(stopped));
        assertEquals(0, pid(stopped));
        same("list");
        JrunCli.Result del = run(NO_JVM, "delete", id);
        assertEquals(0, del.exit(), del.stderr());
        assertEquals("", del.stdout() + del.stderr());
        assertFalse(Files.exists(jrun.stateRoot().resolve(id)), "state left behind");
        for (Path cg : cgroups) {
            assertFalse(Files.exists(cg), cg + " left behind");
        }
        assertEquals(0, run(NO_JVM, "delete", "--force", id).exit(), "delete --force of a container already gone");
    }

    @Test
    void deleteForceKillsAPausedContainerAndEverythingInIt() throws Exception {
        String id = create(bundle("sleep 100 & sleep 100 & exec sleep 100"));
        assertEquals(0, run(NO_JVM, "start", id).exit());
        long pid = pid(run(JVM, "state", id));
        List<Path> cgroups = cgroupsOf(pid);
        List<Long> pids = new ArrayList<>();
        for (int i = 0; i < 500 && pids.size() < 3; i++) {
            pids.clear();
            String json = run(NO_JVM, "ps", "--format", "json", id).stdout().trim();
            for (String p : json.substring(1, json.length() - 1).split(",")) {
                pids.add(Long.parseLong(p));
            }
            Thread.sleep(10);
        }
        assertEquals(3, pids.size(), pids.toString());
        assertEquals(0, run(NO_JVM, "pause", id).exit());
        JrunCli.Result refused = run(JVM, "delete", id);
        assertNotEquals(0, refused.exit(), "a paused container is not deleted without --force");
        JrunCli.Result del = run(NO_JVM, "delete", "--force", id);
        assertEquals(0, del.exit(), del.stderr());
        for (long p : pids) {
            assertFalse(DamagedStateIT.alive(p), "process " + p + " survived delete --force");
        }
        for (Path cg : cgroups) {
            assertFalse(Files.exists(cg), cg + " left behind");
        }
        assertFalse(Files.exists(jrun.stateRoot().resolve(id)));
    }

    @Test
    void killAllSignalsEveryProcess() throws Exception {
        String id = create(bundle("sleep 100 & exec sleep 100"));
        assertEquals(0, run(NO_JVM, "start", id).exit());
        long pid = pid(run(JVM, "state", id));
        String json = "";
        for (int i = 0; i < 500 && !json.contains(","); i++) {
            json = run(NO_JVM, "ps", "--format", "json", id).stdout();
            Thread.sleep(10);
        }
        long child = Long.parseLong(json.trim().replace("[", "").replace("]", "").replace(pid + "", "")
                .replace(",", ""));
        assertEquals(0, run(NO_JVM, "kill", "--all", id, "KILL").exit());
        for (int i = 0; i < 500 && (DamagedStateIT.alive(pid) || DamagedStateIT.alive(child)); i++) {
            Thread.sleep(10);
        }
        assertFalse(DamagedStateIT.alive(child), "kill --all left " + child);
        assertEquals(0, run(NO_JVM, "delete", id).exit());
    }

    @Test
    void damagedOrOtherVersionRecordsTakeTheJvmPathAndStillWork() throws Exception {
        String id = create(bundle("exec sleep 100"));
        Path rec = jrun.stateRoot().resolve(id).resolve("native.rec");
        byte[] good = Files.readAllBytes(rec);
        JrunCli.Result expected = run(JVM, "state", id);

        byte[] otherVersion = good.clone();
        otherVersion[8 + 4 + 4 + 4 + 1] = 99; // the first record's u64: REC_VERSION
        Files.write(rec, otherVersion);
        assertNotEquals(0, run(NO_JVM, "state", id).exit(), "records of another version were used");
        assertEquals(expected, run(Map.of(), "state", id));

        Files.write(rec, java.util.Arrays.copyOf(good, good.length / 2));
        assertNotEquals(0, run(NO_JVM, "state", id).exit(), "truncated records were used");
        assertEquals(expected, run(Map.of(), "state", id));
        assertEquals(0, run(Map.of(), "start", id).exit());
        assertEquals("running", status(run(Map.of(), "state", id)));

        Files.delete(rec);
        assertNotEquals(0, run(NO_JVM, "kill", id, "KILL").exit(), "kill without records ran natively");
        assertEquals(0, run(Map.of(), "delete", "--force", id).exit());
        assertFalse(Files.exists(jrun.stateRoot().resolve(id)));
    }

    @Test
    void recordsNamingACgroupOutsideTheContainersAreNotFollowed() throws Exception {
        String id = create(bundle("exec sleep 100"));
        long pid = pid(run(JVM, "state", id));
        Path dir = jrun.stateRoot().resolve(id);
        String cg = cgroupsOf(pid).get(0).toString();
        // records, state.json and cgroup.json all naming the hierarchy's root through "./" (the same length)
        String root = cg.substring(0, cg.indexOf('/', "/sys/fs/cgroup/".length()));
        String evil = root + "/" + "./".repeat((cg.length() - root.length() - 1) / 2);
        evil = evil + "x".repeat(cg.length() - evil.length());
        Map<Path, byte[]> saved = new java.util.HashMap<>();
        for (String f : List.of("native.rec", "state.json", "cgroup.json")) {
            Path p = dir.resolve(f);
            saved.put(p, Files.readAllBytes(p));
            String text = new String(saved.get(p), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertTrue(text.contains(cg), f + " names " + cg);
            Files.write(p, text.replace(cg, evil).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        }
        assertNotEquals(0, run(NO_JVM, "delete", "--force", id).exit(), "records naming " + evil + " were followed");
        assertTrue(Files.isDirectory(dir), "the state was removed");
        assertTrue(DamagedStateIT.alive(pid));
        for (Map.Entry<Path, byte[]> e : saved.entrySet()) {
            Files.write(e.getKey(), e.getValue());
        }
        assertEquals(0, run(NO_JVM, "delete", "--force", id).exit());
        assertFalse(Files.exists(dir));
    }

    @Test
    void aStateFileThatDisagreesWithTheRecordsIsJavasToJudge() throws Exception {
        String id = create(bundle("exec sleep 100"));
        Path state = jrun.stateRoot().resolve(id).resolve("state.json");
        Files.writeString(state, Files.readString(state).replace("\"bundle\":\"", "\"bundle\":\"/elsewhere"));
        assertNotEquals(0, run(NO_JVM, "state", id).exit(), "records used though state.json changed");
        JrunCli.Result s = run(Map.of(), "state", id);
        assertEquals(run(JVM, "state", id), s);
        assertTrue(s.stdout().contains("/elsewhere"), s.stdout());
        assertEquals(0, run(Map.of(), "delete", "--force", id).exit());
    }

    static Map<String, Object> hook(long timeout, String script, String... env) {
        Map<String, Object> h = new java.util.LinkedHashMap<>();
        h.put("path", "/bin/sh");
        h.put("args", List.of("sh", "-c", script));
        h.put("env", List.of(env));
        if (timeout > 0) {
            h.put("timeout", timeout);
        }
        return h;
    }

    /** The element of {@code list --format json} for the one container: what its hooks read on stdin. */
    String listed() throws Exception {
        String l = run(JVM, "list", "--format", "json").stdout().trim();
        return l.substring(1, l.length() - 1);
    }

    @Test
    void poststartAndPoststopHooksRunWithoutAJvmWithTheStateOnStdinTheirArgsAndEnvironment() throws Exception {
        Path start = tmp.resolve("poststart");
        Path stop = tmp.resolve("poststop");
        String id = create(bundle("exec sleep 100").set("hooks", Map.of(
                "poststart", List.of(hook(0, "cat > " + start + "; echo \"$0 $FOO\" >> " + start, "FOO=bar")),
                "poststop", List.of(hook(5, "cat > " + stop)))));
        JrunCli.Result started = run(NO_JVM, "start", id);
        assertEquals(0, started.exit(), started.stderr());
        assertEquals(listed() + "/bin/sh bar\n", Files.readString(start), "poststart: the state, argv[0] the path, env");
        assertEquals(0, run(NO_JVM, "kill", id, "KILL").exit());
        for (int i = 0; i < 500 && !status(run(JVM, "state", id)).equals("stopped"); i++) {
            Thread.sleep(10);
        }
        String stopped = listed();
        JrunCli.Result del = run(NO_JVM, "delete", id);
        assertEquals(0, del.exit(), del.stderr());
        assertEquals("", del.stderr());
        assertEquals(stopped, Files.readString(stop));
    }

    @Test
    void aFailingOrHangingHookIsTheSameWarningAsTheJvmPrints() throws Exception {
        List<String> stderr = new ArrayList<>();
        for (Map<String, String> env : List.of(NO_JVM, JVM)) {
            String id = create(bundle("exec sleep 100").set("hooks", Map.of("poststop", List.of(
                    hook(0, "exit 3"), hook(1, "exec sleep 30"), hook(0, "kill -9 $$")))));
            JrunCli.Result del = run(env, "delete", "--force", id);
            assertEquals(0, del.exit(), del.stderr());
            assertFalse(Files.exists(jrun.stateRoot().resolve(id)));
            stderr.add(del.stderr());
        }
        assertEquals("jrun: warning: poststop hook /bin/sh: exited with status 3\n"
                + "jrun: warning: poststop hook /bin/sh: timed out after 1 s\n"
                + "jrun: warning: poststop hook /bin/sh: exited with status 137\n", stderr.get(0));
        assertEquals(stderr.get(1), stderr.get(0));
    }

    @Test
    void everyHookGetsTheSignalDispositionsTheJvmGivesIt() throws Exception {
        // the native path ignores SIGPIPE while it feeds a hook's stdin: the next hook must not inherit that
        List<String> seen = new ArrayList<>();
        for (Map<String, String> env : List.of(NO_JVM, JVM)) {
            Path out = tmp.resolve("sigign-" + seen.size());
            String probe = "grep -E '^Sig(Ign|Blk)' /proc/self/status >> " + out;
            String id = create(bundle("exec sleep 100").set("hooks", Map.of("poststop", List.of(
                    hook(0, probe), hook(0, probe)))));
            JrunCli.Result del = run(env, "delete", "--force", id);
            assertEquals(0, del.exit(), del.stderr());
            seen.add(Files.readString(out));
        }
        assertEquals(4, seen.get(1).lines().count(), seen.get(1));
        assertEquals(seen.get(1), seen.get(0), "native hooks (first) and the JVM's (second) differ");
    }

    @Test
    void psGivesPs1OnlyItsStdioAsTheJvmDoes() throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("psbin"));
        Path fds = tmp.resolve("ps-fds");
        Path ps = bin.resolve("ps");
        Files.writeString(ps, "#!/bin/sh\nfor f in /proc/$$/fd/*; do printf '%s ' \"${f##*/}\"; done >> " + fds
                + "\necho >> " + fds + "\nexec /bin/ps \"$@\"\n");
        ps.toFile().setExecutable(true);
        String id = create(bundle("exec sleep 100"));
        try {
            String path = bin + ":" + System.getenv("PATH");
            JrunCli.Result n = run(Map.of("JRUN_JAVA", "/bin/false", "PATH", path), "ps", id, "--", "-o", "pid,args");
            JrunCli.Result j = run(Map.of("JRUN_NO_NATIVE", "1", "PATH", path), "ps", id, "--", "-o", "pid,args");
            assertEquals(0, n.exit(), n.stderr());
            assertEquals(j, n);
            List<String> lines = Files.readAllLines(fds);
            assertEquals(2, lines.size(), lines.toString());
            assertEquals(lines.get(1), lines.get(0), "ps(1)'s fds: native (first) and the JVM's (second) differ");
        } finally {
            assertEquals(0, run(JVM, "delete", "--force", id).exit());
        }
    }

    @Test
    void startContainerHooksAreLeftToTheJvm() throws Exception {
        String id = create(bundle("exec sleep 100").set("hooks", Map.of("startContainer",
                List.of(Map.of("path", "/bin/true")))));
        assertNotEquals(0, run(NO_JVM, "start", id).exit(), "startContainer hooks ran natively");
        assertEquals("created", status(run(JVM, "state", id)), "the failed native try changed the state");
        assertEquals(0, run(Map.of(), "start", id).exit());
        assertEquals("running", status(run(JVM, "state", id)));
        assertEquals(0, run(NO_JVM, "delete", "--force", id).exit());
        assertFalse(Files.exists(jrun.stateRoot().resolve(id)));
    }
}
