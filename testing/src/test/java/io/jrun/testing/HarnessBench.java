package io.jrun.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * scripts/bench-harness.sh runs this (as root, in a private mount namespace): a container per
 * iteration in one warm JVM, against {@code runc run} of the same rootfs in the same run.
 * Prints p50/p99 of start→exit of /bin/true (and with the clean-up), of start→first HTTP byte of
 * a busybox httpd through connect(80), and of exec("true").
 */
public final class HarnessBench {
    private HarnessBench() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        Path runcBundle = Path.of(args.length > 1 ? args[1] : "");
        Engine engine = Engine.shared();
        ContainerSpec trueSpec = ContainerSpec.fromRootfs(BusyboxImage.rootfs()).withCommand("/bin/true");
        for (int i = 0; i < 20; i++) { // warm-up: JIT, the stage copy, the page cache
            try (Container c = trueSpec.start(engine)) {
                c.waitFor(Duration.ofSeconds(30));
            }
            if (!args[1].isEmpty()) {
                runc(runcBundle, "w" + i);
            }
        }
        String before = resources();
        List<Long> exit = new ArrayList<>();
        List<Long> whole = new ArrayList<>();
        List<Long> runc = new ArrayList<>();
        List<Long> pooled = new ArrayList<>();
        // the same, on a second engine that keeps 2 monitors prepared, interleaved with the others
        Engine prepared = Engine.at(Path.of(Engine.DEFAULT_ROOT + "-prepared"), Engine.DEFAULT_IMAGES).prepareMonitors(2);
        for (int i = 0; i < 10; i++) {
            trueSpec.start(prepared).close();
        }
        for (int i = 0; i < n; i++) {
            long p0 = System.nanoTime();
            try (Container c = trueSpec.start(prepared)) {
                if (!c.waitFor(Duration.ofSeconds(30)) || c.exitCode().getAsInt() != 0) {
                    throw new IllegalStateException("/bin/true did not exit 0: " + c.exitCode());
                }
                pooled.add(System.nanoTime() - p0);
            }
            long t0 = System.nanoTime();
            Container c = trueSpec.start(engine);
            if (!c.waitFor(Duration.ofSeconds(30)) || c.exitCode().getAsInt() != 0) {
                throw new IllegalStateException("/bin/true did not exit 0: " + c.exitCode());
            }
            long t1 = System.nanoTime();
            c.close();
            long t2 = System.nanoTime();
            exit.add(t1 - t0);
            whole.add(t2 - t0);
            if (!args[1].isEmpty()) {
                long r0 = System.nanoTime();
                runc(runcBundle, "r" + i);
                runc.add(System.nanoTime() - r0);
            }
        }
        ContainerSpec httpd = ContainerSpec.fromRootfs(BusyboxImage.rootfs()).withCommand("sh", "-c",
                "mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www");
        prepared.prepareMonitors(0);
        List<Long> http = new ArrayList<>();
        List<Long> exec = new ArrayList<>();
        for (int i = 0; i < Math.max(10, n / 5) + 5; i++) {
            long t0 = System.nanoTime();
            try (Container c = httpd.start(engine)) {
                firstByte(c);
                long t1 = System.nanoTime();
                if (i >= 5) {
                    http.add(t1 - t0);
                }
                for (int k = 0; k < 5; k++) {
                    long e0 = System.nanoTime();
                    if (c.exec("true").exitCode() != 0) {
                        throw new IllegalStateException("exec true failed");
                    }
                    if (i >= 5) {
                        exec.add(System.nanoTime() - e0);
                    }
                }
            }
        }
        System.out.printf("containers: %d, cpus: %d, %s%n", n, Runtime.getRuntime().availableProcessors(),
                Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim());
        System.out.println("after the warm-up: " + before);
        System.out.println("after all:         " + resources());
        print("start -> exit of /bin/true", exit);
        print("start -> exit -> closed (cgroup, state, overlay gone)", whole);
        if (!runc.isEmpty()) {
            print("runc run /bin/true (same rootfs, no overlay)", runc);
            print("start -> exit of /bin/true, 2 monitors prepared", pooled);
            System.out.printf("ratio start->exit / runc run (p50): %.2f%n", p(exit, 50) / p(runc, 50));
        }
        print("start -> first HTTP byte from busybox httpd via connect(80)", http);
        print("exec(\"true\") in a running container", exec);
    }

    /** fds, threads and heap in use (after a GC) of this JVM: flat when nothing leaks. */
    private static String resources() throws IOException {
        System.gc();
        long fds;
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            fds = s.count();
        }
        Runtime r = Runtime.getRuntime();
        return String.format("%d fds, %d threads, %.1f MB heap used", fds, Thread.activeCount(),
                (r.totalMemory() - r.freeMemory()) / 1e6);
    }

    private static void firstByte(Container c) throws IOException, InterruptedException {
        while (true) {
            try (Socket s = c.connect(80)) {
                OutputStream out = s.getOutputStream();
                out.write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                if (in.read() >= 0) {
                    return;
                }
            } catch (java.net.ConnectException e) {
                Thread.sleep(0, 200_000);
            }
        }
    }

    private static void runc(Path bundle, String id) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("runc", "--root", bundle.resolve("state").toString(), "run", "--bundle",
                bundle.toString(), "bench-" + ProcessHandle.current().pid() + "-" + id)
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("runc run failed: " + p.exitValue() + ": "
                    + new String(out, StandardCharsets.UTF_8).trim());
        }
    }

    private static double p(List<Long> ns, int pct) {
        List<Long> s = new ArrayList<>(ns);
        Collections.sort(s);
        int i = Math.min(s.size() - 1, (int) Math.ceil(pct / 100.0 * s.size()) - 1);
        return s.get(Math.max(0, i)) / 1e6;
    }

    private static void print(String what, List<Long> ns) {
        System.out.printf("%-60s p50 %7.1f ms  p99 %7.1f ms  (n=%d)%n", what, p(ns, 50), p(ns, 99), ns.size());
    }
}
