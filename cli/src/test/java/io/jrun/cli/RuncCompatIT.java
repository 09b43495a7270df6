package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.json.Json;
import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.testing.TestBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What runc 1.1.5's users rely on, each compared with what runc does on these hosts (issue 12). */
class RuncCompatIT extends CliTest {
    final List<String> ids = new ArrayList<>();
    final List<Path> subCgroups = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (Path d : subCgroups) {
            Files.deleteIfExists(d);
        }
        for (String id : ids) {
            jrun.run("resume", id); // a test that failed while paused: delete --force does not thaw (yet)
            jrun.run("delete", "--force", id);
        }
        assertEquals("", jrun.run("list", "-q").stdout());
    }

    String id() {
        String id = "rc-" + UUID.randomUUID().toString().substring(0, 8);
        ids.add(id);
        return id;
    }

    Path bundle(String script) throws Exception {
        return TestBundle.in(tmp.resolve("b-" + UUID.randomUUID().toString().substring(0, 6))).sh(script).write();
    }

    JrunCli.Result ok(String... args) throws Exception {
        JrunCli.Result r = jrun.run(args);
        assertEquals(0, r.exit(), String.join(" ", args) + ": " + r.stderr());
        return r;
    }

    String sleeping() throws Exception {
        String id = id();
        ok("run", "-d", "--bundle", bundle("exec sleep 100").toString(), id);
        return id;
    }

    long pid(String id) throws Exception {
        return ((Number) ((Map<?, ?>) Json.parse(ok("state", id).stdout())).get("pid")).longValue();
    }

    /** The container's directory in a v1 hierarchy (or the v2 one for ""), from its init's /proc/PID/cgroup. */
    static Path cgroupDir(long pid, String controller) throws Exception {
        boolean v2 = Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
            String[] f = line.split(":", 3);
            if (v2 ? f[0].equals("0") : List.of(f[1].split(",")).contains(controller)) {
                if (v2) {
                    return Path.of("/sys/fs/cgroup").resolve(f[2].substring(1));
                }
                return Path.of("/sys/fs/cgroup/" + controller).resolve(f[2].substring(1));
            }
        }
        throw new AssertionError("no " + controller + " cgroup for " + pid);
    }

    /** As runc's --debug: each step of create, start and delete in the log file, in its format; without --debug none. */
    @Test
    void debugWritesEachStepToTheLog() throws Exception {
        Path b = bundle("exit 0");
        String id = id();
        Path json = tmp.resolve("debug.json");
        String[] g = {"--debug", "--log", json.toString(), "--log-format", "json"};
        ok(concat(g, "create", "--bundle", b.toString(), id));
        ok(concat(g, "start", id));
        ok(concat(g, "delete", "--force", id));
        List<String> msgs = new ArrayList<>();
        for (String line : Files.readAllLines(json)) {
            Map<?, ?> m = (Map<?, ?>) Json.parse(line);
            assertEquals("debug", m.get("level"), line);
            msgs.add((String) m.get("msg"));
        }
        String all = String.join("\n", msgs);
        for (String step : List.of("config: read " + b.toAbsolutePath().normalize().resolve("config.json"),
                "config: validated", "cgroup: created /sys/fs/cgroup/", "plan step 0: ", "stage: plan sent",
                "stage: created, init pid ", "cgroup: resources and device rules written", "state: running recorded",
                "start: exec fifo opened", "cgroup: removed /sys/fs/cgroup/", "state: removed ")) {
            assertTrue(msgs.stream().anyMatch(l -> l.startsWith(step)), "no \"" + step + "\" in\n" + all);
        }
        assertTrue(msgs.stream().anyMatch(l -> l.matches("plan step \\d+: (pivot_root|mount) .*")), all);

        Path text = tmp.resolve("debug.txt");
        ok("--debug", "--log", text.toString(), "run", "--bundle", b.toString(), id());
        String t = Files.readString(text);
        assertTrue(t.contains(" level=debug msg=\"plan step 0: "), t);
        assertTrue(t.contains(" level=debug msg=\"state: removed "), t);

        Path plain = tmp.resolve("plain.txt");
        ok("--log", plain.toString(), "run", "--bundle", b.toString(), id());
        assertFalse(Files.exists(plain) && Files.readString(plain).contains("level=debug"), "debug lines without --debug");
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    @SuppressWarnings("unchecked")
    void aBundleFromJrunSpecRunsAsRuncs() throws Exception {
        Path b = tmp.resolve("spec-bundle");
        Files.createDirectories(b);
        ok("spec", "--bundle", b.toString());
        Map<String, Object> spec = (Map<String, Object>) Json.parse(Files.readString(b.resolve("config.json")));
        assertEquals(true, ((Map<String, Object>) spec.get("process")).get("terminal"));
        // as a user of runc spec does: no terminal for a test, a command, the rootfs
        ((Map<String, Object>) spec.get("process")).put("terminal", false);
        ((Map<String, Object>) spec.get("process")).put("args", List.of("sh", "-c",
                "ls /sys/fs/cgroup; echo ro=$(grep -c ' /sys/fs/cgroup[^ ]* ro' /proc/self/mountinfo)"
                        + " rw=$(grep -c ' /sys/fs/cgroup[^ ]* rw' /proc/self/mountinfo);"
                        + " echo x > /dev/null && echo null-ok"));
        ((Map<String, Object>) spec.get("root")).put("path", TestBundle.fixtureRootfs().toString());
        Files.writeString(b.resolve("config.json"), JsonWriter.pretty(spec));
        JrunCli.Result r = jrun.run("run", "--bundle", b.toString(), id());
        assertEquals(0, r.exit(), r.stderr());
        assertTrue(r.stdout().contains("memory\n") || r.stdout().contains("memory.max"), r.stdout());
        assertTrue(r.stdout().endsWith("null-ok\n"), r.stdout());
        assertTrue(r.stdout().contains(" rw=0\n") && !r.stdout().contains("ro=0 "),
                "the cgroup mounts are read-only: " + r.stdout());
    }

    @Test
    @SuppressWarnings("unchecked")
    void runcsDeviceRulesForItsSpec() throws Exception {
        Path b = tmp.resolve("dev-bundle");
        Files.createDirectories(b);
        ok("spec", "--bundle", b.toString());
        Map<String, Object> spec = (Map<String, Object>) Json.parse(Files.readString(b.resolve("config.json")));
        Map<String, Object> process = (Map<String, Object>) spec.get("process");
        process.put("terminal", false);
        process.put("args", List.of("sh", "-c", "mknod /dev/blk b 7 0 && echo mknod-ok; head -c 1 /dev/blk;"
                + " echo x > /dev/null && echo null-ok; exec sleep 100"));
        List<String> caps = List.of("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_MKNOD");
        process.put("capabilities", Map.of("bounding", caps, "effective", caps, "permitted", caps));
        ((Map<String, Object>) spec.get("root")).put("path", TestBundle.fixtureRootfs().toString());
        Files.writeString(b.resolve("config.json"), JsonWriter.pretty(spec));
        String id = id();
        JrunCli.Started run = jrun.start("run", "--bundle", b.toString(), id);
        run.awaitOutput("null-ok");
        String text = run.stdout() + Files.readString(run.err());
        assertTrue(text.contains("mknod-ok\n"), text);
        assertTrue(text.contains("/dev/blk: Operation not permitted"), text);
        if (!Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"))) {
            // the rules runc 1.1.5 leaves in devices.list for its own spec on these hosts
            List<String> list = Files.readAllLines(cgroupDir(pid(id), "devices").resolve("devices.list"));
            assertEquals(new java.util.TreeSet<>(List.of("b *:* m", "c *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",
                    "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 10:200 rwm", "c 136:* rwm")),
                    new java.util.TreeSet<>(list));
        }
        ok("kill", id, "KILL");
        assertEquals(137, JrunCli.finish(run).exit());
    }

    @Test
    void consoleSocketWithoutTerminalIsRefused() throws Exception {
        Path b = bundle("true");
        String id = id();
        Path sock = tmp.resolve("console.sock");
        JrunCli.Result c = jrun.run("create", "--console-socket", sock.toString(), "--bundle", b.toString(), id);
        assertEquals(1, c.exit());
        assertEquals("jrun: create " + id + ": cannot use console socket if jrun will not detach or allocate tty"
                + " (process.terminal is false)\n", c.stderr());
        JrunCli.Result d = jrun.run("run", "-d", "--console-socket", sock.toString(), "--bundle", b.toString(), id);
        assertEquals(c.stderr(), d.stderr());
        JrunCli.Result r = jrun.run("run", "--console-socket", sock.toString(), "--bundle", b.toString(), id);
        assertEquals(1, r.exit());
        assertTrue(r.stderr().startsWith("jrun: run " + id + ": cannot use console socket if jrun will not detach"),
                r.stderr());
        assertEquals("", jrun.run("list", "-q").stdout());
    }

    @Test
    void killZeroTellsWhetherItRuns() throws Exception {
        String id = id();
        ok("create", "--bundle", bundle("exec sleep 100").toString(), id);
        ok("kill", id, "0");
        ok("start", id);
        ok("kill", id, "0");
        long pid = pid(id);
        ok("kill", id, "KILL");
        LifecycleIT.awaitDeath(pid);
        JrunCli.Result gone = jrun.run("kill", id, "0");
        assertEquals(1, gone.exit());
        assertEquals("jrun: kill " + id + ": container not running\n", gone.stderr());
    }

    @Test
    void runWritesItsPidFileWithoutDetach() throws Exception {
        String id = id();
        Path pidFile = tmp.resolve("run.pid");
        JrunCli.Started run = jrun.start("run", "--pid-file", pidFile.toString(), "--bundle",
                bundle("exec sleep 100").toString(), id);
        for (int i = 0; i < 1000 && !(Files.exists(pidFile) && Files.size(pidFile) > 0); i++) {
            Thread.sleep(10);
        }
        long pid = Long.parseLong(Files.readString(pidFile));
        assertNotEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/pid")),
                Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/pid")));
        assertEquals(pid, pid(id));
        ok("kill", id, "KILL");
        assertEquals(137, JrunCli.finish(run).exit());
    }

    @Test
    void execInACreatedContainerWithAPidFile() throws Exception {
        String id = id();
        ok("create", "--bundle", bundle("exec sleep 100").toString(), id);
        long init = pid(id);
        Path pidFile = tmp.resolve("exec.pid");
        JrunCli.Result e = ok("exec", "--pid-file", pidFile.toString(), id, "sh", "-c",
                "readlink /proc/self/ns/pid; hostname");
        assertEquals(Files.readSymbolicLink(Path.of("/proc/" + init + "/ns/pid")) + "\njrun\n", e.stdout());
        long execPid = Long.parseLong(Files.readString(pidFile));
        assertTrue(execPid > 0 && execPid != init, Files.readString(pidFile));
        assertEquals("created", ((Map<?, ?>) Json.parse(ok("state", id).stdout())).get("status"));
    }

    @Test
    void execIntoAPausedContainer() throws Exception {
        String id = sleeping();
        ok("pause", id);
        JrunCli.Result refused = jrun.run("exec", id, "true");
        assertEquals(255, refused.exit());
        assertEquals("jrun: exec " + id + ": cannot exec in a paused container (use --ignore-paused to override)\n",
                refused.stderr());
        long init = pid(id);
        Path procs = cgroupDir(init, "freezer").resolve("cgroup.procs");
        JrunCli.Started held = jrun.start("exec", "--ignore-paused", id, "echo", "thawed");
        for (int i = 0; i < 1000 && Files.readAllLines(procs).size() < 2 && held.process().isAlive(); i++) {
            Thread.sleep(10); // until the exec'd process is in the frozen cgroup
        }
        assertEquals(2, Files.readAllLines(procs).size(), "the exec'd process did not join the paused container");
        ok("resume", id);
        JrunCli.Result r = JrunCli.finish(held);
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("thawed\n", r.stdout());
        ok("kill", id, "KILL");
        long pid = pid(id);
        LifecycleIT.awaitDeath(pid);
        JrunCli.Result stopped = jrun.run("exec", id, "true");
        assertEquals(255, stopped.exit());
        assertEquals("jrun: exec " + id + ": cannot exec in a stopped container\n", stopped.stderr());
    }

    @Test
    void execIntoASubCgroup() throws Exception {
        String id = sleeping();
        boolean v2 = Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
        Path own = cgroupDir(pid(id), "pids");
        Path sub = own.resolve("sub");
        Files.createDirectory(sub);
        subCgroups.add(sub);
        String flag = v2 ? "sub" : "pids:sub";
        Path pidFile = tmp.resolve("sub.pid");
        ok("exec", "-d", "--pid-file", pidFile.toString(), "--cgroup", flag, id, "sleep", "100");
        long pid = Long.parseLong(Files.readString(pidFile));
        assertEquals(sub, cgroupDir(pid, "pids"));
        if (!v2) {
            assertEquals(cgroupDir(pid(id), "memory"), cgroupDir(pid, "memory"));
            JrunCli.Result unknown = jrun.run("exec", "--cgroup", "nosuchctl:sub", id, "true");
            assertEquals(255, unknown.exit());
            assertTrue(unknown.stderr().contains("unknown controller nosuchctl"), unknown.stderr());
        }
        JrunCli.Result missing = jrun.run("exec", "--cgroup", "nosuch", id, "true");
        assertEquals(255, missing.exit());
        assertTrue(missing.stderr().contains("nosuch/cgroup.procs") && missing.stderr().contains("(ENOENT)"),
                missing.stderr());
        JrunCli.Result out = jrun.run("exec", "--cgroup", "../..", id, "true");
        assertEquals(255, out.exit());
        assertTrue(out.stderr().contains("not below the container's cgroup"), out.stderr());
        ok("kill", "--all", id, "KILL");
        LifecycleIT.awaitDeath(pid);
    }

    @Test
    void psRunsPsWithItsOptions() throws Exception {
        String id = sleeping();
        long pid = pid(id);
        String[] ef = ok("ps", id).stdout().split("\n");
        assertTrue(ef[0].startsWith("UID") && ef[0].contains("PID") && ef[0].endsWith("CMD"), ef[0]);
        assertEquals(2, ef.length, String.join("\n", ef));
        assertTrue(ef[1].matches("root +" + pid + " .* sleep 100"), ef[1]);
        String[] o = ok("ps", id, "-o", "pid,comm").stdout().split("\n");
        assertEquals(2, o.length, String.join("\n", o));
        assertTrue(o[0].trim().matches("PID +COMMAND"), o[0]);
        assertTrue(o[1].trim().matches(pid + " +sleep"), o[1]);
        assertEquals(String.join("\n", o) + "\n", ok("ps", id, "--", "-o", "pid,comm").stdout());
        assertEquals("[" + pid + "]\n", ok("ps", "--format", "json", id).stdout());
        JrunCli.Result bad = jrun.run("ps", id, "--no-such-ps-option");
        assertEquals(1, bad.exit());
        assertEquals(1, bad.stderr().split("\n").length, bad.stderr());
    }

    @Test
    void updateTakesRuncsFlagsAndUnits() throws Exception {
        String id = sleeping();
        long pid = pid(id);
        boolean v2 = Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
        ok("update", "--memory", "50M", "--pids-limit", "77", id);
        assertEquals("52428800", Files.readString(cgroupDir(pid, "memory")
                .resolve(v2 ? "memory.max" : "memory.limit_in_bytes")).trim());
        assertEquals("77", Files.readString(cgroupDir(pid, "pids").resolve("pids.max")).trim());
        ok("update", "--memory", "1g", "--memory-swap", "-1", "--cpu-share", "512", "--cpu-quota", "20000",
                "--cpu-period", "100000", id);
        assertEquals("1073741824", Files.readString(cgroupDir(pid, "memory")
                .resolve(v2 ? "memory.max" : "memory.limit_in_bytes")).trim());
        if (!v2) {
            assertEquals("512", Files.readString(cgroupDir(pid, "cpu").resolve("cpu.shares")).trim());
            assertEquals("20000", Files.readString(cgroupDir(pid, "cpu").resolve("cpu.cfs_quota_us")).trim());
        } else {
            assertEquals("20000 100000", Files.readString(cgroupDir(pid, "").resolve("cpu.max")).trim());
        }
        JrunCli.Result bad = jrun.run("update", "--memory", "50X", id);
        assertEquals(1, bad.exit());
        assertEquals("jrun: invalid value for memory: invalid size: '50X'\n", bad.stderr());
        JrunCli.Result pids = jrun.run("update", "--pids-limit", "abc", id);
        assertEquals("jrun: invalid value \"abc\" for flag -pids-limit: parse error\n", pids.stderr());
        JrunCli.Result kmem = jrun.run("update", "--kernel-memory", "10M", id);
        assertEquals(0, kmem.exit(), kmem.stderr());
        assertTrue(kmem.stderr().contains("kernel memory settings are ignored"), kmem.stderr());
        JrunCli.Result rdt = jrun.run("update", "--l3-cache-schema", "L3:0=1", id);
        assertEquals(1, rdt.exit());
        assertTrue(rdt.stderr().contains("Intel RDT/CAT: l3 cache schema is not enabled"), rdt.stderr());
    }
}
