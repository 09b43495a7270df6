package io.jrun.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.HostLeakCheck;
import io.jrun.runtime.testing.RootTests;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The container API against real containers, as a test author uses it. */
@ExtendWith({RootTests.class, HostLeakCheck.class})
class ContainerIT {
    @TempDir
    Path tmp;

    private static ContainerSpec busybox() {
        return ContainerSpec.fromRootfs(BusyboxImage.rootfs());
    }

    private static Container start(ContainerSpec spec) {
        return spec.start(BusyboxImage.engine());
    }

    @Test
    void capturesStdoutAndStderrApartAndReturnsTheStatus() {
        try (Container c = start(busybox().withCommand("sh", "-c", "echo out; echo err >&2; exit 3"))) {
            assertTrue(c.waitFor(Duration.ofSeconds(30)));
            assertEquals(3, c.exitCode().getAsInt());
            c.close(); // the pipes are read to their end
            assertEquals("out\n", c.output().stdout());
            assertEquals("err\n", c.output().stderr());
        }
    }

    @Test
    void processSettingsReachTheContainer() {
        ContainerSpec spec = busybox().withCommand("sh", "-c", "echo $GREETING $(pwd) $(id -u):$(id -g) $(hostname)")
                .withEnv("GREETING", "hi").withWorkdir("/tmp").withUser("1000:1001").withHostname("box");
        try (Container c = start(spec)) {
            c.waitFor(Duration.ofSeconds(30));
            c.close();
            assertEquals("hi /tmp 1000:1001 box\n", c.output().stdout());
        }
    }

    @Test
    void anyAmountOfOutputGoesToStringsLinesAndFilesWithoutStalling() throws Exception {
        Path file = tmp.resolve("out.txt");
        List<String> lines = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        // 8 MB: far past a pipe's 64 KB
        ContainerSpec spec = busybox().withCommand("sh", "-c", "yes 0123456789abcdef | head -n 500000")
                .withStdoutConsumer(lines::add).withStdoutTo(file);
        try (Container c = start(spec)) {
            assertTrue(c.waitFor(Duration.ofSeconds(60)));
            assertEquals(0, c.exitCode().getAsInt());
            c.close();
            assertEquals(500_000 * 17, c.output().stdout().length());
            assertEquals(500_000, lines.size());
            assertEquals("0123456789abcdef", lines.get(499_999));
            assertEquals(500_000L * 17, Files.size(file));
        }
    }

    @Test
    void stdinIsFedAndNothingIsInheritedByDefault() {
        try (Container c = start(busybox().withCommand("sh", "-c", "tr a-z A-Z; ls -l /proc/self/fd/0")
                .withStdin("hello\n"))) {
            c.waitFor(Duration.ofSeconds(30));
            c.close();
            assertTrue(c.output().stdout().startsWith("HELLO\n"), c.output().stdout());
            assertTrue(c.output().stdout().contains("pipe:"), c.output().stdout());
        }
        try (Container c = start(busybox().withCommand("sh", "-c", "cat; echo end"))) { // stdin: /dev/null, not ours
            assertTrue(c.waitFor(Duration.ofSeconds(30)));
            c.close();
            assertEquals("end\n", c.output().stdout());
        }
    }

    private static List<Path> unpackedImages() throws Exception {
        Path images = BusyboxImage.engine().root().resolve("images");
        if (!Files.isDirectory(images)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(images)) {
            return s.filter(p -> !p.getFileName().toString().startsWith(".")).toList();
        }
    }

    @Test
    void anImageIsUnpackedOnceAndNeverModified() throws Exception {
        String ref = BusyboxImage.reference();
        String digest = io.jrun.image.Images.open(Engine.DEFAULT_IMAGES).pull(ref, null).digest();
        int before = unpackedImages().size(); // the root under target/ outlives test runs
        ContainerSpec spec = ContainerSpec.fromImage(ref)
                .withCommand("sh", "-c", "cat /etc/marker 2>/dev/null || echo none; echo written > /etc/marker");
        for (int i = 0; i < 2; i++) {
            try (Container c = start(spec)) {
                c.waitFor(Duration.ofSeconds(30));
                c.close();
                assertEquals("none\n", c.output().stdout(), "each container starts from the image as it is");
            }
        }
        List<Path> after = unpackedImages();
        assertTrue(after.size() <= before + 1, after.toString());
        Path unpacked = BusyboxImage.engine().root().resolve("images").resolve(digest.substring(7));
        assertTrue(after.contains(unpacked), after + " lacks " + unpacked);
        assertTrue(Files.isDirectory(unpacked.resolve("rootfs/bin")));
        assertFalse(Files.exists(unpacked.resolve("rootfs/etc/marker")), "the image was modified");
    }

    @Test
    void aStoredImageIsFoundByItsName() throws Exception {
        io.jrun.image.Images.open(Engine.DEFAULT_IMAGES).pull(BusyboxImage.reference(), null); // as `jrun pull` does
        try (Container c = start(ContainerSpec.fromImage("test/busybox:1").withCommand("echo", "stored"))) {
            assertTrue(c.waitFor(Duration.ofSeconds(30)));
            c.close();
            assertEquals("stored\n", c.output().stdout());
        }
        ContainerException e = assertThrows(ContainerException.class,
                () -> start(ContainerSpec.fromImage("test/none:1")));
        assertTrue(e.getMessage().startsWith("pull test/none:1: no such image in "), e.getMessage());
    }

    @Test
    void aRootfsDirectoryIsNotModifiedEither() {
        try (Container c = start(busybox().withCommand("sh", "-c", "echo x > /new-file; rm /bin/yes; echo ok"))) {
            c.waitFor(Duration.ofSeconds(30));
            c.close();
            assertEquals("ok\n", c.output().stdout());
        }
        assertFalse(Files.exists(BusyboxImage.rootfs().resolve("new-file")));
        assertTrue(Files.exists(BusyboxImage.rootfs().resolve("bin/yes"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void aBundlesConfigIsTheBaseAndItsRootfsStaysAsItWas() throws Exception {
        java.util.Map<String, Object> config = io.jrun.runtime.spec.DefaultSpec.create(
                List.of("sh", "-c", "echo from the bundle with $X > /out; cat /out"));
        config.put("root", new java.util.LinkedHashMap<>(java.util.Map.of("path", BusyboxImage.rootfs().toString(),
                "readonly", true)));
        config.put("hostname", "bundled");
        Path bundle = Files.createDirectories(tmp.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), io.jrun.runtime.json.JsonWriter.pretty(config));
        try (Container c = start(ContainerSpec.fromBundle(bundle).withEnv("X", "x=1"))) {
            assertTrue(c.waitFor(Duration.ofSeconds(30)));
            c.close();
            assertEquals("from the bundle with x=1\n", c.output().stdout());
        }
        assertFalse(Files.exists(BusyboxImage.rootfs().resolve("out")));
    }

    @Test
    void readOnlyRootTmpfsAndBinds() throws Exception {
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        Files.writeString(shared.resolve("in"), "from host");
        ContainerSpec spec = busybox().withReadOnlyRoot().withTmpfs("/scratch").withBind(shared, "/shared")
                .withCommand("sh", "-c", "touch /x 2>/dev/null && echo root-writable; echo t > /scratch/t && echo tmpfs;"
                        + " cat /shared/in; echo; echo back > /shared/out");
        try (Container c = start(spec)) {
            c.waitFor(Duration.ofSeconds(30));
            c.close();
            assertEquals("tmpfs\nfrom host\n", c.output().stdout());
        }
        assertEquals("back\n", Files.readString(shared.resolve("out")));
    }

    /** A read-only bind is read-only all the way down: a mount below its source is not writable through it either. */
    @Test
    void aReadOnlyBindIsReadOnlyBelowToo() throws Exception {
        Path shared = Files.createDirectories(tmp.resolve("ro-shared"));
        Path nested = Files.createDirectories(shared.resolve("nested"));
        assertEquals(0, new ProcessBuilder("mount", "-t", "tmpfs", "tmpfs", nested.toString()).inheritIO().start()
                .waitFor()); // in the test's private mount namespace, which the containers start from
        try {
            ContainerSpec spec = busybox().withReadOnlyBind(shared, "/shared").withCommand("sh", "-c",
                    "echo x > /shared/top 2>/dev/null && echo top-writable; echo x > /shared/nested/below 2>/dev/null"
                            + " && echo below-writable; echo done");
            try (Container c = start(spec)) {
                c.waitFor(Duration.ofSeconds(30));
                c.close();
                assertEquals("done\n", c.output().stdout());
            }
            assertFalse(Files.exists(nested.resolve("below")));
        } finally {
            new ProcessBuilder("umount", nested.toString()).inheritIO().start().waitFor();
        }
    }

    @Test
    void execCopyInAndCopyOutWorkInsideTheContainer() throws Exception {
        Path tree = Files.createDirectories(tmp.resolve("tree/sub"));
        Files.writeString(tree.resolve("f"), "file f");
        Files.createSymbolicLink(tree.getParent().resolve("link"), Path.of("sub/f"));
        try (Container c = start(busybox().withCommand("sleep", "1000"))) {
            ExecResult r = c.exec("sh", "-c", "echo hi; echo oops >&2; exit 4");
            assertEquals(new ExecResult(4, "hi\n", "oops\n"), r);

            // a symlink in the container leads to its own /srv, never to the host's
            // (other modules' tests leave mount points such as /data in the shared fixture rootfs)
            assertEquals(0, c.exec("sh", "-c", "rm -rf /data /srv && mkdir /srv && ln -s /srv /data").exitCode());
            c.copyIn(tree.getParent(), "/data/app");
            assertEquals("file f", new String(c.readFile("/srv/app/sub/f"), StandardCharsets.UTF_8));
            assertEquals("file f", c.exec("cat", "/srv/app/link").stdout());
            assertFalse(Files.exists(Path.of("/data/app")));
            c.copyIn("one line\n".getBytes(), "/data/conf/app.conf", 0640);
            assertEquals("-rw-r-----", c.exec("sh", "-c", "ls -l /srv/conf/app.conf | cut -c1-10").stdout().trim());

            Path out = tmp.resolve("out");
            c.copyOut("/data/app", out);
            assertEquals("file f", Files.readString(out.resolve("sub/f")));
            assertEquals(Path.of("sub/f"), Files.readSymbolicLink(out.resolve("link")));
            c.copyOut("/data/conf/app.conf", tmp.resolve("app.conf"));
            assertEquals("one line\n", Files.readString(tmp.resolve("app.conf")));

            ContainerException e = assertThrows(ContainerException.class, () -> c.readFile("/nope"));
            assertTrue(e.getMessage().startsWith("read /nope in " + c.id() + ": cat: can't open '/nope'"), e.getMessage());
            // big output from an exec does not stall either
            assertEquals(2_000_000, c.exec("sh", "-c", "yes 123456789 | head -n 200000").stdout().length());
        }
    }

    @Test
    void anExecThatLeavesABackgroundProcessHoldingItsOutputReturnsWhatItWrote() {
        try (Container c = start(busybox().withCommand("sleep", "1000"))) {
            // the background sleep keeps the exec's stdout and stderr open: the exec still ends with its process
            assertEquals(new ExecResult(0, "before\nafter\n", "err\n"),
                    c.exec("sh", "-c", "echo before; sleep 1001 & echo after; echo err >&2"));
            assertEquals("2\n", c.exec("sh", "-c", "pidof sleep | wc -w").stdout(), "the background sleep runs on");
            // and an exec without one still reads all of a big output
            assertEquals(2_000_000, c.exec("sh", "-c", "yes 123456789 | head -n 200000").stdout().length());
        }
    }

    @Test
    void closingAPausedContainerWhoseThawFailsStillEndsItsMonitor() throws Exception {
        Engine engine = BusyboxImage.engine();
        Container c = start(busybox().withCommand("sleep", "1000"));
        long init = c.pid();
        long initStart = io.jrun.runtime.proc.ProcFs.startTime(init);
        String stat = Files.readString(Path.of("/proc/" + init + "/stat"));
        long monitor = Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
        long monitorStart = io.jrun.runtime.proc.ProcFs.startTime(monitor);
        List<Path> cgroups;
        try (Stream<Path> s = Files.find(Path.of("/sys/fs/cgroup"), 8,
                (p, a) -> a.isDirectory() && p.getFileName().toString().equals(c.id()))) {
            cgroups = s.toList();
        }
        boolean v1 = Files.isDirectory(Path.of("/sys/fs/cgroup/freezer"));
        Path freezer = cgroups.stream().filter(p -> Files.exists(p.resolve(v1 ? "freezer.state" : "cgroup.freeze")))
                .findFirst().orElseThrow();
        engine.jrun().pause(c.id());
        // a read-only bind over the freezer's directory (in this test's private mount namespace): the thaw fails
        sh("mount --bind " + freezer + " " + freezer + " && mount -o remount,bind,ro " + freezer);
        boolean bound = true;
        try {
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(120), c::close);
            assertFalse(io.jrun.runtime.proc.ProcFs.alive(monitor, monitorStart), "the monitor " + monitor + " is left");
            if (v1) { // v2's freezer lets a SIGKILL through: there the init may be gone already
                assertTrue(io.jrun.runtime.proc.ProcFs.alive(init, initStart), "the thaw did not fail: nothing was tested");
            }
            assertThrows(io.jrun.runtime.JrunException.class, () -> engine.jrun().state(c.id()));
            assertEquals(List.of(), engine.openContainers());
            sh("umount " + freezer);
            bound = false;
        } finally {
            if (bound) {
                sh("umount " + freezer);
            }
            Files.writeString(freezer.resolve(v1 ? "freezer.state" : "cgroup.freeze"), v1 ? "THAWED" : "0");
            for (int i = 0; i < 1000 && io.jrun.runtime.proc.ProcFs.alive(init, initStart); i++) {
                Thread.sleep(10); // its SIGKILL is taken now
            }
            for (Path p : cgroups) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void sh(String command) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), command + ": " + out);
    }

    @Test
    void copiesRunAsRootWhateverTheContainersUser() {
        try (Container c = start(busybox().withUser("1000").withCommand("sleep", "1000"))) {
            assertEquals("1000\n", c.exec("id", "-u").stdout());
            c.copyIn("root's\n".getBytes(), "/etc/app/owned", 0600);
            assertEquals("root's\n", new String(c.readFile("/etc/app/owned"), StandardCharsets.UTF_8));
            assertEquals(1, c.exec("cat", "/etc/app/owned").exitCode()); // the container's user may not read it
        }
    }

    @Test
    void stopSendsTermThenKill() {
        try (Container c = start(busybox().withCommand("sh", "-c",
                "trap 'echo term; exit 0' TERM; echo ready; while true; do sleep 0.05; done")
                .waitingFor(Wait.forLogLine("ready")))) {
            assertEquals(0, c.stop(Duration.ofSeconds(20)));
            assertFalse(c.isRunning());
        }
        try (Container c = start(busybox().withCommand("sleep", "1000"))) { // pid 1 ignores an unhandled TERM
            assertEquals(137, c.stop(Duration.ofMillis(200)));
        }
    }

    @Test
    void waitsForLogLinesAndCommands() {
        ContainerSpec spec = busybox().withCommand("sh", "-c", "echo ready; sleep 0.2; echo ready; touch /tmp/up; sleep 1000")
                .waitingFor(Wait.forLogLine("^rea.y$", 2));
        try (Container c = start(spec)) {
            assertEquals(2, c.output().lines().size());
            Wait.forCommand("test", "-f", "/tmp/up").waitUntilReady(c, Duration.ofSeconds(30));
        }
    }

    @Test
    void aTimedOutWaitNamesItselfShowsTheLastLinesAndLeavesNothing() {
        ContainerSpec spec = busybox().withCommand("sh", "-c", "echo starting; echo still starting; sleep 1000")
                .waitingFor(Wait.forLogLine("never")).withStartupTimeout(Duration.ofMillis(300));
        Engine engine = BusyboxImage.engine();
        ContainerException e = assertThrows(ContainerException.class, () -> start(spec));
        assertTrue(e.getMessage().matches("(?s)wait for log line /never/ in container jt-[0-9a-f-]+: timed out after 300 ms;"
                + " last 2 lines of output:\n  \\| starting\n  \\| still starting"), e.getMessage());
        assertEquals(List.of(), engine.openContainers());
    }

    @Test
    void aWaitOnAContainerThatEndsFailsAtOnce() {
        ContainerSpec spec = busybox().withCommand("sh", "-c", "echo bye; exit 2").waitingFor(Wait.forPort(80));
        ContainerException e = assertThrows(ContainerException.class, () -> start(spec));
        assertTrue(e.getMessage().contains("wait for port 80 in container"), e.getMessage());
        assertTrue(e.getMessage().contains("the container ended with status 2; last 1 lines of output:\n  | bye"),
                e.getMessage());
    }

    @Test
    void connectAndHostPortReachAServerInTheContainersOwnNetwork() throws Exception {
        ContainerSpec spec = busybox().withCommand("sh", "-c",
                "mkdir /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www")
                .waitingFor(Wait.forHttp(8080, "/", 200));
        try (Container c = start(spec)) {
            try (Socket s = c.connect(8080)) {
                OutputStream out = s.getOutputStream();
                out.write("GET /index.html HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertTrue(response.startsWith("HTTP/1.") && response.endsWith("\r\n\r\nhello\n"), response);
            }
            int port = c.hostPort(8080);
            for (int i = 0; i < 3; i++) {
                HttpURLConnection h = (HttpURLConnection) new URL("http://127.0.0.1:" + port + "/").openConnection();
                assertEquals(200, h.getResponseCode());
                try (InputStream in = h.getInputStream()) {
                    assertEquals("hello\n", new String(in.readAllBytes(), StandardCharsets.US_ASCII));
                }
            }
            // the container's port is not the host's: nothing listens on the host's 8080 for it
            assertNotEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/net")),
                    Files.readSymbolicLink(Path.of("/proc/" + c.pid() + "/ns/net")));
        }
    }

    @Test
    void hostNetworkAndJoinedNetwork() throws Exception {
        Path hostNet = Files.readSymbolicLink(Path.of("/proc/self/ns/net"));
        try (Container c = start(busybox().withNetwork(Network.HOST).withCommand("readlink", "/proc/self/ns/net"))) {
            c.waitFor(Duration.ofSeconds(30));
            c.close();
            assertEquals(hostNet + "\n", c.output().stdout());
        }
        try (Container a = start(busybox().withCommand("sleep", "1000"));
                Container b = start(busybox().withNetwork(Network.join(a)).withCommand("sleep", "1000"))) {
            assertEquals(Files.readSymbolicLink(Path.of("/proc/" + a.pid() + "/ns/net")),
                    Files.readSymbolicLink(Path.of("/proc/" + b.pid() + "/ns/net")));
        }
    }

    @Test
    void aMemoryLimitIsSetOnTheContainersCgroup() throws Exception {
        try (Container c = start(busybox().withMemoryLimit(64L << 20).withCommand("sleep", "1000"))) {
            String memory = Files.readAllLines(Path.of("/proc/" + c.pid() + "/cgroup")).stream()
                    .filter(l -> l.matches("[0-9]+:(memory|):.*")).sorted((x, y) -> y.compareTo(x)) // v1's line first
                    .findFirst().orElseThrow();
            String path = memory.substring(memory.indexOf(':', memory.indexOf(':') + 1) + 1);
            Path v1 = Path.of("/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes");
            String limit = Files.exists(v1) ? Files.readString(v1).trim()
                    : Files.readString(Path.of("/sys/fs/cgroup" + path + "/memory.max")).trim();
            assertEquals(Long.toString(64L << 20), limit);
        }
    }

    @Test
    void preparedMonitorsRunContainersAndExecsAsBeforeAndEndWithThePool() {
        Engine engine = BusyboxImage.engine().prepareMonitors(2);
        try {
            for (int i = 0; i < 4; i++) {
                try (Container c = busybox().withCommand("sh", "-c", "cat; echo end " + i + " >&2").start(engine)) {
                    assertTrue(c.waitFor(Duration.ofSeconds(30)));
                    c.close();
                    assertEquals("end " + i + "\n", c.output().stderr());
                }
            }
            try (Container c = busybox().withCommand("cat").withStdin("fed\n").start(engine)) {
                assertTrue(c.waitFor(Duration.ofSeconds(30)));
                c.close();
                assertEquals("fed\n", c.output().stdout());
            }
            try (Container c = busybox().withCommand("sleep", "1000").start(engine)) {
                for (int i = 0; i < 3; i++) {
                    assertEquals(new ExecResult(0, "hi " + i + "\n", ""), c.exec("echo", "hi " + i));
                }
            }
        } finally {
            engine.prepareMonitors(0); // HostLeakCheck: no idle monitor is left
        }
    }

    @Test
    void anOomKillIsLoggedNotWrittenToTheJvmsStderr() throws Exception {
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(Engine.class.getName());
        List<String> logged = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                logged.add(r.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream jvmErr = System.err;
        log.addHandler(h);
        log.setUseParentHandlers(false); // the console handler would print to stderr: the test looks for the runtime's own print
        System.setErr(new java.io.PrintStream(err, true));
        try (Container c = start(busybox().withMemoryLimit(16L << 20)
                .withCommand("sh", "-c", "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived"))) {
            assertTrue(c.waitFor(Duration.ofSeconds(60)));
            c.close();
            assertEquals("", c.output().stdout());
        } finally {
            System.setErr(jvmErr);
            log.removeHandler(h);
            log.setUseParentHandlers(true);
        }
        assertEquals("", err.toString());
        assertTrue(logged.stream().anyMatch(m -> m.contains("the kernel's OOM killer killed a process of it")),
                logged.toString());
    }

    /** A copy file that fails (here /dev/full: ENOSPC) does not stop the pipe being read: the container never stalls. */
    @Test
    void anOutputFileThatCannotBeWrittenDoesNotStallTheContainer() {
        ContainerSpec spec = busybox().withCommand("sh", "-c", "yes 0123456789 | head -c 1000000; echo; echo done")
                .withStdoutTo(Path.of("/dev/full"));
        try (Container c = start(spec)) {
            assertTrue(c.waitFor(Duration.ofSeconds(60)), "the container stalled on its stdout");
            c.close();
            assertEquals(0, c.exitCode().getAsInt());
            assertTrue(c.output().stdout().endsWith("\ndone\n"), c.output().tail(1));
        }
    }

    @Test
    void aBadCommandIsOneLineAndLeavesNothing() {
        ContainerException e = assertThrows(ContainerException.class, () -> start(busybox().withCommand("frobnicate")));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().contains("frobnicate"), e.getMessage());
        assertEquals(List.of(), BusyboxImage.engine().openContainers());
    }
}
