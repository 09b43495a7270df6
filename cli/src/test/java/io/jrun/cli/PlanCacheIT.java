package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.TestBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The compiled-plan cache of `jrun run`: a second run of the same inputs runs without a JVM. "Without a
 * JVM" is shown by JRUN_JAVA=/bin/false: a run that starts the JVM then fails (exit 1, no output), one
 * from the cache runs the container. Anything changed in the inputs, or a damaged entry, takes the JVM.
 * The same on cgroup v1 (these hosts, with the cgroup2 beside it) and pure cgroup v2 (scripts/cgv2-suite.sh).
 */
class PlanCacheIT extends CliTest {
    static final String NO_JVM = "/bin/false";

    static String id() {
        return "pc-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A pure cgroup v2 host (scripts/cgv2-suite.sh runs this class in one). */
    static boolean v2() {
        return Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
    }

    TestBundle bundle() {
        return TestBundle.in(tmp.resolve("bundle-" + UUID.randomUUID().toString().substring(0, 6)));
    }

    JrunCli.Result run(String java, Path root, Path bundle, String id) throws Exception {
        JrunCli.Started s = start(java, root, bundle, id);
        return JrunCli.finish(s);
    }

    JrunCli.Started start(String java, Path root, Path bundle, String id) throws IOException {
        List<String> args = new ArrayList<>(List.of("run", "--bundle", bundle.toString(), id));
        ProcessBuilder pb = jrun.builder(args.toArray(new String[0]));
        if (root != null) { // the builder put --root STATE first
            pb.command().set(2, root.toString());
        }
        if (java != null) {
            pb.environment().put("JRUN_JAVA", java);
        }
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        return new JrunCli.Started(pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start(), out, err);
    }

    List<Path> entries(Path root) throws IOException {
        Path top = root.resolve(".plan-cache");
        List<Path> l = new ArrayList<>();
        if (!Files.isDirectory(top)) {
            return l;
        }
        try (var builds = Files.list(top)) {
            for (Path b : builds.toList()) {
                try (var e = Files.list(b)) {
                    l.addAll(e.toList());
                }
            }
        }
        return l;
    }

    void assertNoContainerLeft(Path root) throws IOException {
        try (var s = Files.list(root)) {
            assertEquals(List.of(), s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).toList());
        }
    }

    @Test
    void aSecondIdenticalRunNeedsNoJvmAndEndsTheSame() throws Exception {
        Path b = bundle().sh("echo out; echo err >&2; exit 3").write();
        JrunCli.Result first = run(null, null, b, id());
        assertEquals(new JrunCli.Result(3, "out\n", "err\n"), first);
        List<Path> stored = entries(jrun.stateRoot());
        assertEquals(1, stored.size(), "one entry stored");
        // root-only: the cache, the build's directory and the entry
        assertEquals("rwx------", perms(jrun.stateRoot().resolve(".plan-cache")));
        assertEquals("rwx------", perms(stored.get(0).getParent()));
        assertEquals("rw-------", perms(stored.get(0)));
        long before = Files.getLastModifiedTime(stored.get(0)).toMillis();

        JrunCli.Result cached = run(NO_JVM, null, b, id());
        assertEquals(first, cached);
        assertNoContainerLeft(jrun.stateRoot());
        assertTrue(Files.getLastModifiedTime(stored.get(0)).toMillis() >= before, "the entry is touched when used");

        // runc's other form: a bundle directory, the id made up
        ProcessBuilder pb = jrun.builder("run", ".").directory(b.toFile());
        pb.environment().put("JRUN_JAVA", NO_JVM);
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        assertEquals(first, JrunCli.finish(new JrunCli.Started(
                pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start(), out, err)));
        assertNoContainerLeft(jrun.stateRoot());
    }

    /** While it runs, a cached container has the state files and cgroup the JVM path gives it. */
    @Test
    void aCachedRunWritesTheStateAndCgroupOfTheJvmPath() throws Exception {
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        Map<String, Object> bind = new LinkedHashMap<>();
        bind.put("destination", "/x");
        bind.put("type", "bind");
        bind.put("source", shared.toString());
        bind.put("options", List.of("rbind"));
        Path b = bundle().mount(bind).sh("touch /x/up; while [ ! -e /x/go ]; do sleep 0.01; done; echo done").write();
        Map<String, String> jvm = observe(null, b, shared);
        assertEquals(1, entries(jrun.stateRoot()).size());
        Map<String, String> cached = observe(NO_JVM, b, shared);
        assertEquals(jvm, cached);
    }

    /** Runs the bundle to the point where it waits, reads what a user sees of it, lets it end. */
    Map<String, String> observe(String java, Path b, Path shared) throws Exception {
        String id = id();
        Files.deleteIfExists(shared.resolve("go"));
        Files.deleteIfExists(shared.resolve("up"));
        JrunCli.Started s = start(java, null, b, id);
        Path state = jrun.stateRoot().resolve(id);
        for (int i = 0; i < 3000 && !(Files.exists(shared.resolve("up")) && Files.exists(state.resolve("state.json"))); i++) {
            assertTrue(s.process().isAlive(), "jrun ended early: " + Files.readString(s.err()));
            Thread.sleep(10);
        }
        Map<String, String> seen = new LinkedHashMap<>();
        try (var files = Files.list(state)) {
            seen.put("files", files.map(p -> p.getFileName().toString()).sorted().toList().toString());
        }
        String stateJson = Files.readString(state.resolve("state.json"));
        String pid = stateJson.replaceAll(".*\"pid\":(\\d+).*", "$1");
        seen.put("state.json", normal(stateJson, id));
        String cgroupJson = Files.readString(state.resolve("cgroup.json"));
        seen.put("cgroup.json", normal(cgroupJson, id));
        seen.put("config.json", Files.readString(state.resolve("config.json")));
        JrunCli.Result st = jrun.run("state", id);
        seen.put("jrun state", normal(st.stdout(), id) + st.exit());
        // the cgroup files: the init in every hierarchy's cgroup.procs, the limits and device rules
        List<Path> dirs = new ArrayList<>();
        for (String dir : cgroupJson.replaceAll(".*\"dirs\":\\[([^]]*)].*", "$1").split(",")) {
            Path d = Path.of(dir.replace("\"", "").trim());
            seen.put(normal(d.toString(), id) + " procs", String.valueOf(Files.readAllLines(d.resolve("cgroup.procs"))
                    .contains(pid)));
            for (String f : LIMIT_FILES) {
                if (Files.exists(d.resolve(f))) {
                    seen.put(normal(d.toString(), id) + " " + f, Files.readString(d.resolve(f)));
                }
            }
            if (Files.exists(d.getParent().resolve("cgroup.subtree_control"))) { // cgroup2: what the parent enables
                seen.put(normal(d.getParent().toString(), id) + " parent's cgroup.subtree_control",
                        Files.readString(d.getParent().resolve("cgroup.subtree_control")));
            }
            dirs.add(d);
        }
        Files.createFile(shared.resolve("go"));
        JrunCli.Result r = JrunCli.finish(s);
        seen.put("result", r.toString());
        assertFalse(Files.exists(state), "state left behind");
        for (Path d : dirs) {
            assertFalse(Files.exists(d), "cgroup left behind: " + d);
        }
        return seen;
    }

    /** The files of the limits and device rules, as the JVM path writes them (v1, and v2). */
    static final List<String> LIMIT_FILES = List.of("devices.list", "memory.limit_in_bytes", "pids.max",
            "cpu.cfs_quota_us", "cpu.cfs_period_us", "memory.max", "cpu.max");

    /** The value of the first file {@code name} that {@link #observe} saw. */
    static String file(Map<String, String> seen, String name) {
        for (Map.Entry<String, String> e : seen.entrySet()) {
            if (e.getKey().endsWith(" " + name)) {
                return e.getValue().trim();
            }
        }
        return null;
    }

    /**
     * The limits and device rules of a cached run are the JVM path's: on cgroup v2 the controllers enabled in
     * the parents, memory.max, pids.max and cpu.max as set, the init cloned into its cgroup, the device rules
     * as the eBPF program the cached plan carries; on v1 the same through each controller's files. Nothing of
     * either is left once it ends.
     */
    @Test
    void aCachedRunHasTheLimitsAndDeviceRulesOfTheJvmPath() throws Exception {
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        Map<String, Object> bind = new LinkedHashMap<>();
        bind.put("destination", "/x");
        bind.put("type", "bind");
        bind.put("source", shared.toString());
        bind.put("options", List.of("rbind"));
        TestBundle tb = bundle().mount(bind).sh("head -c1 /dev/zero >/dev/null 2>&1 || echo zero-denied;"
                + " echo x > /dev/null && echo null-ok; touch /x/up; while [ ! -e /x/go ]; do sleep 0.01; done");
        // deny all, then /dev/zero: jrun's own devices (null among them) stay allowed after a deny-all
        List<Object> rules = List.of(Map.of("allow", false, "access", "rwm"),
                Map.of("allow", false, "type", "c", "major", 1L, "minor", 5L, "access", "rwm"));
        tb.linux().put("resources", Map.of("memory", Map.of("limit", 64L << 20), "pids", Map.of("limit", 42L),
                "cpu", Map.of("quota", 20000L, "period", 100000L), "devices", rules));
        Path b = tb.write();
        Map<String, String> jvm = observe(null, b, shared);
        assertEquals(1, entries(jrun.stateRoot()).size());
        Map<String, String> cached = observe(NO_JVM, b, shared);
        assertEquals(jvm, cached);
        assertEquals(new JrunCli.Result(0, "zero-denied\nnull-ok\n", "").toString(), cached.get("result"));
        assertEquals("42", file(cached, "pids.max"), cached.toString());
        if (v2()) {
            assertEquals("67108864", file(cached, "memory.max"), cached.toString());
            assertEquals("20000 100000", file(cached, "cpu.max"), cached.toString());
            assertTrue(List.of(file(cached, "parent's cgroup.subtree_control").split(" ")).containsAll(
                    List.of("cpu", "memory", "pids")), cached.toString());
        } else {
            assertEquals("67108864", file(cached, "memory.limit_in_bytes"), cached.toString());
            assertEquals("20000", file(cached, "cpu.cfs_quota_us"), cached.toString());
        }
        assertNoContainerLeft(jrun.stateRoot());
    }

    /**
     * cgroup v2: a controller the compile found enabled in the caller's cgroup.subtree_control, disabled since,
     * makes the launcher take the JVM, which enables it again as always; the plan stored then is used again.
     */
    @Test
    void onCgroupV2AChangedParentSubtreeControlRunsThroughTheJvm() throws Exception {
        Assumptions.assumeTrue(v2(), "a cgroup v2 host (scripts/cgv2-suite.sh)");
        // it changes the caller's own cgroup, which this test did not make: only in the throw-away guest
        Assumptions.assumeTrue(System.getenv("JRUN_CGV2_GUEST") != null, "scripts/cgv2-suite.sh's guest");
        String self = Files.readString(Path.of("/proc/self/cgroup")).trim();
        Assumptions.assumeTrue(self.startsWith("0::"), self);
        Path own = Path.of("/sys/fs/cgroup" + (self.equals("0::/") ? "" : self.substring(3)));
        Path subtree = own.resolve("cgroup.subtree_control");
        Path b = bundle().sh("echo ok").write();
        assertEquals(new JrunCli.Result(0, "ok\n", ""), run(null, null, b, id()));
        assertEquals(new JrunCli.Result(0, "ok\n", ""), run(NO_JVM, null, b, id()), "cached");
        assertTrue(Files.readString(subtree).contains("pids"), Files.readString(subtree));
        try {
            try {
                Files.writeString(subtree, "-pids"); // jrun/ is gone: nothing below enables pids
            } catch (IOException e) {
                Assumptions.abort("pids cannot be disabled in " + subtree + " here: " + e);
            }
            assertEquals(1, run(NO_JVM, null, b, id()).exit(), "the changed subtree_control took the cached plan");
            assertEquals(new JrunCli.Result(0, "ok\n", ""), run(null, null, b, id()));
            assertTrue(Files.readString(subtree).contains("pids"), "the JVM path enables pids again");
            assertEquals(new JrunCli.Result(0, "ok\n", ""), run(NO_JVM, null, b, id()), "the plan is cached again");
        } finally {
            if (!Files.readString(subtree).contains("pids")) {
                Files.writeString(subtree, "+pids");
            }
        }
        assertNoContainerLeft(jrun.stateRoot());
    }

    static String normal(String s, String id) {
        return s.replace(id, "ID").replaceAll("\"pid\":\\s*\\d+", "\"pid\":N")
                .replaceAll("\"created\":\\s*\"[^\"]*\"", "\"created\":T")
                .replaceAll("\"jrun.pidStartTime\":\\d+", "\"jrun.pidStartTime\":S");
    }

    /**
     * `create --pid-file` as containerd and runtime-tools call it: the first create's JVM stores an entry; a
     * second create of the bundle under another id runs without a JVM and writes the records (native.rec),
     * state files, pid file and cgroup a JVM create writes, so its start, state, kill and delete run
     * without a JVM too and behave as after a create through the JVM (JRUN_PLAN_CACHE=off).
     */
    @Test
    void aSecondCreateNeedsNoJvmAndLeavesTheSameContainer() throws Exception {
        Path b = bundle().sh("trap 'echo term; exit 7' TERM; echo started; while true; do sleep 0.01; done").write();
        Map<String, String> first = lifecycle(Map.of(), b);
        assertEquals(1, entries(jrun.stateRoot()).size(), "a create entry stored");
        assertTrue(first.get("files").contains("native.rec"), first.get("files"));
        Map<String, String> jvm = lifecycle(Map.of("JRUN_PLAN_CACHE", "off"), b);
        assertEquals(first, jvm);
        // JRUN_JAVA=/bin/false for every command: create from the cache, start, state, kill, delete natively
        Map<String, String> cached = lifecycle(Map.of("JRUN_JAVA", NO_JVM), b);
        assertEquals(jvm, cached);
        assertEquals(1, entries(jrun.stateRoot()).size(), "the entry is used, not stored again");
        assertNoContainerLeft(jrun.stateRoot());
    }

    /** A create from the cache followed by `delete --force`, neither with a JVM: nothing is left. */
    @Test
    void aCachedCreateDeletedByForceLeavesNothing() throws Exception {
        Path b = bundle().sh("echo never").write();
        String first = id();
        assertEquals(0, cli(Map.of(), "create", "--bundle", b.toString(), first).exit());
        assertEquals(0, cli(Map.of(), "delete", "--force", first).exit());
        assertEquals(1, entries(jrun.stateRoot()).size());
        String id = id();
        JrunCli.Result created = cli(Map.of("JRUN_JAVA", NO_JVM), "create", "--bundle", b.toString(), id);
        assertEquals(new JrunCli.Result(0, "", ""), created);
        Path state = jrun.stateRoot().resolve(id);
        String stateJson = Files.readString(state.resolve("state.json"));
        long pid = Long.parseLong(stateJson.replaceAll(".*\"pid\":(\\d+).*", "$1"));
        List<Path> dirs = cgroupDirs(Files.readString(state.resolve("cgroup.json")));
        assertFalse(dirs.isEmpty());
        for (Path d : dirs) {
            assertTrue(Files.readAllLines(d.resolve("cgroup.procs")).contains(Long.toString(pid)), d.toString());
        }
        assertEquals(new JrunCli.Result(0, "", ""), cli(Map.of("JRUN_JAVA", NO_JVM), "delete", "--force", id));
        assertFalse(Files.exists(state), "state left behind");
        for (Path d : dirs) {
            assertFalse(Files.exists(d), d + " left behind");
        }
        assertFalse(DamagedStateIT.alive(pid), "the init survived");
        assertNoContainerLeft(jrun.stateRoot());
    }

    /**
     * The global flags containerd and Podman give every create (--log FILE --log-format json): a create from
     * the cache logs nothing when it succeeds (nor makes the file), as the JVM's, and a step that fails
     * there says in the log what the JVM says.
     */
    @Test
    void aCreateWithLogFlagsIsCachedAndLogsWhatTheJvmLogs() throws Exception {
        Path b = bundle().copyRootfs().args("true").write();
        Path log1 = tmp.resolve("first.log");
        String first = id();
        assertEquals(new JrunCli.Result(0, "", ""), cli(Map.of(), "--log", log1.toString(), "--log-format", "json",
                "create", "--bundle", b.toString(), first));
        assertFalse(Files.exists(log1), "a create that succeeds logs nothing");
        assertEquals(0, cli(Map.of(), "delete", "--force", first).exit());
        assertEquals(1, entries(jrun.stateRoot()).size());
        Path log2 = tmp.resolve("second.log");
        String second = id();
        assertEquals(new JrunCli.Result(0, "", ""), cli(Map.of("JRUN_JAVA", NO_JVM), "--log-format=json",
                "--log=" + log2, "create", "--bundle", b.toString(), second));
        assertFalse(Files.exists(log2), "a create that succeeds logs nothing");
        assertEquals(0, cli(Map.of("JRUN_JAVA", NO_JVM), "delete", "--force", second).exit());

        Files.delete(b.resolve("rootfs/bin/true"));
        for (String format : List.of("json", "text")) {
            Path jvmLog = tmp.resolve("jvm." + format);
            Path cachedLog = tmp.resolve("cached." + format);
            JrunCli.Result jvm = cli(Map.of("JRUN_PLAN_CACHE", "off"), "--log", jvmLog.toString(), "--log-format",
                    format, "create", "--bundle", b.toString(), "same-id");
            JrunCli.Result cached = cli(Map.of("JRUN_JAVA", NO_JVM), "--log", cachedLog.toString(), "--log-format",
                    format, "create", "--bundle", b.toString(), "same-id");
            assertTrue(jvm.stderr().contains("executable file not found"), jvm.toString());
            assertEquals(jvm, cached);
            assertEquals(Files.readString(jvmLog).replaceAll("time[=\":]+[-0-9T:Z]+", "TIME"),
                    Files.readString(cachedLog).replaceAll("time[=\":]+[-0-9T:Z]+", "TIME"));
        }
        // without a file, --log-format json puts the JSON line on stderr
        JrunCli.Result jvm = cli(Map.of("JRUN_PLAN_CACHE", "off"), "--log-format", "json", "create", "--bundle",
                b.toString(), "same-id");
        JrunCli.Result cached = cli(Map.of("JRUN_JAVA", NO_JVM), "--log-format", "json", "create", "--bundle",
                b.toString(), "same-id");
        assertTrue(jvm.stderr().startsWith("{\"level\":\"error\""), jvm.toString());
        assertEquals(jvm.stderr().replaceAll("time[=\":]+[-0-9T:Z]+", "TIME"),
                cached.stderr().replaceAll("time[=\":]+[-0-9T:Z]+", "TIME"));
        assertNoContainerLeft(jrun.stateRoot());
    }

    static List<Path> cgroupDirs(String cgroupJson) {
        List<Path> l = new ArrayList<>();
        for (String dir : cgroupJson.replaceAll(".*\"dirs\":\\[([^]]*)].*", "$1").split(",")) {
            if (!dir.isBlank()) {
                l.add(Path.of(dir.replace("\"", "").trim()));
            }
        }
        return l;
    }

    JrunCli.Result cli(Map<String, String> env, String... args) throws Exception {
        ProcessBuilder pb = jrun.builder(args);
        pb.environment().putAll(env);
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        return JrunCli.finish(new JrunCli.Started(
                pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start(), out, err));
    }

    /** create --pid-file, state, start, state, kill TERM, state once stopped, delete: what a user sees of each. */
    Map<String, String> lifecycle(Map<String, String> env, Path b) throws Exception {
        String id = id();
        Path pidFile = tmp.resolve(id + ".pid");
        ProcessBuilder pb = jrun.builder("create", "--bundle", b.toString(), "--pid-file", pidFile.toString(), id);
        pb.environment().putAll(env);
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        JrunCli.Result created = JrunCli.finish(new JrunCli.Started(
                pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start(), out, err));
        Map<String, String> seen = new LinkedHashMap<>();
        seen.put("create", created.exit() + created.stderr());
        Path state = jrun.stateRoot().resolve(id);
        try (var files = Files.list(state)) {
            seen.put("files", files.map(p -> p.getFileName().toString()).sorted().toList().toString());
        }
        for (String f : List.of("state.json", "cgroup.json", "config.json", "lock")) {
            seen.put(f + " mode", perms(state.resolve(f)));
        }
        seen.put("state dir mode", perms(state));
        String stateJson = Files.readString(state.resolve("state.json"));
        seen.put("state.json", normal(stateJson, id));
        String cgroupJson = Files.readString(state.resolve("cgroup.json"));
        seen.put("cgroup.json", normal(cgroupJson, id));
        seen.put("config.json", Files.readString(state.resolve("config.json")));
        long pid = Long.parseLong(stateJson.replaceAll(".*\"pid\":(\\d+).*", "$1"));
        long start = Long.parseLong(stateJson.replaceAll(".*\"jrun.pidStartTime\":(\\d+).*", "$1"));
        String when = stateJson.replaceAll(".*\"created\":\"([^\"]*)\".*", "$1");
        seen.put("native.rec", records(Files.readAllBytes(state.resolve("native.rec")), id, pid, start, when));
        seen.put("pid file", Files.readString(pidFile).equals(Long.toString(pid)) + " " + perms(pidFile));
        List<Path> dirs = cgroupDirs(cgroupJson);
        for (Path d : dirs) {
            seen.put(normal(d.toString(), id) + " procs", Files.readAllLines(d.resolve("cgroup.procs")).toString()
                    .replace(Long.toString(pid), "PID"));
        }
        seen.put("state", normal(cli(env, "state", id).toString(), id));
        seen.put("start", cli(env, "start", id).toString());
        seen.put("state after start", normal(cli(env, "state", id).toString(), id));
        for (int i = 0; i < 1000 && !Files.readString(out).contains("started"); i++) {
            Thread.sleep(10);
        }
        seen.put("kill", cli(env, "kill", id, "TERM").toString());
        for (int i = 0; i < 1000 && DamagedStateIT.alive(pid); i++) {
            Thread.sleep(10);
        }
        seen.put("state once stopped", normal(cli(env, "state", id).toString(), id));
        seen.put("list", normal(cli(env, "list", "-q").toString(), id));
        seen.put("output", Files.readString(out));
        seen.put("delete", cli(env, "delete", id).toString());
        assertFalse(Files.exists(state), "state left behind");
        for (Path d : dirs) {
            assertFalse(Files.exists(d), d + " left behind");
        }
        return seen;
    }

    /** native.rec's steps as text (the plan's encoding), with the id, pid, start time and creation time as words. */
    static String records(byte[] rec, String id, long pid, long start, String when) {
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(rec).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        StringBuilder out = new StringBuilder(new String(rec, 0, 8, java.nio.charset.StandardCharsets.US_ASCII));
        bb.position(8);
        out.append(" v").append(bb.getInt());
        int n = bb.getInt();
        for (int i = 0; i < n; i++) {
            out.append('\n').append(bb.getShort() & 0xffff);
            int args = bb.getShort() & 0xffff;
            for (int a = 0; a < args; a++) {
                int kind = bb.get();
                if (kind == 1) {
                    long v = bb.getLong();
                    out.append(' ').append(v == pid ? "PID" : v == start ? "START" : Long.toString(v));
                } else {
                    byte[] str = new byte[bb.getInt()];
                    bb.get(str);
                    assertEquals(0, bb.get(), "a string's NUL");
                    out.append(" \"").append(normal(new String(str, java.nio.charset.StandardCharsets.UTF_8)
                            .replace(when, "T"), id)).append('"');
                }
            }
        }
        assertFalse(bb.hasRemaining(), "bytes after the last step");
        return out.toString();
    }

    /** Cached runs at once share the `jrun/` parent cgroup as JVM runs do: each made and removed safely. */
    @Test
    void cachedRunsAtOnceShareTheParentCgroup() throws Exception {
        Path b = bundle().sh("echo ok").write();
        assertEquals(new JrunCli.Result(0, "ok\n", ""), run(null, null, b, id()));
        for (int round = 0; round < 3; round++) {
            List<JrunCli.Started> all = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                all.add(start(NO_JVM, null, b, id()));
            }
            for (JrunCli.Started s : all) {
                assertEquals(new JrunCli.Result(0, "ok\n", ""), JrunCli.finish(s));
            }
        }
        assertNoContainerLeft(jrun.stateRoot());
    }

    /** `run --pid-file` from the cache writes the pid file the JVM writes, before the program starts. */
    @Test
    void aRunWithAPidFileNeedsNoJvm() throws Exception {
        Path b = bundle().sh("echo $$").write();
        Map<String, String> seen = new LinkedHashMap<>();
        for (String java : new String[] {null, NO_JVM}) {
            String id = id();
            Path pidFile = tmp.resolve(id + ".pid");
            JrunCli.Result r = cli(java == null ? Map.of() : Map.of("JRUN_JAVA", java), "run", "--pid-file",
                    pidFile.toString(), "--bundle", b.toString(), id);
            String pid = Files.readString(pidFile);
            String result = r.exit() + " " + r.stdout() + r.stderr() + " pid file: " + pid.matches("[1-9][0-9]*")
                    + " " + perms(pidFile);
            if (java == null) {
                seen.put("jvm", result);
                assertEquals(1, entries(jrun.stateRoot()).size(), "a run with a pid file is stored");
            } else {
                assertEquals(seen.get("jvm"), result);
            }
        }
        assertNoContainerLeft(jrun.stateRoot());
    }

    /** A signal to a cached `jrun run` reaches the container, whose status jrun exits with. */
    @Test
    void aSignalReachesACachedContainer() throws Exception {
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        Map<String, Object> bind = new LinkedHashMap<>();
        bind.put("destination", "/x");
        bind.put("type", "bind");
        bind.put("source", shared.toString());
        bind.put("options", List.of("rbind"));
        Path b = bundle().mount(bind).sh("trap 'exit 7' TERM; touch /x/up; while true; do sleep 0.01; done").write();
        for (String java : new String[] {null, NO_JVM}) {
            Files.deleteIfExists(shared.resolve("up"));
            JrunCli.Started s = start(java, null, b, id());
            for (int i = 0; i < 3000 && !Files.exists(shared.resolve("up")); i++) {
                assertTrue(s.process().isAlive(), "jrun ended early: " + Files.readString(s.err()));
                Thread.sleep(10);
            }
            assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(s.process().pid())).start().waitFor());
            assertEquals(new JrunCli.Result(7, "", ""), JrunCli.finish(s), "JRUN_JAVA=" + java);
        }
        assertNoContainerLeft(jrun.stateRoot());
    }

    /** A step that fails in a cached run (the program gone from the rootfs) says what the JVM path says. */
    @Test
    void aFailedStepSaysWhatTheJvmSays() throws Exception {
        TestBundle tb = bundle().copyRootfs().args("true");
        Path b = tb.write();
        assertEquals(new JrunCli.Result(0, "", ""), run(null, null, b, id()));
        Files.delete(b.resolve("rootfs/bin/true"));
        JrunCli.Result cached = run(NO_JVM, null, b, "same-id");
        ProcessBuilder pb = jrun.builder("run", "--bundle", b.toString(), "same-id");
        pb.environment().put("JRUN_PLAN_CACHE", "off");
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        JrunCli.Result jvm = JrunCli.finish(new JrunCli.Started(
                pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start(), out, err));
        assertTrue(jvm.stderr().contains("executable file not found"), jvm.toString());
        assertEquals(jvm, cached);
        assertNoContainerLeft(jrun.stateRoot());
    }

    @Test
    void aChangedConfigRunsThroughTheJvm() throws Exception {
        TestBundle tb = bundle().sh("echo one");
        Path b = tb.write();
        assertEquals(new JrunCli.Result(0, "one\n", ""), run(null, null, b, id()));
        tb.sh("echo two").write();
        assertEquals(1, run(NO_JVM, null, b, id()).exit(), "the changed config took the cached plan");
        assertEquals(new JrunCli.Result(0, "two\n", ""), run(null, null, b, id()));
        assertEquals(new JrunCli.Result(0, "two\n", ""), run(NO_JVM, null, b, id()), "the new plan is cached");
        assertNoContainerLeft(jrun.stateRoot());
    }

    /** The rootfs is a symlink; pointed elsewhere, the realpath the plan holds is no longer this host's. */
    @Test
    void aChangedHostFactRunsThroughTheJvm() throws Exception {
        TestBundle tb = bundle().copyRootfs().sh("cat /marker");
        Path b = tb.write();
        Files.writeString(b.resolve("rootfs/marker"), "first\n");
        Path other = tmp.resolve("other-rootfs");
        Files.move(b.resolve("rootfs"), b.resolve("rootfs-1"));
        Files.createSymbolicLink(b.resolve("rootfs"), b.resolve("rootfs-1"));
        assertEquals(new JrunCli.Result(0, "first\n", ""), run(null, null, b, id()));
        assertEquals(new JrunCli.Result(0, "first\n", ""), run(NO_JVM, null, b, id()));

        new ProcessBuilder("cp", "-a", b.resolve("rootfs-1").toString(), other.toString()).inheritIO().start().waitFor();
        Files.writeString(other.resolve("marker"), "second\n");
        Files.delete(b.resolve("rootfs"));
        Files.createSymbolicLink(b.resolve("rootfs"), other);
        assertEquals(1, run(NO_JVM, null, b, id()).exit(), "the moved rootfs took the cached plan");
        assertEquals(new JrunCli.Result(0, "second\n", ""), run(null, null, b, id()));
        assertEquals(new JrunCli.Result(0, "second\n", ""), run(NO_JVM, null, b, id()));
    }

    @Test
    void aDamagedEntryIsNotUsed() throws Exception {
        Path b = bundle().sh("echo ok").write();
        assertEquals(new JrunCli.Result(0, "ok\n", ""), run(null, null, b, id()));
        Path entry = entries(jrun.stateRoot()).get(0);
        byte[] bytes = Files.readAllBytes(entry);
        bytes[bytes.length / 2] ^= 0x5a; // somewhere in the plan or the records, not the inputs
        Files.write(entry, bytes);
        assertEquals(1, run(NO_JVM, null, b, id()).exit(), "a damaged entry was used");
        assertEquals(new JrunCli.Result(0, "ok\n", ""), run(null, null, b, id()));
        assertEquals(new JrunCli.Result(0, "ok\n", ""), run(NO_JVM, null, b, id()), "the entry is stored anew");
        Files.write(entry, new byte[] {'J', 'R'}); // truncated
        assertEquals(1, run(NO_JVM, null, b, id()).exit(), "a truncated entry was used");
        assertNoContainerLeft(jrun.stateRoot());
    }

    @Test
    void eachStateRootHasItsOwnCache() throws Exception {
        Path b = bundle().sh("echo ok").write();
        Path other = tmp.resolve("other-root");
        assertEquals(new JrunCli.Result(0, "ok\n", ""), run(null, null, b, id()));
        assertEquals(1, run(NO_JVM, other, b, id()).exit(), "another root used this root's cache");
        assertEquals(new JrunCli.Result(0, "ok\n", ""), run(null, other, b, id()));
        assertEquals(new JrunCli.Result(0, "ok\n", ""), run(NO_JVM, other, b, id()));
        assertEquals(1, entries(jrun.stateRoot()).size());
        assertEquals(1, entries(other).size());
        assertNotEquals(entries(jrun.stateRoot()).get(0), entries(other).get(0));
    }

    /** What the launcher cannot do alone (here a poststop hook) is never stored: every run takes the JVM. */
    @Test
    void aConfigWithHooksIsNotCached() throws Exception {
        TestBundle tb = bundle().sh("echo ok");
        tb.set("hooks", Map.of("poststop", List.of(Map.of("path", "/bin/true"))));
        Path b = tb.write();
        assertEquals(new JrunCli.Result(0, "ok\n", ""), run(null, null, b, id()));
        assertEquals(List.of(), entries(jrun.stateRoot()));
        assertEquals(1, run(NO_JVM, null, b, id()).exit());
    }

    /** A container id already taken: the cached path leaves the error to the JVM, which says it as always. */
    @Test
    void aTakenIdIsTheJvmsError() throws Exception {
        Path b = bundle().sh("echo ok").write();
        assertEquals(0, run(null, null, b, id()).exit());
        String id = id();
        Files.createDirectories(jrun.stateRoot().resolve(id));
        JrunCli.Result r = run(null, null, b, id);
        assertEquals(1, r.exit());
        assertTrue(r.stderr().contains("already exists"), r.stderr());
        assertEquals(1, run(NO_JVM, null, b, id).exit());
        Files.delete(jrun.stateRoot().resolve(id));
    }

    static String perms(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
