package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.TestBundle;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Process security settings, each shown by its effect inside the container. */
class SecurityIT extends CliTest {

    TestBundle bundle(String script) {
        return TestBundle.in(tmp.resolve("b-" + UUID.randomUUID().toString().substring(0, 6))).sh(script);
    }

    JrunCli.Result run(TestBundle b) throws Exception {
        return jrun.run("run", "--bundle", b.write().toString(), "sec-" + UUID.randomUUID().toString().substring(0, 8));
    }

    String ok(TestBundle b) throws Exception {
        JrunCli.Result r = run(b);
        assertEquals(0, r.exit(), r.stderr());
        return r.stdout();
    }

    @Test
    void theDefaultCapabilitiesAreRuncsAndADroppedOneFails() throws Exception {
        String out = ok(bundle("grep -E '^Cap(Bnd|Eff)' /proc/self/status; mount -t tmpfs t /tmp 2>&1 || echo denied;"
                + " probe raw-socket"));
        assertEquals("CapEff:\t0000000020000420\nCapBnd:\t0000000020000420\n"
                + "mount: permission denied (are you root?)\ndenied\nEPERM\n", out);
    }

    @Test
    void aCapabilityGivenMakesTheSyscallWork() throws Exception {
        TestBundle b = bundle("mount -t tmpfs t /tmp && echo mounted; probe raw-socket");
        b.capabilities("CAP_SYS_ADMIN", "CAP_NET_RAW");
        assertEquals("mounted\nok\n", ok(b));
    }

    @Test
    void ambientCapabilitiesReachANonRootUser() throws Exception {
        TestBundle b = bundle("probe ids; grep -E '^Cap(Eff|Amb)' /proc/self/status; probe raw-socket");
        b.process().put("user", Map.of("uid", 1000L, "gid", 1000L));
        b.capabilities("CAP_NET_RAW");
        assertEquals("uid=1000 gid=1000 groups=\nCapEff:\t0000000000002000\nCapAmb:\t0000000000002000\nok\n", ok(b));
        TestBundle none = bundle("grep -E '^CapEff' /proc/self/status; probe raw-socket");
        none.process().put("user", Map.of("uid", 1000L, "gid", 1000L));
        assertEquals("CapEff:\t0000000000000000\nEPERM\n", ok(none));
    }

    @Test
    void noNewPrivilegesRlimitsUmaskOomScoreAdj() throws Exception {
        TestBundle b = bundle("grep NoNewPrivs /proc/self/status; ulimit -n; ulimit -Hn; umask;"
                + " cat /proc/self/oom_score_adj");
        b.process().put("rlimits", List.of(Map.of("type", "RLIMIT_NOFILE", "hard", 512L, "soft", 256L)));
        b.process().put("oomScoreAdj", 300L);
        b.process().put("user", Map.of("uid", 0L, "gid", 0L, "umask", 027L));
        assertEquals("NoNewPrivs:\t1\n256\n512\n0027\n300\n", ok(b));
        b.process().put("noNewPrivileges", false);
        assertTrue(ok(b).startsWith("NoNewPrivs:\t0\n"));
    }

    @Test
    void anRlimitAboveTheHostsHardLimitIsAClearError() throws Exception {
        long host = Long.parseLong(new String(new ProcessBuilder("sh", "-c", "ulimit -Hn").start()
                .getInputStream().readAllBytes()).trim());
        TestBundle b = bundle("ulimit -Hn");
        b.process().put("rlimits", List.of(Map.of("type", "RLIMIT_NOFILE", "hard", host + 1, "soft", 1024L)));
        JrunCli.Result r = run(b);
        if (hasCapSysResource()) { // root may raise hard limits here (as in the cgroup v2 guest)
            assertEquals((host + 1) + "\n", r.stdout(), r.stderr());
            return;
        }
        assertEquals(1, r.exit());
        assertEquals("jrun: set rlimit RLIMIT_NOFILE soft 1024 hard " + (host + 1) + ": the hard limit may not exceed"
                + " this host's " + host + ": Operation not permitted (EPERM)\n", r.stderr());
    }

    static boolean hasCapSysResource() throws Exception {
        for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("CapEff:")) {
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 24)) != 0;
            }
        }
        return false;
    }

    @Test
    void rootInAUserNamespaceIsAnUnprivilegedHostUid() throws Exception {
        TestBundle b = bundle("id; cat /proc/self/uid_map; echo ready; sleep 30 & wait");
        b.userNamespace(100000L, 200000L);
        b.write();
        String id = "userns-" + UUID.randomUUID().toString().substring(0, 6);
        JrunCli.Started s = jrun.start("run", "--bundle", b.dir().toString(), id);
        try {
            s.awaitOutput("ready");
            assertTrue(s.stdout().startsWith("uid=0(root) gid=0(root)\n"), s.stdout());
            assertTrue(s.stdout().contains("0     100000      65536"), s.stdout());
            long pid = (Long) ((Map<?, ?>) io.jrun.runtime.json.Json.parse(jrun.run("state", id).stdout())).get("pid");
            String status = java.nio.file.Files.readString(Path.of("/proc/" + pid + "/status"));
            assertTrue(status.contains("Uid:\t100000\t100000\t100000\t100000"), status);
            assertTrue(status.contains("Gid:\t200000\t200000\t200000\t200000"), status);
        } finally {
            new ProcessBuilder("kill", "-KILL", Long.toString(s.process().pid())).start().waitFor();
            JrunCli.finish(s);
            JrunCli.awaitCleanup(id);
        }
    }

    @Test
    void aMaskedPathReadsEmptyAndAReadonlyPathCannotBeWritten() throws Exception {
        // jrun spec masks /proc/keys (with /dev/null) and /sys/firmware (with an empty read-only tmpfs),
        // and makes /proc/sys read-only
        String out = ok(bundle("wc -c < /proc/keys; ls /sys/firmware | wc -l; touch /sys/firmware/x 2>/dev/null"
                + " || echo firmware-ro; echo 1 > /proc/sys/kernel/shmmni 2>/dev/null || echo sys-ro"));
        assertEquals("0\n0\nfirmware-ro\nsys-ro\n", out);
        String host = ok(bundle("ls /sys/firmware | wc -l").set("linux", new java.util.LinkedHashMap<>(Map.of(
                "namespaces", List.of(Map.of("type", "mount"), Map.of("type", "pid"), Map.of("type", "uts"))))));
        assertTrue(Integer.parseInt(host.trim()) > 0, "without maskedPaths /sys/firmware has entries: " + host);
    }

    @Test
    void aRootfsOwnedByTheHostsRootIsIdmappedForTheContainersRoot() throws Exception {
        String script = "stat -c %u:%g /bin/busybox; touch /made-inside && echo written;"
                + " grep -c idmapped /proc/self/mountinfo || true";
        TestBundle b = bundle(script);
        b.copyRootfs();
        b.root().put("readonly", false);
        b.userNamespace(100000L, 100000L);
        // without the idmapped mount the files would belong to nobody (65534) and / could not be written
        org.junit.jupiter.api.Assumptions.assumeTrue(idmappedMountsOn(b.dir()),
                "no idmapped mounts for this kernel and filesystem: jrun uses the rootfs as it is there");
        assertEquals("0:0\nwritten\n1\n", ok(b));
        Path made = b.dir().resolve("rootfs/made-inside");
        assertEquals(0, java.nio.file.Files.getAttribute(made, "unix:uid"), "on disk: the host's root, through the map");

        // a rootfs already chowned to the mapped ids is used as it is, by its path: one the mapped ids
        // can reach (as with runc), unlike the idmapped one, which the monitor opens for the init
        java.nio.file.Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        TestBundle chowned = bundle(script);
        chowned.copyRootfs();
        chowned.root().put("readonly", false);
        chowned.userNamespace(100000L, 100000L);
        Path rootfs = chowned.dir().resolve("rootfs");
        assertEquals(0, new ProcessBuilder("chown", "-R", "100000:100000", rootfs.toString()).start().waitFor());
        assertEquals("0:0\nwritten\n0\n", ok(chowned));
        assertEquals(100000, java.nio.file.Files.getAttribute(rootfs.resolve("made-inside"), "unix:uid"));
    }

    @Test
    void withoutIdmappedMountsTheRootfsIsUsedAsItIs() throws Exception {
        // ramfs has no idmapped mounts: mounted here, in the tests' private mount namespace
        Path ramfs = java.nio.file.Files.createDirectories(tmp.resolve("ramfs"));
        assertEquals(0, new ProcessBuilder("mount", "-t", "ramfs", "ramfs", ramfs.toString()).start().waitFor());
        try {
            java.nio.file.Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            TestBundle b = TestBundle.in(ramfs.resolve("b")).sh("stat -c %u /bin/busybox; grep -c idmapped /proc/self/mountinfo || true");
            b.copyRootfs();
            b.userNamespace(100000L, 100000L);
            assertEquals("65534\n0\n", ok(b)); // the host's root is nobody in the namespace
        } finally {
            assertEquals(0, new ProcessBuilder("umount", ramfs.toString()).start().waitFor());
        }
    }

    /** The kernels that brought idmapped mounts to the filesystems these tests meet. */
    static boolean idmappedMountsOn(Path dir) throws Exception {
        String type = new String(new ProcessBuilder("stat", "-f", "-c", "%T", dir.toString()).start()
                .getInputStream().readAllBytes()).trim();
        String[] release = System.getProperty("os.version").split("[.-]");
        int version = Integer.parseInt(release[0]) * 1000 + Integer.parseInt(release[1]);
        Map<String, Integer> since = Map.of("ext2/ext3", 5012, "xfs", 5012, "btrfs", 5015, "tmpfs", 6003);
        return since.containsKey(type) && version >= since.get(type);
    }

    @Test
    void aUserNamespacedContainerCanBeCreatedAndStarted() throws Exception {
        // the init cannot reach the state directory from its user namespace: the monitor opens the exec fifo
        TestBundle b = bundle("id");
        b.userNamespace(100000L, 100000L);
        b.write();
        String id = "userns-c-" + UUID.randomUUID().toString().substring(0, 6);
        java.nio.file.Path out = tmp.resolve("id.out");
        Process create = jrun.builder("create", "--bundle", b.dir().toString(), id).redirectOutput(out.toFile())
                .redirectError(tmp.resolve("id.err").toFile()).start();
        assertEquals(0, create.waitFor(), java.nio.file.Files.readString(tmp.resolve("id.err")));
        assertEquals(0, jrun.run("start", id).exit());
        for (int i = 0; i < 200 && java.nio.file.Files.size(out) == 0; i++) {
            Thread.sleep(10);
        }
        assertEquals("uid=0(root) gid=0(root)\n", java.nio.file.Files.readString(out));
        for (int i = 0; i < 200 && !jrun.run("state", id).stdout().contains("stopped"); i++) {
            Thread.sleep(10);
        }
        assertEquals(0, jrun.run("delete", id).exit());
    }

    @Test
    void namespacedSysctlsAreSetAndOthersRefused() throws Exception {
        TestBundle b = bundle("cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ip_forward");
        b.linux().put("sysctl", Map.of("kernel.shmmax", "123456789", "net.ipv4.ip_forward", "1"));
        assertEquals("123456789\n1\n", ok(b));
        String host = java.nio.file.Files.readString(Path.of("/proc/sys/kernel/shmmax")).trim();
        assertTrue(!host.equals("123456789"), "the host's shmmax changed");
        TestBundle bad = bundle("true");
        bad.linux().put("sysctl", Map.of("kernel.panic", "1"));
        JrunCli.Result r = run(bad);
        assertEquals(1, r.exit());
        assertTrue(r.stderr().endsWith("linux.sysctl: kernel.panic: refused: it is not namespaced: it would change"
                + " the host\n"), r.stderr());
    }

    @Test
    void aLinux32PersonalityShowsA32BitMachine() throws Exception {
        TestBundle b = bundle("uname -m");
        b.linux().put("personality", Map.of("domain", "LINUX32"));
        assertEquals("i686\n", ok(b));
        TestBundle d = bundle("sleep 30");
        d.linux().put("personality", Map.of("domain", "LINUX32"));
        String id = "sec-p-" + UUID.randomUUID().toString().substring(0, 6);
        JrunCli.Result c = jrun.run("run", "--detach", "--bundle", d.write().toString(), id);
        assertEquals(0, c.exit(), c.stderr());
        try {
            JrunCli.Result e = jrun.run("exec", id, "uname", "-m");
            assertEquals("i686\n", e.stdout(), "an exec'd process runs with the container's personality: " + e.stderr());
        } finally {
            jrun.run("delete", "--force", id);
        }
        TestBundle linux = bundle("uname -m");
        linux.linux().put("personality", Map.of("domain", "LINUX"));
        String native64 = ok(bundle("uname -m"));
        assertTrue(!native64.equals("i686\n"), native64);
        assertEquals(native64, ok(linux));
        TestBundle bad = bundle("true");
        bad.linux().put("personality", Map.of("domain", "LINUX", "flags", List.of("ADDR_NO_RANDOMIZE")));
        JrunCli.Result r = run(bad);
        assertEquals(1, r.exit());
        assertTrue(r.stderr().contains("linux.personality.flags: unknown flag \"ADDR_NO_RANDOMIZE\""), r.stderr());
    }

    @Test
    void aTimeNamespaceOffsetsTheContainersClocks() throws Exception {
        String hostNs = java.nio.file.Files.readSymbolicLink(Path.of("/proc/self/ns/time")).toString();
        double hostUptime = Double.parseDouble(java.nio.file.Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
        TestBundle b = bundle("readlink /proc/self/ns/time; readlink /proc/1/ns/time; cut -d' ' -f1 /proc/uptime");
        b.namespaces("pid", "network", "ipc", "uts", "mount", "cgroup", "time");
        b.linux().put("timeOffsets", Map.of("boottime", Map.of("secs", 86400L), "monotonic", Map.of("secs", 3600L)));
        String[] out = ok(b).split("\n");
        assertTrue(out[0].startsWith("time:[") && !out[0].equals(hostNs), out[0] + " against the host's " + hostNs);
        assertEquals(out[0], out[1], "the init (pid 1) is in it too: execve moved it");
        double uptime = Double.parseDouble(out[2]);
        assertTrue(uptime >= hostUptime + 86400 && uptime < hostUptime + 86400 + 60,
                "uptime " + uptime + " is the host's " + hostUptime + " plus a day");
        // without offsets: a namespace of its own, the host's clocks
        TestBundle plain = bundle("readlink /proc/self/ns/time; cut -d' ' -f1 /proc/uptime");
        plain.namespaces("pid", "network", "ipc", "uts", "mount", "cgroup", "time");
        String[] p = ok(plain).split("\n");
        assertTrue(!p[0].equals(hostNs), p[0]);
        assertTrue(Double.parseDouble(p[1]) < hostUptime + 60, p[1]);
        TestBundle range = bundle("true");
        range.namespaces("pid", "network", "ipc", "uts", "mount", "cgroup", "time");
        range.linux().put("timeOffsets", Map.of("monotonic", Map.of("secs", -1_000_000_000L)));
        JrunCli.Result before = run(range);
        assertEquals(1, before.exit());
        assertEquals("jrun: make a time namespace with offsets (clock secs nanosecs) monotonic -1000000000 0:"
                + " write /proc/self/timens_offsets: Numerical result out of range (ERANGE)\n", before.stderr(),
                "clocks may not go below zero");
        TestBundle noNs = bundle("true");
        noNs.linux().put("timeOffsets", Map.of("boottime", Map.of("secs", 1L)));
        JrunCli.Result r = run(noNs);
        assertEquals(1, r.exit());
        assertTrue(r.stderr().contains("linux.timeOffsets: offsets need a new time namespace in linux.namespaces"),
                r.stderr());
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void execJoinsTheContainersTimeNamespace(boolean userNamespace) throws Exception {
        TestBundle b = bundle("sleep 30");
        b.namespaces("pid", "network", "ipc", "uts", "mount", "cgroup", "time");
        b.linux().put("timeOffsets", Map.of("boottime", Map.of("secs", 86400L)));
        if (userNamespace) { // the time namespace is the host's root's: joined before the user namespace
            b.userNamespace(100000L, 100000L);
        }
        String id = "sec-t-" + UUID.randomUUID().toString().substring(0, 6);
        JrunCli.Result c = jrun.run("run", "--detach", "--bundle", b.write().toString(), id);
        assertEquals(0, c.exit(), c.stderr());
        try {
            JrunCli.Result e = jrun.run("exec", id, "sh", "-c", "readlink /proc/self/ns/time; readlink /proc/1/ns/time;"
                    + " cut -d' ' -f1 /proc/uptime");
            assertEquals(0, e.exit(), e.stderr());
            String[] out = e.stdout().split("\n");
            assertEquals(out[0], out[1], "exec'd into the init's time namespace");
            assertTrue(Double.parseDouble(out[2]) > 86400, out[2]);
        } finally {
            jrun.run("delete", "--force", id);
        }
    }
}
