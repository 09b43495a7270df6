package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.TestBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** `jrun run` as users drive it: what the container sees, exit codes, signals. */
class RunIT extends CliTest {

    static String id() {
        return "it-" + UUID.randomUUID().toString().substring(0, 8);
    }

    TestBundle bundle() {
        return TestBundle.in(tmp.resolve("bundle-" + UUID.randomUUID().toString().substring(0, 6)));
    }

    JrunCli.Result run(TestBundle b) throws Exception {
        JrunCli.Result r = jrun.run("run", "--bundle", b.write().toString(), id());
        assertStateRootEmpty();
        return r;
    }

    void assertStateRootEmpty() throws IOException {
        if (Files.isDirectory(jrun.stateRoot())) {
            try (var s = Files.list(jrun.stateRoot())) {
                assertEquals(List.of(), s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("."))
                        .toList(), "state left behind");
            }
        }
    }

    static String hostNs(String type) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self/ns/" + type)).toString();
    }

    /** The distribution runs on the newest JDK the build found, with its class-data archive. */
    @Test
    void theDistributionRunsOnTheNewestJdkWithItsArchive() throws Exception {
        Path lib = JrunCli.launcher().getParent().resolveSibling("lib");
        List<String> launch = Files.readAllLines(lib.resolve("jrun.launch"));
        Path javaHome = Path.of(launch.get(0)).getParent().getParent();
        int feature = jdkFeature(javaHome);
        try (var jdks = Files.list(Path.of("/usr/lib/jvm"))) {
            for (Path jdk : jdks.filter(p -> !Files.isSymbolicLink(p)).toList()) {
                assertTrue(jdkFeature(jdk) <= feature, jdk + " is newer than the JDK in jrun.launch: " + javaHome);
            }
        }
        String archive = feature >= 25 ? "jrun.aot" : "jrun.jsa";
        assertTrue(launch.stream().anyMatch(l -> l.endsWith("@LIB@/" + archive)), launch.toString());
        assertTrue(Files.size(lib.resolve(archive)) > 0, archive + " is empty");
    }

    /** JRUN_JAVA may name a JDK 17 even when the distribution was built for JDK 25's AOT cache. */
    @Test
    void runsOnJdk17WhenJrunJavaNamesIt() throws Exception {
        Path jdk17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");
        assertEquals(17, jdkFeature(jdk17), "the tests need Debian's JDK 17");
        ProcessBuilder pb = jrun.builder("run", "--bundle", bundle().sh("echo hi").write().toString(), id());
        pb.environment().put("JRUN_JAVA", jdk17.resolve("bin/java").toString());
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        JrunCli.Result r = JrunCli.finish(new JrunCli.Started(
                pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start(), out, err));
        assertEquals(new JrunCli.Result(0, "hi\n", ""), r);
    }

    static int jdkFeature(Path home) throws IOException {
        Path release = home.resolve("release");
        if (!Files.isRegularFile(release) || !Files.isExecutable(home.resolve("bin/java"))) {
            return 0;
        }
        for (String line : Files.readAllLines(release)) {
            if (line.startsWith("JAVA_VERSION=\"")) {
                String v = line.substring("JAVA_VERSION=\"".length());
                int end = 0;
                while (end < v.length() && Character.isDigit(v.charAt(end))) {
                    end++;
                }
                return Integer.parseInt(v.substring(0, end));
            }
        }
        return 0;
    }

    /** The plan is bounded by its bytes, not by a count of steps (it was 65,536: each word is a step). */
    @Test
    void argvOf100000WordsAndALongEnvRunAsRuncRunsThem() throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("sh", "-c", "echo $#; env | grep -c ^E", "sh"));
        for (int i = 0; i < 100_000; i++) {
            args.add("w" + i);
        }
        List<String> env = new java.util.ArrayList<>(List.of("PATH=/bin:/usr/bin"));
        for (int i = 0; i < 20_000; i++) {
            env.add("E" + i + "=v");
        }
        TestBundle b = bundle().args(args.toArray(new String[0]));
        b.process().put("env", env);
        JrunCli.Result r = run(b);
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("100000\n20000\n", r.stdout());
    }

    @Test
    void theProgramIsPid1AndSeesOnlyItsOwnProcesses() throws Exception {
        // shell builtins only: the one process in the pid namespace is the shell itself
        JrunCli.Result r = run(bundle().sh("echo pid=$$; for p in /proc/[0-9]*; do echo ${p#/proc/}; done"));
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("pid=1\n1\n", r.stdout());
    }

    @Test
    void hostnameAndOnlyLoopbackUp() throws Exception {
        TestBundle b = bundle().sh("hostname; ls /sys/class/net; ip link show lo | head -1").set("hostname", "box-7");
        JrunCli.Result r = run(b);
        assertEquals(0, r.exit(), r.stderr());
        String[] lines = r.stdout().split("\n");
        assertEquals("box-7", lines[0]);
        assertEquals("lo", lines[1]);
        assertTrue(lines[2].contains("UP"), lines[2]);
    }

    @Test
    void everyNamespaceAskedForIsNewAndTheOthersAreTheHosts() throws Exception {
        String script = "for t in pid net mnt ipc uts cgroup; do echo $t $(readlink /proc/self/ns/$t); done";
        JrunCli.Result all = run(bundle().sh(script));
        assertEquals(0, all.exit(), all.stderr());
        for (String line : all.stdout().split("\n")) {
            String[] w = line.split(" ");
            assertNotEquals(hostNs(w[0]), w[1], w[0] + " namespace is the host's");
        }
        // without network and ipc namespaces the container shares the host's
        JrunCli.Result some = run(bundle().namespaces("pid", "mount", "uts", "cgroup").set("hostname", null)
                .sh("for t in net ipc uts; do readlink /proc/self/ns/$t; done"));
        assertEquals(0, some.exit(), some.stderr());
        String[] ns = some.stdout().split("\n");
        assertEquals(hostNs("net"), ns[0]);
        assertEquals(hostNs("ipc"), ns[1]);
        assertNotEquals(hostNs("uts"), ns[2]);
    }

    @Test
    void joinsNamespacesByPath() throws Exception {
        Process holder = new ProcessBuilder("unshare", "--net", "--ipc", "--uts", "sleep", "60").start();
        try {
            String net = null;
            for (int i = 0; i < 200; i++) { // until unshare has exec'd sleep in the new namespaces
                net = Files.readSymbolicLink(Path.of("/proc/" + holder.pid() + "/ns/net")).toString();
                if (!net.equals(hostNs("net"))) {
                    break;
                }
                Thread.sleep(10);
            }
            String ipc = Files.readSymbolicLink(Path.of("/proc/" + holder.pid() + "/ns/ipc")).toString();
            TestBundle b = bundle().sh("readlink /proc/self/ns/net; readlink /proc/self/ns/ipc")
                    .joinNamespace("network", "/proc/" + holder.pid() + "/ns/net")
                    .joinNamespace("ipc", "/proc/" + holder.pid() + "/ns/ipc");
            JrunCli.Result r = run(b);
            assertEquals(0, r.exit(), r.stderr());
            String[] lines = r.stdout().split("\n");
            assertEquals(net, lines[0]);
            assertEquals(ipc, lines[1]);
            assertNotEquals(hostNs("net"), lines[0]);
        } finally {
            holder.destroyForcibly();
            holder.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aMountMadeInTheContainerIsNotSeenOnTheHost() throws Exception {
        TestBundle b = bundle().sh("trap 'exit 7' TERM; mount -t tmpfs jrun-probe-tmpfs /tmp"
                + " && touch /tmp/marker && echo mounted && sleep 30 & wait").capabilities("CAP_SYS_ADMIN");
        b.write();
        JrunCli.Started s = jrun.start("run", "--bundle", b.dir().toString(), id());
        try {
            s.awaitOutput("mounted");
            String mounts = Files.readString(Path.of("/proc/self/mountinfo"));
            assertFalse(mounts.contains("jrun-probe-tmpfs"), "the container's tmpfs reached the host:\n" + mounts);
            assertFalse(Files.exists(TestBundle.fixtureRootfs().resolve("tmp/marker")));
        } finally {
            s.process().destroy(); // SIGTERM to jrun reaches sh, which traps it
        }
        JrunCli.Result r = JrunCli.finish(s);
        assertEquals(7, r.exit(), r.stderr());
        assertStateRootEmpty();
    }

    @Test
    void rootfsPropagationShared() throws Exception {
        TestBundle b = bundle().sh("head -1 /proc/self/mountinfo | grep -o 'shared:' ");
        b.linux().put("rootfsPropagation", "rshared");
        JrunCli.Result r = run(b);
        assertEquals("shared:\n", r.stdout(), r.stderr());
    }

    @Test
    void rootfsPropagationUnbindableWithABindMount() throws Exception {
        // nothing can be bound from an unbindable mount: the rootfs and the bind are made first
        TestBundle b = bundle().sh("head -1 /proc/self/mountinfo | grep -o 'unbindable'; cat /mnt/x/hostname");
        b.mount(Map.of("destination", "/mnt/x", "type", "bind", "source", "/etc", "options", List.of("rbind", "ro")));
        b.linux().put("rootfsPropagation", "runbindable");
        JrunCli.Result r = run(b);
        assertEquals("unbindable\n" + Files.readString(Path.of("/etc/hostname")), r.stdout(), r.stderr());
    }

    @Test
    void aReadonlyRootCannotBeWrittenAndAWritableOneCan() throws Exception {
        JrunCli.Result ro = run(bundle().sh("touch /file"));
        assertEquals(1, ro.exit());
        assertTrue(ro.stderr().contains("Read-only file system"), ro.stderr());
        TestBundle rw = bundle().copyRootfs().sh("touch /file && echo written");
        rw.root().put("readonly", false);
        JrunCli.Result r = run(rw);
        assertEquals("written\n", r.stdout(), r.stderr());
        assertTrue(Files.exists(rw.dir().resolve("rootfs/file")));
    }

    @ParameterizedTest
    @CsvSource({"exit 0, 0", "exit 3, 3", "exit 255, 255", "kill -9 $$, 137", "kill -15 $$, 143"})
    void exitsWithTheContainersStatus(String script, int expected) throws Exception {
        // no pid namespace: as pid 1 the shell could not kill itself
        JrunCli.Result r = run(bundle().namespaces("mount", "ipc", "uts").sh(script));
        assertEquals(expected, r.exit(), r.stderr());
    }

    @ParameterizedTest
    @CsvSource({"INT, 2", "TERM, 15", "HUP, 1", "QUIT, 3", "USR1, 10", "USR2, 12"})
    void signalsSentToJrunReachTheInit(String name, int number) throws Exception {
        TestBundle b = bundle().args("probe", "signals");
        b.write();
        JrunCli.Started s = jrun.start("run", "--bundle", b.dir().toString(), id());
        s.awaitOutput("ready");
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(s.process().pid())).start();
        assertEquals(0, kill.waitFor());
        JrunCli.Result r = JrunCli.finish(s);
        assertEquals("ready\nsignal " + number + "\n", r.stdout(), r.stderr());
        assertEquals(100 + number, r.exit());
        assertStateRootEmpty();
    }

    @Test
    void runWithABundleDirectoryMakesUpAnId() throws Exception {
        TestBundle b = bundle().sh("echo ok");
        b.write();
        JrunCli.Result r = jrun.run("run", b.dir().toString());
        assertEquals("ok\n", r.stdout(), r.stderr());
        assertEquals(0, r.exit());
        assertStateRootEmpty();
    }

    @Test
    void userGroupsEnvAndCwd() throws Exception {
        TestBundle b = bundle().sh("probe ids; echo $GREETING; pwd");
        b.process().put("user", Map.of("uid", 1000L, "gid", 1001L, "additionalGids", List.of(5L, 100L)));
        b.process().put("env", List.of("PATH=/bin", "GREETING=hello"));
        b.process().put("cwd", "/tmp");
        JrunCli.Result r = run(b);
        assertEquals("uid=1000 gid=1001 groups=5,100\nhello\n/tmp\n", r.stdout(), r.stderr());
    }

    @Test
    void mountsWithOptionsInOrderAndTargetsCreated() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(data.resolve("hello.txt"), "from the host\n");
        Path file = Files.writeString(tmp.resolve("one-file"), "single\n");
        TestBundle b = bundle().copyRootfs()
                .mount(mount("/srv/data", "bind", data.toString(), "rbind", "ro", "nosuid"))
                .mount(mount("/srv/scratch", "tmpfs", "tmpfs", "size=1m", "mode=700", "noexec"))
                .mount(mount("/srv/scratch/nested", "tmpfs", "tmpfs", "size=512k"))
                .mount(mount("/etc/one-file", "bind", file.toString(), "bind", "ro"))
                .sh("cat /srv/data/hello.txt /etc/one-file; touch /srv/data/x 2>/dev/null || echo data-ro;"
                        + " grep -E ' /srv/' /proc/mounts | cut -d' ' -f2-4; stat -c %a /srv/scratch");
        JrunCli.Result r = run(b);
        assertEquals(0, r.exit(), r.stderr());
        List<String> lines = List.of(r.stdout().split("\n"));
        assertEquals("from the host", lines.get(0));
        assertEquals("single", lines.get(1));
        assertEquals("data-ro", lines.get(2));
        assertTrue(lines.get(3).startsWith("/srv/data ext4 ro,nosuid") || lines.get(3).contains(" ro,nosuid"),
                lines.get(3));
        assertTrue(lines.get(4).startsWith("/srv/scratch tmpfs rw,noexec"), lines.get(4));
        assertTrue(lines.get(4).contains("size=1024k"), lines.get(4));
        assertTrue(lines.get(5).startsWith("/srv/scratch/nested tmpfs"), lines.get(5));
        assertEquals("700", lines.get(6));
        assertFalse(Files.exists(data.resolve("x")));
    }

    @Test
    void defaultDevicesLinksAndConfiguredDevices() throws Exception {
        TestBundle b = bundle().sh("for d in null zero full random urandom tty my-null; do"
                + " stat -c '%n %F %t:%T %a' /dev/$d; done; for l in fd stdin ptmx; do readlink /dev/$l; done;"
                + " echo hi > /dev/null && echo null-ok");
        b.linux().put("devices", List.of(Map.of("path", "/dev/my-null", "type", "c", "major", 1L, "minor", 3L,
                "fileMode", 0600L, "uid", 0L, "gid", 0L)));
        JrunCli.Result r = run(b);
        assertEquals(0, r.exit(), r.stderr());
        assertEquals(String.join("\n",
                "/dev/null character special file 1:3 666",
                "/dev/zero character special file 1:5 666",
                "/dev/full character special file 1:7 666",
                "/dev/random character special file 1:8 666",
                "/dev/urandom character special file 1:9 666",
                "/dev/tty character special file 5:0 666",
                "/dev/my-null character special file 1:3 600",
                "/proc/self/fd", "/proc/self/fd/0", "pts/ptmx", "null-ok") + "\n", r.stdout());
    }

    @Test
    void noPivotRunsTheRootfsWithMoveAndChroot() throws Exception {
        TestBundle b = bundle().sh("echo moved; ls /");
        b.write();
        JrunCli.Result r = jrun.run("run", "--no-pivot", "--bundle", b.dir().toString(), id());
        assertEquals(0, r.exit(), r.stderr());
        assertTrue(r.stdout().startsWith("moved\n"), r.stdout());
        assertTrue(r.stdout().contains("bin\n"), r.stdout());
    }

    @Test
    void stdinPassesThrough() throws Exception {
        TestBundle b = bundle().sh("read line; echo got:$line");
        b.write();
        Process p = jrun.builder("run", "--bundle", b.dir().toString(), id())
                .redirectInput(ProcessBuilder.Redirect.PIPE).start();
        p.getOutputStream().write("typed\n".getBytes());
        p.getOutputStream().close();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals("got:typed\n", new String(p.getInputStream().readAllBytes()));
        assertEquals(0, p.exitValue());
    }

    /** A --keep run that fails before its start (here its pid file) still removes its cgroup (HostLeakCheck). */
    @Test
    void aKeptRunWhosePidFileFailsLeavesNothing() throws Exception {
        TestBundle b = bundle().sh("echo never");
        b.write();
        Path pidFile = tmp.resolve("no-such-dir").resolve("init.pid");
        JrunCli.Result r = jrun.run("run", "--keep", "--pid-file", pidFile.toString(), "--bundle", b.dir().toString(),
                id());
        assertEquals(1, r.exit(), r.stderr());
        assertEquals("", r.stdout());
        assertEquals("jrun: write pid file " + pidFile + ": No such file or directory (ENOENT)\n", r.stderr());
        assertEquals(1, r.stderr().lines().count(), r.stderr());
        assertStateRootEmpty();
    }

    static Map<String, Object> mount(String dest, String type, String source, String... options) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("destination", dest);
        m.put("type", type);
        m.put("source", source);
        m.put("options", List.of(options));
        return m;
    }
}
