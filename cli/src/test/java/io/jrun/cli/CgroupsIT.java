package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.TestBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Limits enforced by the kernel, seen from inside the container; no cgroup left after each test. */
class CgroupsIT extends CliTest {

    TestBundle bundle(String script, Map<String, Object> resources) {
        TestBundle b = TestBundle.in(tmp.resolve("b-" + UUID.randomUUID().toString().substring(0, 6))).sh(script);
        b.linux().put("resources", resources);
        return b;
    }

    JrunCli.Result run(TestBundle b, String id) throws Exception {
        return jrun.run("run", "--bundle", b.write().toString(), id);
    }

    static String id() {
        return "cg-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void allocatingPastTheMemoryLimitIsOomKilledAndReported() throws Exception {
        TestBundle b = bundle("probe alloc 200", Map.of("memory", Map.of("limit", 32L << 20)));
        String id = id();
        JrunCli.Result r = run(b, id);
        assertEquals(137, r.exit(), r.stderr());
        assertFalse(r.stdout().contains("done"), r.stdout());
        assertEquals("jrun: container " + id + ": the kernel's OOM killer killed a process of it"
                + " (memory limit reached)\n", r.stderr());
    }

    @Test
    void forkingPastThePidsLimitFailsWithEagain() throws Exception {
        JrunCli.Result r = run(bundle("", Map.of("pids", Map.of("limit", 10L))).args("probe", "fork", "50"), id());
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("forked 9\nEAGAIN\n", r.stdout(), "the probe counts too: 1 + 9 = 10");
    }

    @Test
    void aCpuQuotaOfTwentyPercentHoldsABusyLoopNearTwentyPercent() throws Exception {
        JrunCli.Result r = run(bundle("probe spin 2", Map.of("cpu", Map.of("quota", 20000L, "period", 100000L))),
                id());
        assertEquals(0, r.exit(), r.stderr());
        double cpu = Double.parseDouble(r.stdout().trim());
        assertTrue(cpu > 0.2 && cpu < 0.6, "2 s of wall time at 20 % should give ~0.4 s of cpu, got " + cpu);
    }

    static boolean v2() throws Exception {
        return Files.readString(Path.of("/proc/self/mountinfo")).contains(" /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 ")
                || Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
    }

    @Test
    void aDeniedDeviceCannotBeOpened() throws Exception {
        // deny all, then /dev/zero: jrun's own devices (null among them) stay allowed after a deny-all, as with runc
        List<Object> rules = List.of(Map.of("allow", false, "access", "rwm"),
                Map.of("allow", false, "type", "c", "major", 1L, "minor", 5L, "access", "rwm"));
        JrunCli.Result r = run(bundle("echo x > /dev/null && echo null-ok; head -c1 /dev/zero >/dev/null || echo zero-denied",
                Map.of("devices", rules)), id());
        // v1: devices.deny/allow; v2: an eBPF program the monitor attaches once the init made its devices
        assertEquals("null-ok\nzero-denied\n", r.stdout(), r.stderr());
    }

    static Map<String, Object> dev(boolean allow, String type, Long major, Long minor, String access) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("allow", allow);
        m.put("type", type);
        if (major != null) {
            m.put("major", major);
        }
        if (minor != null) {
            m.put("minor", minor);
        }
        m.put("access", access);
        return m;
    }

    @Test
    void podmansDefaultDeviceRulesAllowTheUsualDevicesAndMknodButNotReadingOthers() throws Exception {
        // what Podman and Docker send: deny all, mknod of any device, then their default devices
        List<Object> rules = new java.util.ArrayList<>(List.of(Map.of("allow", false, "access", "rwm"),
                dev(true, "c", null, null, "m"), dev(true, "b", null, null, "m")));
        for (long[] d : new long[][] {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}, {10, 200}}) {
            rules.add(dev(true, "c", d[0], d[1], "rwm"));
        }
        rules.add(dev(true, "c", 136L, null, "rwm"));
        TestBundle b = bundle("echo x > /dev/null && head -c1 /dev/zero >/dev/null && head -c1 /dev/urandom >/dev/null"
                + " && echo usual-ok; mknod /dev/kmsg2 c 1 11 && echo mknod-ok;"
                + " head -c1 /dev/kmsg2 >/dev/null 2>&1 || echo kmsg-denied", Map.of("devices", rules));
        b.capabilities("CAP_MKNOD");
        JrunCli.Result r = run(b, id());
        assertEquals("usual-ok\nmknod-ok\nkmsg-denied\n", r.stdout(), r.stderr());
    }

    @Test
    void updateReplacesTheDeviceRulesOfARunningContainer() throws Exception {
        TestBundle b = bundle("echo ready; sleep 30", Map.of("devices", List.of(Map.of("allow", false, "access", "rwm"),
                dev(false, "c", 1L, 5L, "rwm"))));
        b.write();
        String id = id();
        String check = "for d in null zero; do if (exec 3<>/dev/$d) 2>&-; then echo $d-ok; else echo $d-denied; fi; done";
        try {
            assertEquals(0, jrun.run("run", "-d", "--bundle", b.dir().toString(), id).exit());
            JrunCli.Result before = jrun.run("exec", id, "sh", "-c", check);
            assertEquals("null-ok\nzero-denied\n", before.stdout(), before.stderr());
            Path res = tmp.resolve("resources-" + id + ".json");
            Files.writeString(res, "{\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
                    + " {\"allow\": false, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rwm\"}]}");
            JrunCli.Result u = jrun.run("update", "--resources", res.toString(), id);
            assertEquals(0, u.exit(), u.stderr());
            JrunCli.Result after = jrun.run("exec", id, "sh", "-c", check);
            assertEquals("null-denied\nzero-ok\n", after.stdout(), after.stderr());
        } finally {
            jrun.run("delete", "--force", id);
        }
    }

    @Test
    void theCgroupGoesWhereCgroupsPathSaysAndTheContainerSeesItsOwn() throws Exception {
        String id = id();
        boolean v2 = v2();
        TestBundle b = bundle((v2 ? "cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.max;"
                : "cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes;")
                + " grep -c . /proc/self/cgroup >/dev/null; echo ready; sleep 30 & wait",
                Map.of("pids", Map.of("limit", 42L), "memory", Map.of("limit", 64L << 20)));
        b.linux().put("cgroupsPath", "jrun-it/" + id);
        Map<String, Object> cg = new LinkedHashMap<>();
        cg.put("destination", "/sys/fs/cgroup");
        cg.put("type", "cgroup");
        cg.put("source", "cgroup");
        cg.put("options", List.of("nosuid", "noexec", "nodev", "ro"));
        b.mount(cg);
        b.write();
        JrunCli.Started s = jrun.start("run", "--bundle", b.dir().toString(), id);
        s.awaitOutput("ready");
        assertEquals("42\n67108864\nready\n", s.stdout());
        String own = ownCgroup(v2 ? "" : "pids");
        Path dir = Path.of((v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/pids") + (own.equals("/") ? "" : own)
                + "/jrun-it/" + id);
        assertTrue(Files.isDirectory(dir), dir + " missing");
        assertEquals("42", Files.readString(dir.resolve("pids.max")).trim());
        s.process().destroy(); // SIGTERM: sh ignores it as pid 1 without a trap, so kill it
        new ProcessBuilder("kill", "-KILL", Long.toString(s.process().pid())).start().waitFor();
        JrunCli.finish(s);
        JrunCli.awaitCleanup(id);
        for (int i = 0; i < 100 && Files.exists(dir); i++) {
            Thread.sleep(20);
        }
        assertFalse(Files.exists(dir), "cgroup left: " + dir);
        assertFalse(Files.exists(dir.getParent()), "the parent jrun made is left: " + dir.getParent());
    }

    @Test
    void pauseStopsACounterResumeContinuesItAndUpdateChangesLimitsLive() throws Exception {
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        TestBundle b = bundle("i=0; while :; do i=$((i+1)); echo $i > /shared/n; sleep 0.05; done",
                Map.of("pids", Map.of("limit", 100L)));
        b.mount(Map.of("destination", "/shared", "type", "bind", "source", shared.toString(),
                "options", List.of("rbind", "rw")));
        b.write();
        String id = id();
        try {
            assertEquals(0, jrun.run("run", "-d", "--bundle", b.dir().toString(), id).exit());
            Path n = shared.resolve("n");
            for (int i = 0; i < 200 && (!Files.exists(n) || count(n) < 3); i++) {
                Thread.sleep(10);
            }
            JrunCli.Result p = jrun.run("pause", id);
            assertEquals(0, p.exit(), p.stderr());
            assertTrue(jrun.run("state", id).stdout().contains("\"status\": \"paused\""));
            long frozen = count(n);
            Thread.sleep(400);
            assertEquals(frozen, count(n), "the counter moved while paused");
            assertEquals(1, jrun.run("pause", id).exit(), "pausing twice");
            assertEquals(0, jrun.run("resume", id).exit());
            // polled: a read between the shell's truncation of the file and its write sees it empty
            boolean moved = false;
            for (int i = 0; i < 100 && !moved; i++) {
                Thread.sleep(50);
                moved = count(n) > frozen;
            }
            assertTrue(moved, "the counter did not move within 5 s of resume");
            assertTrue(jrun.run("state", id).stdout().contains("\"status\": \"running\""));

            JrunCli.Result u = jrun.run("update", "--pids-limit", "4", id);
            assertEquals(0, u.exit(), u.stderr());
            JrunCli.Result f = jrun.run("exec", id, "probe", "fork", "10");
            assertTrue(f.stdout().endsWith("EAGAIN\n"), "after update --pids-limit 4: " + f.stdout() + f.stderr());

            JrunCli.Result st = jrun.run("events", "--stats", id);
            assertEquals(0, st.exit(), st.stderr());
            assertTrue(st.stdout().startsWith("{\"type\":\"stats\",\"id\":\"" + id + "\",\"data\":{\"cpu\":"),
                    st.stdout());
            assertTrue(st.stdout().contains("\"pids\":{\"current\":"), st.stdout());
        } finally {
            jrun.run("delete", "--force", id);
        }
    }

    @Test
    void manyJrunProcessesRunningAtOnceAllSucceedAndLeaveNothing() throws Exception {
        // each makes the shared jrun/ parent if missing (cpuset: with cpus and mems) and removes it if last
        Path bundle = bundle("", Map.of()).args("true").write();
        List<String> failures = new java.util.ArrayList<>();
        for (int round = 0; round < 3; round++) {
            List<JrunCli.Started> started = new java.util.ArrayList<>();
            for (int i = 0; i < 10; i++) {
                started.add(jrun.start("run", "--bundle", bundle.toString(), id()));
            }
            for (JrunCli.Started s : started) {
                JrunCli.Result r = JrunCli.finish(s);
                if (r.exit() != 0) {
                    failures.add("exit " + r.exit() + ": " + r.stderr());
                }
            }
        }
        assertEquals(List.of(), failures, "30 runs, 10 at a time");
    }

    @Test
    void deleteForceOfAPausedContainerThawsKillsAndRemovesEverything() throws Exception {
        TestBundle b = bundle("sleep 1000 & sleep 1000", Map.of());
        b.write();
        String id = id();
        assertEquals(0, jrun.run("run", "-d", "--bundle", b.dir().toString(), id).exit());
        JrunCli.Result p = jrun.run("pause", id);
        assertEquals(0, p.exit(), p.stderr());
        long pid = Long.parseLong(jrun.run("state", id).stdout().replaceAll("(?s).*\"pid\": (\\d+).*", "$1"));
        JrunCli.Result d = jrun.run("delete", "--force", id);
        assertEquals(0, d.exit(), d.stderr());
        assertEquals("", d.stderr());
        for (int i = 0; i < 200 && ProcessHandle.of(pid).isPresent(); i++) {
            Thread.sleep(10); // dead, perhaps not yet reaped by its parent
        }
        assertFalse(ProcessHandle.of(pid).isPresent(), "the frozen init " + pid + " is still there");
        assertEquals(1, jrun.run("state", id).exit(), "the state is still there");
    }

    @Test
    void aFrozenExistingCgroupIsRefusedAtCreateInsteadOfHanging() throws Exception {
        boolean v2 = v2();
        String name = "jrun-frozen-" + UUID.randomUUID().toString().substring(0, 6);
        String own = ownCgroup(v2 ? "" : "freezer");
        Path frozen = Path.of((v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/freezer") + (own.equals("/") ? "" : own), name);
        Files.createDirectory(frozen);
        try {
            Files.writeString(frozen.resolve(v2 ? "cgroup.freeze" : "freezer.state"), v2 ? "1" : "FROZEN");
            TestBundle b = bundle("echo ran", Map.of());
            b.linux().put("cgroupsPath", name);
            String id = id();
            JrunCli.Result r = run(b, id);
            assertEquals(1, r.exit(), r.stdout() + r.stderr());
            assertEquals("jrun: cgroups: " + frozen + " is frozen (" + (v2 ? "cgroup.freeze 1" : "freezer.state FROZEN")
                    + "): a container needs an empty, thawed cgroup\n", r.stderr());
            assertEquals(1, jrun.run("state", id).exit(), "a state is left");
            assertTrue(Files.isDirectory(frozen), "jrun removed a cgroup it did not make");
        } finally {
            Files.writeString(frozen.resolve(v2 ? "cgroup.freeze" : "freezer.state"), v2 ? "0" : "THAWED");
            Files.delete(frozen);
        }
    }

    @Test
    void subCgroupsMadeInsideTheContainerAreRemovedAtDelete() throws Exception {
        boolean v2 = v2();
        String id = id();
        String cg = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/pids";
        TestBundle b = bundle("mkdir -p " + cg + "/sub/deeper; sleep 1000 & echo $! > " + cg
                + "/sub/deeper/cgroup.procs; wait", Map.of());
        b.namespaces("pid", "mount", "ipc", "uts", "network", "cgroup");
        b.linux().put("cgroupsPath", "jrun-it/" + id);
        b.mount(Map.of("destination", "/sys/fs/cgroup", "type", "cgroup", "source", "cgroup",
                "options", List.of("nosuid", "noexec", "nodev", "rw")));
        b.write();
        assertEquals(0, jrun.run("run", "-d", "--bundle", b.dir().toString(), id).exit());
        String own = ownCgroup(v2 ? "" : "pids");
        Path leaf = Path.of(cg + (own.equals("/") ? "" : own) + "/jrun-it/" + id);
        for (int i = 0; i < 300 && !Files.isDirectory(leaf.resolve("sub/deeper")); i++) {
            Thread.sleep(10);
        }
        for (int i = 0; i < 300 && Files.readString(leaf.resolve("sub/deeper/cgroup.procs")).isBlank(); i++) {
            Thread.sleep(10);
        }
        assertFalse(Files.readString(leaf.resolve("sub/deeper/cgroup.procs")).isBlank(), "no process in sub/deeper");
        JrunCli.Result d = jrun.run("delete", "--force", id);
        assertEquals(0, d.exit(), d.stderr());
        assertEquals("", d.stderr());
        assertFalse(Files.exists(leaf), leaf + " is left");
    }

    @Test
    void theContainerIsInTheCgroup2HierarchyTooAsOnHybridHosts() throws Exception {
        // pure v2: its one hierarchy; hybrid (these hosts): the cgroup2 at /sys/fs/cgroup/unified beside v1
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.readString(Path.of("/proc/self/cgroup")).contains("0::/"),
                "no cgroup2 hierarchy on this host");
        String id = id();
        TestBundle b = bundle("sleep 1000", Map.of()).namespaces("pid", "network", "ipc", "uts", "mount", "cgroup");
        b.linux().put("cgroupsPath", "jrun-it/" + id);
        b.write();
        assertEquals(0, jrun.run("run", "-d", "--bundle", b.dir().toString(), id).exit());
        String own = ownCgroup("");
        String path = (own.equals("/") ? "" : own) + "/jrun-it/" + id;
        Path mount = v2() ? Path.of("/sys/fs/cgroup") : Path.of("/sys/fs/cgroup/unified");
        try {
            long pid = Long.parseLong(jrun.run("state", id).stdout().replaceAll("(?s).*\"pid\": (\\d+).*", "$1"));
            assertTrue(Files.readAllLines(Path.of("/proc/" + pid + "/cgroup")).contains("0::" + path),
                    Files.readString(Path.of("/proc/" + pid + "/cgroup")));
            assertTrue(Files.isDirectory(mount.resolve(path.substring(1))));
            JrunCli.Result e = jrun.run("exec", id, "cat", "/proc/self/cgroup"); // in the init's cgroup namespace
            assertTrue(e.stdout().contains("\n0::/\n") || e.stdout().startsWith("0::/\n"), e.stdout() + e.stderr());
        } finally {
            assertEquals(0, jrun.run("delete", "--force", id).exit());
        }
        assertFalse(Files.exists(mount.resolve(path.substring(1))), "left: " + path);
    }

    @Test
    void aDenyAllRuleHoldsForExecdProcessesToo() throws Exception {
        // "mwr": the deny-all in another order, normalised as runc does
        TestBundle b = bundle("echo ready; sleep 1000", Map.of("devices", List.of(Map.of("allow", false, "access", "mwr"))));
        b.capabilities("CAP_MKNOD");
        b.write();
        String id = id();
        // as with runc, the defaults after a deny-all let mknod make any node ("c *:* m"), but not open it;
        // /dev/kmsg opened for writing needs no capability, so only the device rule can refuse it
        String check = "mknod /dev/k1 c 1 11 && if (exec 3>/dev/k1) 2>&-; then echo open-ok; else echo open-denied; fi;"
                + " if (exec 3<>/dev/null) 2>&-; then echo null-ok; else echo null-denied; fi";
        try {
            assertEquals(0, jrun.run("run", "-d", "--bundle", b.dir().toString(), id).exit());
            JrunCli.Result e = jrun.run("exec", id, "sh", "-c", check);
            assertEquals("open-denied\nnull-ok\n", e.stdout(), e.stderr());
        } finally {
            jrun.run("delete", "--force", id);
        }
    }

    @Test
    void eventsReportsAnOomKillOfAnExecdProcessAndOfTheInit() throws Exception {
        Path shared = Files.createDirectories(tmp.resolve("shared-" + UUID.randomUUID().toString().substring(0, 6)));
        TestBundle b = bundle("while [ ! -e /shared/go ]; do sleep 0.05; done; exec probe alloc 200",
                Map.of("memory", Map.of("limit", 32L << 20)));
        b.mount(Map.of("destination", "/shared", "type", "bind", "source", shared.toString(),
                "options", List.of("rbind", "rw")));
        b.write();
        String id = id();
        String oom = "{\"type\":\"oom\",\"id\":\"" + id + "\"}";
        try {
            assertEquals(0, jrun.run("run", "-d", "--bundle", b.dir().toString(), id).exit());
            JrunCli.Started events = jrun.start("events", "--interval", "60s", id);
            events.awaitOutput("{\"type\":\"stats\"");
            JrunCli.Result e = jrun.run("exec", id, "probe", "alloc", "200");
            assertEquals(137, e.exit(), e.stdout() + e.stderr());
            events.awaitOutput(oom);
            Files.writeString(shared.resolve("go"), ""); // now the init allocates past the limit and is killed
            JrunCli.Result r = JrunCli.finish(events);
            assertEquals(0, r.exit(), r.stderr());
            assertEquals(2, r.stdout().split(java.util.regex.Pattern.quote(oom), -1).length - 1, r.stdout());
        } finally {
            jrun.run("delete", "--force", id);
        }
    }

    @Test
    void networkResourcesAreAppliedWhereNetClsIsMountedElseRefusedNeverDropped() throws Exception {
        String netCls = null;
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" - ");
            if (f.length == 2 && f[1].startsWith("cgroup ") && List.of(f[1].split(" ")[2].split(",")).contains("net_cls")) {
                netCls = f[0].split(" ")[4];
            }
        }
        String id = id();
        TestBundle b = bundle("echo ran", Map.of("network", Map.of("classID", 1048577L)));
        b.linux().put("cgroupsPath", "jrun-it/" + id);
        if (netCls == null) { // these hosts: net_cls is compiled in but mounted nowhere; cgroup v2 has none
            JrunCli.Result r = run(b, id);
            assertEquals(1, r.exit(), r.stdout() + r.stderr());
            assertEquals("", r.stdout());
            assertEquals(v2() ? "jrun: linux.resources.network: cgroup v2 has no net_cls or net_prio controller; jrun"
                    + " refuses the setting rather than drop it\n" : "jrun: linux.resources.network.classID: the net_cls"
                    + " cgroup controller is not mounted on this host (no cgroup v1 hierarchy with it in"
                    + " /proc/self/mountinfo)\n", r.stderr());
            return;
        }
        b.sh("echo ready; sleep 1000").write();
        try {
            assertEquals(0, jrun.run("run", "-d", "--bundle", b.dir().toString(), id).exit());
            String own = ownCgroup("net_cls");
            assertEquals("1048577", Files.readString(Path.of(netCls + (own.equals("/") ? "" : own) + "/jrun-it/" + id,
                    "net_cls.classid")).trim());
        } finally {
            jrun.run("delete", "--force", id);
        }
    }

    static long count(Path n) throws Exception {
        String s = Files.readString(n).trim();
        return s.isEmpty() ? 0 : Long.parseLong(s);
    }

    static String ownCgroup(String controller) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            String[] f = line.split(":", 3);
            if (controller.isEmpty() ? f[0].equals("0") : List.of(f[1].split(",")).contains(controller)) {
                return f[2];
            }
        }
        return "/";
    }
}
