package io.jrun.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.proc.ProcFs;
import io.jrun.runtime.testing.HostLeakCheck;
import io.jrun.runtime.testing.RootTests;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Containers never outlive their JVM, and what a killed JVM leaves is reaped; many start from many threads. */
@ExtendWith({RootTests.class, HostLeakCheck.class})
class LeakIT {
    @TempDir
    Path tmp;

    /** Runs {@link ChildJvmMain}; returns it and the "ID PID" line it printed. */
    private Object[] child(String mode, Path root) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), ChildJvmMain.class.getName(),
                mode, root.toString(), tmp.resolve("images").toString(), BusyboxImage.rootfs().toString())
                .redirectError(tmp.resolve("child-" + mode + ".err").toFile()).start();
        String line = new BufferedReader(new InputStreamReader(p.getInputStream())).readLine();
        assertTrue(line != null && line.matches("jt-\\S+ [0-9]+"),
                "child said " + line + "; its stderr: " + Files.readString(tmp.resolve("child-" + mode + ".err")));
        return new Object[] {p, line.split(" ")};
    }

    private static boolean awaitDeath(long pid, long start) throws InterruptedException {
        for (int i = 0; i < 1000; i++) {
            if (!ProcFs.alive(pid, start)) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }

    private static List<String> dirs(Path p) throws Exception {
        if (!Files.isDirectory(p)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(p)) {
            return s.map(x -> x.getFileName().toString()).filter(n -> !n.startsWith(".")).toList();
        }
    }

    private static boolean mounted(Path p) throws Exception {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .anyMatch(l -> l.split(" ")[4].equals(p.toString()));
    }

    @Test
    void aJvmThatExitsClosesItsContainers() throws Exception {
        Path root = tmp.resolve("root-exit");
        Object[] c = child("exit", root);
        Process p = (Process) c[0];
        String[] idPid = (String[]) c[1];
        long pid = Long.parseLong(idPid[1]);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        for (int i = 0; i < 1000 && Files.exists(Path.of("/proc/" + pid)); i++) {
            Thread.sleep(10);
        }
        assertFalse(Files.exists(Path.of("/proc/" + pid)), "the container outlived its JVM");
        assertEquals(List.of(), dirs(root.resolve("c")));
        assertEquals(List.of(), dirs(root.resolve("state")));
    }

    @Test
    void aKilledJvmsContainersDieAndTheNextEngineReapsTheRest() throws Exception {
        Path root = tmp.resolve("root-kill");
        Object[] c = child("wait", root);
        Process p = (Process) c[0];
        String[] idPid = (String[]) c[1];
        long pid = Long.parseLong(idPid[1]);
        long start = ProcFs.startTime(pid);
        assertTrue(ProcFs.alive(pid, start));
        p.destroyForcibly(); // SIGKILL: no shutdown hook runs
        p.waitFor();
        assertTrue(awaitDeath(pid, start), "the container outlived its killed JVM");
        Path rootfs = root.resolve("c").resolve(idPid[0]).resolve("rootfs");
        assertTrue(mounted(rootfs), "the killed JVM's overlay should still be there to reap");
        assertEquals(List.of(idPid[0]), dirs(root.resolve("state")));

        Engine engine = Engine.at(root, tmp.resolve("images")); // its first use reaps
        assertFalse(mounted(rootfs));
        assertEquals(List.of(), dirs(root.resolve("c")));
        assertEquals(List.of(), dirs(root.resolve("state")));
        assertEquals(0, engine.reapStale());
        // HostLeakCheck: the container's cgroups are gone too
    }

    @Test
    void aKilledJvmsPreparedContainersDieAndAreReapedToo() throws Exception {
        Path root = tmp.resolve("root-prepared");
        Object[] c = child("prepared", root);
        Process p = (Process) c[0];
        String[] idPid = (String[]) c[1];
        List<String> ids = dirs(root.resolve("state"));
        assertEquals(3, ids.size(), "the started container and two prepared ones: " + ids);
        assertTrue(ids.contains(idPid[0]));
        List<long[]> inits = new ArrayList<>();
        for (String id : ids) {
            long pid = PreparedIT.initPid(root.resolve("state").resolve(id));
            inits.add(new long[] {pid, ProcFs.startTime(pid)});
            assertTrue(ProcFs.alive(pid, ProcFs.startTime(pid)));
        }
        p.destroyForcibly(); // SIGKILL: no shutdown hook runs
        p.waitFor();
        for (long[] init : inits) {
            assertTrue(awaitDeath(init[0], init[1]), "container init " + init[0] + " outlived its killed JVM");
        }
        assertEquals(3, dirs(root.resolve("c")).size(), "the killed JVM's directories should still be there to reap");

        Engine engine = Engine.at(root, tmp.resolve("images")); // its first use reaps
        for (String id : ids) {
            assertFalse(mounted(root.resolve("c").resolve(id).resolve("rootfs")));
        }
        assertEquals(List.of(), dirs(root.resolve("c")));
        assertEquals(List.of(), dirs(root.resolve("state")));
        assertEquals(0, engine.reapStale());
        // HostLeakCheck: the prepared containers' cgroups are gone too
    }

    private static long fds() throws Exception {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    @Test
    void aHundredContainersOneAfterAnotherLeaveTheJvmsFdsAsTheyWere() throws Exception {
        ContainerSpec spec = ContainerSpec.fromRootfs(BusyboxImage.rootfs()).withCommand("sh", "-c", "echo hi; echo err >&2");
        for (int i = 0; i < 5; i++) { // the first ones open the jars, the stage copy, jnr's library
            try (Container c = spec.withCommand("sleep", "1000").start(BusyboxImage.engine())) {
                c.exec("true");
                c.connect(1).close();
            } catch (java.net.ConnectException expected) {
                // nothing listens on port 1: the connect itself is what is exercised
            }
        }
        long before = fds();
        for (int i = 0; i < 100; i++) {
            try (Container c = spec.start(BusyboxImage.engine())) {
                c.waitFor(java.time.Duration.ofSeconds(30));
            }
        }
        assertTrue(fds() <= before + 3, "fds before " + before + ", after " + fds());
        assertEquals(List.of(), BusyboxImage.engine().openContainers());
    }

    @Test
    void connectionsThroughAHostPortLeaveTheJvmsFdsAsTheyWere() throws Exception {
        ContainerSpec spec = ContainerSpec.fromRootfs(BusyboxImage.rootfs()).withCommand("sh", "-c",
                "mkdir /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www")
                .waitingFor(Wait.forHttp(8080, "/", 200));
        try (Container c = spec.start(BusyboxImage.engine())) {
            int port = c.hostPort(8080);
            get(port); // the first one loads what a connection needs
            long before = fds();
            for (int i = 0; i < 30; i++) {
                assertEquals("hello\n", get(port));
            }
            long after = fds();
            for (int i = 0; i < 500 && after > before + 3; i++) { // the forwarder sees each end on its own threads
                Thread.sleep(10);
                after = fds();
            }
            assertTrue(after <= before + 3, "fds before " + before + ", after 30 connections " + after);
        }
    }

    private static String get(int port) throws Exception {
        try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
            s.getOutputStream().write("GET /index.html HTTP/1.0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String r = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
            return r.substring(r.indexOf("\r\n\r\n") + 4);
        }
    }

    @Test
    void manyContainersFromManyThreads() throws Exception {
        int threads = 8;
        int each = 5;
        ConcurrentLinkedQueue<String> outputs = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(threads);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int n = t;
            Thread th = new Thread(() -> {
                try {
                    for (int i = 0; i < each; i++) {
                        try (Container c = ContainerSpec.fromRootfs(BusyboxImage.rootfs())
                                .withCommand("echo", n + "-" + i).start(BusyboxImage.engine())) {
                            c.waitFor(java.time.Duration.ofSeconds(60));
                            c.close();
                            outputs.add(c.output().stdout().trim());
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                } finally {
                    done.countDown();
                }
            });
            th.start();
            ts.add(th);
        }
        assertTrue(done.await(5, TimeUnit.MINUTES));
        assertEquals(List.of(), failures.stream().map(Throwable::getMessage).toList());
        assertEquals(threads * each, outputs.size());
        assertEquals(List.of(), BusyboxImage.engine().openContainers());
    }
}
