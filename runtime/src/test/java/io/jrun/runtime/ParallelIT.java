package io.jrun.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jrun.runtime.testing.HostLeakCheck;
import io.jrun.runtime.testing.RootTests;
import io.jrun.runtime.testing.TestBundle;
import java.io.File;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many containers made and removed at once from threads of one JVM: every one starts and ends
 * well, though they all share the default {@code jrun/} parent cgroup that each makes if missing
 * and removes when it is the last; nothing is left (HostLeakCheck compares the cgroup tree).
 */
@ExtendWith({RootTests.class, HostLeakCheck.class})
class ParallelIT {
    @TempDir
    Path tmp;

    @Test
    void closingAPausedContainerThawsKillsAndRemovesIt() throws Exception {
        Jrun jrun = Jrun.withStateRoot(tmp.resolve("state"));
        Path bundle = TestBundle.in(tmp.resolve("p")).sh("sleep 1000 & sleep 1000").write();
        String id = "par-" + UUID.randomUUID().toString().substring(0, 8);
        Container c = jrun.create(id, bundle, LaunchOptions.defaults().withStdin(Redirect.from(new File("/dev/null")))
                .withStdout(Redirect.DISCARD).withStderr(Redirect.DISCARD));
        c.start();
        jrun.pause(id);
        assertEquals("paused", jrun.state(id).get("status"));
        long pid = c.pid();
        ExecutorService closer = Executors.newSingleThreadExecutor();
        try {
            closer.submit(() -> {
                c.close();
                return null;
            }).get(30, TimeUnit.SECONDS); // a frozen init never dies: close must not wait for it
        } finally {
            closer.shutdownNow();
        }
        for (int i = 0; i < 200 && ProcessHandle.of(pid).isPresent(); i++) {
            Thread.sleep(10);
        }
        assertEquals(false, ProcessHandle.of(pid).isPresent(), "the paused init is still there");
    }

    @Test
    void containersCreatedAndRemovedFromManyThreadsAllSucceed() throws Exception {
        Jrun jrun = Jrun.withStateRoot(tmp.resolve("state"));
        Path bundle = TestBundle.in(tmp.resolve("b")).args("true").write();
        int threads = 8;
        int each = 6;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<List<String>>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            results.add(pool.submit(() -> {
                go.await();
                List<String> failures = new ArrayList<>();
                for (int i = 0; i < each; i++) {
                    String id = "par-" + UUID.randomUUID().toString().substring(0, 8);
                    LaunchOptions quiet = LaunchOptions.defaults().withStdin(Redirect.from(new File("/dev/null")))
                            .withStdout(Redirect.DISCARD).withStderr(Redirect.DISCARD);
                    try {
                        int status;
                        if ((thread + i) % 2 == 0) {
                            status = jrun.run(id, bundle, quiet);
                        } else {
                            try (Container c = jrun.create(id, bundle, quiet)) {
                                c.start();
                                status = c.waitFor();
                            }
                        }
                        if (status != 0) {
                            failures.add(id + ": exit " + status);
                        }
                    } catch (JrunException e) {
                        failures.add(id + ": " + e.getMessage());
                    }
                }
                return failures;
            }));
        }
        go.countDown();
        List<String> failures = new ArrayList<>();
        for (Future<List<String>> f : results) {
            failures.addAll(f.get(5, TimeUnit.MINUTES));
        }
        pool.shutdown();
        assertEquals(List.of(), failures, threads * each + " containers in " + threads + " threads");
        try (var s = Files.list(tmp.resolve("state"))) {
            assertEquals(List.of(), s.map(p -> p.getFileName().toString()).filter(n -> !n.equals(".stage")).toList());
        }
    }
}
