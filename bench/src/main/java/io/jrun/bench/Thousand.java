package io.jrun.bench;

import io.jrun.testing.Container;
import io.jrun.testing.ContainerSpec;
import io.jrun.testing.Engine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * 1000 containers in one JVM, PARALLEL at a time (args: N PARALLEL [PREPARED], PREPARED containers
 * of the spec created ahead, default 0), each started, waited for
 * and closed; prints this JVM's fds, threads, RSS and heap after a GC at 0, N/2 and N: flat when
 * nothing leaks.  Run by scripts/bench-jmh.sh.
 */
public final class Thousand {
    private Thousand() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int parallel = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int prepared = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        Engine engine = Engine.at(Path.of(Engine.DEFAULT_ROOT + "-thousand"), Engine.DEFAULT_IMAGES)
                .prepareMonitors(2);
        ContainerSpec spec = ContainerSpec.fromRootfs(HarnessJmh.rootfs()).withCommand("sh", "-c", "echo hi");
        engine.prepare(spec, prepared);
        for (int i = 0; i < 20; i++) { // the jars, jnr's library, the stage copy, the JIT
            one(engine, spec);
        }
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        System.out.printf("%d containers, %d at a time (sh -c 'echo hi', 2 prepared monitors, %d prepared containers)%n",
                n, parallel, prepared);
        System.out.printf("%5d: %s%n", 0, resources());
        long t0 = System.nanoTime();
        for (int done = 0; done < n; ) {
            int batch = Math.min(n / 2 - done % (n / 2), n - done);
            List<Future<?>> f = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                f.add(pool.submit(() -> {
                    one(engine, spec);
                    return null;
                }));
            }
            for (Future<?> x : f) {
                x.get();
            }
            done += batch;
            System.out.printf("%5d: %s%n", done, resources());
        }
        System.out.printf("%.1f containers/s%n", n / ((System.nanoTime() - t0) / 1e9));
        pool.shutdown();
        engine.close();
        engine.prepareMonitors(0);
    }

    private static void one(Engine engine, ContainerSpec spec) {
        try (Container c = spec.start(engine)) {
            if (!c.waitFor(Duration.ofSeconds(60)) || c.exitCode().orElse(-1) != 0) {
                throw new IllegalStateException("sh -c 'echo hi' did not exit 0: " + c.exitCode());
            }
            c.close();
            if (!c.output().stdout().equals("hi\n")) {
                throw new IllegalStateException("its output: " + c.output().stdout());
            }
        }
    }

    /** fds, threads, RSS and heap used (after a GC) of this JVM. */
    static String resources() throws IOException {
        System.gc();
        long fds;
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            fds = s.count();
        }
        String rss = "?";
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) {
                rss = l.substring(6).trim();
            }
        }
        Runtime r = Runtime.getRuntime();
        return String.format("%d fds, %d threads, RSS %s, heap used %.1f MB", fds, Thread.activeCount(), rss,
                (r.totalMemory() - r.freeMemory()) / 1e6);
    }
}
