package io.jrun.bench;

import io.jrun.testing.Container;
import io.jrun.testing.ContainerSpec;
import io.jrun.testing.Engine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Where a prepared container's start->exit of /bin/true goes, seen from the API (args: N): the
 * time in {@code start()} (take a prepared container, the pumps, "start" to the monitor, state
 * "running", until the monitor says the program was exec'd) and the time from there until
 * {@code waitFor} sees the exit.  Each start waits, untimed, until the engine has prepared the
 * next.  Run as bench-jmh.sh runs its classes (root, a private mount namespace).
 */
public final class PreparedProfile {
    private PreparedProfile() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        Engine engine = Engine.at(Path.of(Engine.DEFAULT_ROOT + "-profile"), Engine.DEFAULT_IMAGES).prepareMonitors(2);
        ContainerSpec spec = ContainerSpec.fromRootfs(HarnessJmh.rootfs()).withCommand("/bin/true");
        engine.prepare(spec, 2);
        List<Long> start = new ArrayList<>();
        List<Long> exit = new ArrayList<>();
        List<Long> total = new ArrayList<>();
        for (int i = 0; i < n + 30; i++) {
            for (int w = 0; w < 30_000 && engine.preparedCount(spec) < 2; w++) {
                Thread.sleep(1);
            }
            long t0 = System.nanoTime();
            Container c = spec.container(engine).start();
            long t1 = System.nanoTime();
            if (!c.waitFor(Duration.ofSeconds(30)) || c.exitCode().orElse(-1) != 0) {
                throw new IllegalStateException("/bin/true: " + c.exitCode());
            }
            long t2 = System.nanoTime();
            c.close();
            if (i >= 30) { // after the warm-up
                start.add(t1 - t0);
                exit.add(t2 - t1);
                total.add(t2 - t0);
            }
        }
        System.out.printf("prepared start->exit of /bin/true, n=%d, load %s%n", n,
                java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim());
        print("start() of a prepared container (until exec'd)", start);
        print("exec'd -> waitFor sees the exit", exit);
        print("start -> exit", total);
        engine.close();
        engine.prepareMonitors(0);
    }

    private static void print(String what, List<Long> ns) {
        List<Long> s = new ArrayList<>(ns);
        Collections.sort(s);
        System.out.printf("  %-50s p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  min %6.2f ms%n", what,
                s.get(s.size() / 2) / 1e6, s.get(s.size() * 9 / 10) / 1e6, s.get(s.size() * 99 / 100) / 1e6,
                s.get(0) / 1e6);
    }
}
