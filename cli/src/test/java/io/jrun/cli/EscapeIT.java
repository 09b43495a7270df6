package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.TestBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile bundles: each must either fail with a one-line error or run contained. After each, the
 * host's files that the bundle aims at (a "host" directory outside the rootfs, the jrun binary,
 * core_pattern) and the host's mount table are exactly as before.
 */
class EscapeIT extends CliTest {
    /** Files on the host a hostile bundle aims at. */
    Path host;

    Map<String, String> before;

    @BeforeEach
    void hostFiles() throws Exception {
        host = Files.createDirectories(tmp.resolve("host"));
        Files.writeString(host.resolve("file"), "host data\n");
        Files.createDirectories(host.resolve("dir"));
        Files.writeString(host.resolve("dir/inner"), "host inner\n");
        before = hostSnapshot();
    }

    @AfterEach
    void hostUnchanged() throws Exception {
        assertEquals(before, hostSnapshot(), "the host changed");
    }

    /** Every file under {@link #host} with its checksum, the jrun binary's, core_pattern, and the host's mounts. */
    Map<String, String> hostSnapshot() throws Exception {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(host)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                m.put(p.toString(), describe(p));
            }
        }
        m.put("jrun", describe(JrunCli.launcher()));
        m.put("core_pattern", Files.readString(Path.of("/proc/sys/kernel/core_pattern")));
        // pid 1 is the host's init: its mount table is the host's, not this test's private namespace's
        List<String> mounts = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/1/mountinfo"))) {
            String[] f = line.split(" ");
            mounts.add(f[4] + " " + f[5].replaceAll(",?(relatime|noatime)", "") + " " + f[f.length - 3]);
        }
        mounts.sort(null);
        m.put("mounts", String.join("\n", mounts));
        return m;
    }

    static String describe(Path p) throws Exception {
        if (Files.isSymbolicLink(p)) {
            return "-> " + Files.readSymbolicLink(p);
        }
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            return "dir";
        }
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    TestBundle bundle(String script) throws IOException {
        TestBundle b = TestBundle.in(tmp.resolve("b-" + UUID.randomUUID().toString().substring(0, 6))).sh(script);
        b.copyRootfs();
        b.root().put("readonly", false);
        return b;
    }

    Path rootfs(TestBundle b) {
        return b.dir().resolve("rootfs");
    }

    static String id() {
        return "esc-" + UUID.randomUUID().toString().substring(0, 8);
    }

    JrunCli.Result run(TestBundle b) throws Exception {
        return jrun.run("run", "--bundle", b.write().toString(), id());
    }

    /** Either ran (status 0) or failed with one line naming the step: never a half-way state. */
    static void containedOrRefused(JrunCli.Result r) {
        if (r.exit() != 0) {
            assertEquals(1, r.stderr().lines().count(), r.stderr());
            assertTrue(r.stderr().startsWith("jrun: "), r.stderr());
        }
    }

    static Map<String, Object> mount(String destination, String type, String source, String... options) {
        return Map.of("destination", destination, "type", type, "source", source, "options", List.of(options));
    }

    @Test
    void mountDestinationsThatAreSymlinksToTheHostStayInTheRootfs() throws Exception {
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        Files.writeString(shared.resolve("shared"), "shared\n");
        Map<String, Path> links = Map.of("abs", host, "rel", Path.of("../../../../../../../../../../.." + host),
                "bind", host.resolve("dir"));
        for (Map.Entry<String, Path> link : links.entrySet()) { // one at a time: each is tried on its own
            String dest = "/mnt/" + link.getKey();
            TestBundle b = bundle("echo pwn > " + dest + "/pwn && echo written");
            Files.createSymbolicLink(Files.createDirectories(rootfs(b).resolve("mnt")).resolve(link.getKey()),
                    link.getValue());
            // the targets exist inside the rootfs too, so that resolving in the rootfs succeeds
            Files.createDirectories(rootfs(b).resolve(host.resolve("dir").toString().substring(1)));
            b.mount(link.getKey().equals("bind") ? mount(dest, "bind", shared.toString(), "rbind")
                    : mount(dest, "tmpfs", "tmpfs"));
            JrunCli.Result r = run(b);
            containedOrRefused(r);
            assertEquals("written\n", r.stdout(), link + ": " + r.stderr());
            if (link.getKey().equals("bind")) {
                assertEquals("pwn\n", Files.readString(shared.resolve("pwn"))); // the bind is the one asked for
                Files.delete(shared.resolve("pwn"));
            }
        }
    }

    @Test
    void devicesConsoleAndPtsReplacedBySymlinksDoNotReachTheHost() throws Exception {
        Map<String, Path> links = Map.of("null", host.resolve("file"),
                "zero", Path.of("../../../../../../../../../.." + host + "/file"),
                "console", host.resolve("file"), "pts", host.resolve("dir"));
        for (Map.Entry<String, Path> link : links.entrySet()) {
            Path sock = tmp.resolve("console-" + link.getKey() + ".sock");
            Path out = tmp.resolve("console-" + link.getKey() + ".out");
            Process receiver = new ProcessBuilder(TerminalIT.recvtty().toString(), sock.toString())
                    .redirectOutput(out.toFile()).redirectError(tmp.resolve("recv.err").toFile()).start();
            for (int i = 0; i < 200 && !Files.exists(sock); i++) {
                Thread.sleep(10);
            }
            TestBundle b = bundle("echo pwn > /dev/null; echo pwn > /dev/zero; echo pwn > /dev/console; echo done");
            b.process().put("terminal", true);
            // no tmpfs on /dev: the rootfs's own /dev, with a symlink to the host, is used as it is
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> mounts = new ArrayList<>((List<Map<String, Object>>) b.spec().get("mounts"));
            mounts.removeIf(m -> m.get("destination").equals("/dev"));
            b.spec().put("mounts", mounts);
            Path dev = Files.createDirectories(rootfs(b).resolve("dev"));
            new ProcessBuilder("rm", "-rf", dev.resolve(link.getKey()).toString()).start().waitFor();
            Files.createSymbolicLink(dev.resolve(link.getKey()), link.getValue());
            String id = id();
            JrunCli.Result c = jrun.run("create", "--console-socket", sock.toString(), "--bundle",
                    b.write().toString(), id);
            containedOrRefused(c);
            if (c.exit() == 0) {
                JrunCli.Result s = jrun.run("start", id);
                assertEquals(0, s.exit(), s.stderr());
                receiver.waitFor();
                assertTrue(Files.readString(out).contains("done"), link + ": " + Files.readString(out));
                jrun.run("delete", "--force", id);
            }
            receiver.destroy();
            receiver.waitFor();
        }
    }

    @Test
    void maskedAndReadonlyPathsThatAreSymlinksDoNotReachTheHost() throws Exception {
        TestBundle b = bundle("cat /etc/masked; echo pwn > /etc/rodir/pwn; echo pwn > /etc/masked; echo done");
        Files.createSymbolicLink(rootfs(b).resolve("etc/masked"), host.resolve("file"));
        Files.createSymbolicLink(rootfs(b).resolve("etc/rodir"), host.resolve("dir"));
        b.linux().put("maskedPaths", List.of("/etc/masked"));
        b.linux().put("readonlyPaths", List.of("/etc/rodir"));
        JrunCli.Result r = run(b);
        containedOrRefused(r);
        if (r.exit() == 0) {
            assertTrue(r.stdout().endsWith("done\n"), r.stdout());
            assertTrue(!r.stdout().contains("host data"), r.stdout());
        }
    }

    @Test
    void aProcOverMountedByABindIsRefusedBeforeAnyWriteThrough() throws Exception {
        // a fake /proc on the host: were jrun to write sysctls or oom_score_adj through it, these files would change
        Path fake = tmp.resolve("host/fakeproc");
        Files.createDirectories(fake.resolve("sys/net/ipv4"));
        Files.createDirectories(fake.resolve("self"));
        Files.writeString(fake.resolve("sys/net/ipv4/ip_forward"), "host\n");
        Files.writeString(fake.resolve("self/oom_score_adj"), "host\n");
        Files.writeString(fake.resolve("self/attr"), "host\n");
        before = hostSnapshot();
        // one write at a time: each must notice on its own that /proc is not procfs
        for (String write : List.of("sysctl", "oomScoreAdj", "maskedPaths")) {
            TestBundle b = bundle("cat /proc/sys/net/ipv4/ip_forward /proc/self/oom_score_adj");
            b.mount(mount("/proc", "bind", fake.toString(), "rbind"));
            b.linux().remove("maskedPaths");
            b.linux().remove("readonlyPaths");
            switch (write) {
                case "sysctl" -> b.linux().put("sysctl", Map.of("net.ipv4.ip_forward", "1"));
                case "oomScoreAdj" -> b.process().put("oomScoreAdj", 500L);
                default -> b.linux().put("maskedPaths", List.of("/proc/self/attr"));
            }
            JrunCli.Result r = run(b);
            containedOrRefused(r);
            assertEquals(1, r.exit(), write + ": " + r.stdout());
            assertTrue(r.stderr().contains("is not procfs"), r.stderr());
        }
    }

    @Test
    void aCwdThatIsASymlinkOutOfTheRootfsStaysInside() throws Exception {
        TestBundle b = bundle("echo pwn > pwn && ls");
        Files.createSymbolicLink(rootfs(b).resolve("wd"), host);
        Files.createSymbolicLink(rootfs(b).resolve("up"), Path.of("../../../../../../../../.." + host));
        b.process().put("cwd", "/wd");
        containedOrRefused(run(b));
        b.process().put("cwd", "/up/dir");
        containedOrRefused(run(b));
        b.process().put("cwd", "/../../../../../../../.." + host);
        containedOrRefused(run(b));
    }

    @Test
    void aSysctlThatIsNotNamespacedIsRefused() throws Exception {
        TestBundle b = bundle("true");
        b.linux().put("sysctl", Map.of("kernel.core_pattern", "|/bin/sh -c 'touch /pwned'"));
        JrunCli.Result r = run(b);
        assertEquals(1, r.exit());
        assertTrue(r.stderr().contains("kernel.core_pattern"), r.stderr());
        containedOrRefused(r);
    }

    @Test
    void aRootfsThatIsASymlinkIsUsedWhereItPointsOrRefused() throws Exception {
        TestBundle b = bundle("echo pwn > /pwn; echo done");
        Path real = tmp.resolve("real-rootfs");
        Files.move(rootfs(b), real);
        Files.createSymbolicLink(rootfs(b), real);
        JrunCli.Result r = run(b);
        containedOrRefused(r);
        if (r.exit() == 0) {
            assertEquals("done\n", r.stdout());
            assertEquals("pwn\n", Files.readString(real.resolve("pwn")));
        }
        // and a rootfs that is the host's own root is refused outright
        Files.delete(rootfs(b));
        Files.createSymbolicLink(rootfs(b), Path.of("/"));
        JrunCli.Result slash = run(b);
        assertEquals(1, slash.exit(), slash.stdout());
        containedOrRefused(slash);
    }

    /**
     * CVE-2019-5736: a process in the container makes {@code jrun exec} execute "#!/proc/self/exe", so
     * that the runtime's own binary runs inside the container; a second process holds that binary
     * through /proc/PID/exe and writes to it once it is no longer busy. jrun runs from a sealed memfd
     * copy: the write fails and the binary on the host is unchanged. The test uses its own copy of
     * the distribution so that a failure cannot damage the build's.
     */
    @Test
    void execCannotBeMadeToOverwriteTheRuntimeBinary() throws Exception {
        Path dist = tmp.resolve("dist");
        new ProcessBuilder("cp", "-a", JrunCli.launcher().getParent().getParent().toString(), dist.toString())
                .inheritIO().start().waitFor();
        Path launcher = dist.resolve("bin/jrun");
        String sum = describe(launcher);
        JrunCli copy = new JrunCli(tmp, launcher);
        TestBundle b = bundle("while [ ! -e /tmp/result.done ]; do sleep 0.05; done; cat /tmp/result");
        Path evil = rootfs(b).resolve("evil");
        Files.writeString(evil, "#!/proc/self/exe\n");
        Files.setPosixFilePermissions(evil, PosixFilePermissions.fromString("rwxr-xr-x"));
        // what the runtime, run as "#!/proc/self/exe", finds where it looks for its JVM: the attacker's program
        Path lib = Files.createDirectories(rootfs(b).resolve(dist.toString().substring(1)).resolve("lib"));
        Files.createDirectories(lib.resolveSibling("bin"));
        Files.writeString(lib.resolve("jrun.launch"), "/bin/probe\noverwrite-parent-exe\n/tmp/result\n");
        String id = id();
        JrunCli.Result c = copy.run("run", "--detach", "--bundle", b.write().toString(), id);
        assertEquals(0, c.exit(), c.stderr());
        copy.run("exec", "--env", "JRUN_STAGE_PATH=" + launcher, id, "/evil");
        Path result = rootfs(b).resolve("tmp/result.done");
        for (int i = 0; i < 500 && !Files.exists(result); i++) {
            Thread.sleep(20);
        }
        String outcome = Files.readString(rootfs(b).resolve("tmp/result"));
        copy.run("delete", "--force", id);
        assertEquals(sum, describe(launcher), "the runtime binary was overwritten: " + outcome);
        assertEquals("write: EPERM\n", outcome);
    }
}
