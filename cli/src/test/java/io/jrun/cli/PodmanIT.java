package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.RootTests;
import io.jrun.runtime.testing.TestBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Podman (with conmon, from Debian) driving jrun as its OCI runtime, on a busybox image made
 * here with {@code podman import}: private storage, cgroupfs, no network, a containers.conf
 * that lists jrun in runtime_supports_json and pins the ulimits this host allows.
 */
@ExtendWith(RootTests.class)
class PodmanIT {
    static Path dir;
    static final String IMAGE = "localhost/jrun-busybox:test";

    record Result(int exit, String out) {}

    @BeforeAll
    static void setUp() throws Exception {
        if (dir != null && Files.isDirectory(dir)) {
            return;
        }
        boolean have = new ProcessBuilder("sh", "-c", "command -v podman && command -v conmon").start().waitFor() == 0;
        if (!have && Boolean.getBoolean("jrun.it.required")) {
            throw new IllegalStateException("podman and conmon are required (apt-get install podman conmon)");
        }
        Assumptions.assumeTrue(have, "podman is not installed");
        dir = Files.createTempDirectory("jrun-podman");
        Files.writeString(dir.resolve("containers.conf"), String.join("\n",
                // no-conmon: conmon stays in this test's cgroup, and the containers nest under it
                "[containers]", "netns = \"none\"", "cgroups = \"no-conmon\"", "default_ulimits = [\"nofile=1024:1024\", \"nproc=4096:4096\"]",
                "[engine]", "runtime = \"jrun\"", "runtime_supports_json = [\"jrun\"]", "cgroup_manager = \"cgroupfs\"",
                "events_logger = \"file\"", "[engine.runtimes]", "jrun = [\"" + JrunCli.launcher() + "\"]", ""));
        Result imported = sh("tar -C " + TestBundle.fixtureRootfs() + " -c . | " + podman() + " import - " + IMAGE);
        assertEquals(0, imported.exit(), imported.out());
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (dir != null) {
            sh(podman() + " rm -af; " + podman() + " rmi -af; rm -rf " + dir);
            dir = null;
        }
    }

    /** podman run with a relative cgroup parent: the containers' cgroups nest under this test's own. */
    static String podmanRun() {
        return podman() + " run --cgroup-parent jrun-podman";
    }

    static String podman() {
        return "CONTAINERS_CONF=" + dir.resolve("containers.conf") + " podman --root " + dir.resolve("storage")
                + " --runroot " + dir.resolve("run") + " --storage-driver vfs --cgroup-manager cgroupfs"
                + " --events-backend file --tmpdir " + dir.resolve("tmp");
    }

    static Result sh(String script) throws IOException, InterruptedException {
        // in the test's own directory: conmon writes an "oom" file into its working directory
        Process p = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true)
                .directory(dir != null ? dir.toFile() : new java.io.File("/tmp"))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + script);
        }
        return new Result(p.exitValue(), out);
    }

    @Test
    void runRemoveEchoAndExitCode() throws Exception {
        Result r = sh(podmanRun() + " --rm " + IMAGE + " echo hello from jrun");
        assertEquals(new Result(0, "hello from jrun\n"), r);
        assertEquals(3, sh(podmanRun() + " --rm " + IMAGE + " sh -c 'exit 3'").exit());
    }

    @Test
    void runWithATerminal() throws Exception {
        Result r = sh("script -qec \"" + podmanRun() + " --rm -it " + IMAGE + " tty\" /dev/null");
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("/dev/pts/0"), r.out());
    }

    @Test
    void detachedExecTopPauseStopRemove() throws Exception {
        String name = "jrun-pod-" + ProcessHandle.current().pid();
        assertEquals(0, sh(podmanRun() + " -d --name " + name + " " + IMAGE + " sleep 100").exit());
        try {
            Result e = sh(podman() + " exec " + name + " sh -c 'echo exec-ok; ps -o comm'");
            assertEquals(0, e.exit(), e.out());
            assertTrue(e.out().startsWith("exec-ok\n") && e.out().contains("sleep"), e.out());
            for (int i = 0; i < 5; i++) { // conmon adopts the exec'd process and reads its status
                assertEquals(5, sh(podman() + " exec " + name + " sh -c 'exit 5'").exit());
            }
            Result t = sh("script -qec \"" + podman() + " exec -it " + name + " tty\" /dev/null");
            assertTrue(t.out().contains("/dev/pts/"), t.out());
            Result top = sh(podman() + " top " + name);
            assertTrue(top.out().contains("sleep 100"), top.out());
            assertEquals(0, sh(podman() + " pause " + name).exit());
            assertEquals("paused\n", sh(podman() + " inspect -f '{{.State.Status}}' " + name).out());
            assertEquals(0, sh(podman() + " unpause " + name).exit());
            assertEquals("running\n", sh(podman() + " inspect -f '{{.State.Status}}' " + name).out());
            Result stop = sh(podman() + " stop -t 1 " + name); // SIGTERM, ignored by sleep as pid 1, then SIGKILL
            assertEquals(0, stop.exit(), stop.out());
            assertEquals("exited\n", sh(podman() + " inspect -f '{{.State.Status}}' " + name).out());
        } finally {
            assertEquals(0, sh(podman() + " rm -f " + name).exit());
        }
        assertEquals("", sh(podman() + " ps -aq").out());
    }

    @Test
    void limitsUserHostnameReadOnlyAndBindMounts() throws Exception {
        Path shared = Files.createDirectories(dir.resolve("shared"));
        Files.writeString(shared.resolve("from-host"), "host file\n");
        List<String> checks = new ArrayList<>(List.of(
                "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max",
                "hostname", "id -u", "cat /data/from-host", "touch /x 2>/dev/null || echo read-only",
                "touch /tmp/y && echo tmp-writable"));
        Result r = sh(podmanRun() + " --rm --memory 64m --pids-limit 50 --hostname podbox --user 1000:1000"
                + " --read-only -v " + shared + ":/data:ro " + IMAGE + " sh -c '" + String.join("; ", checks) + "'");
        assertEquals(new Result(0, "67108864\n50\npodbox\n1000\nhost file\nread-only\ntmp-writable\n"), r);
    }

    @Test
    void theMemoryLimitIsEnforced() throws Exception {
        Result r = sh(podmanRun() + " --rm --memory 32m --memory-swap 32m " + IMAGE + " probe alloc 200");
        assertEquals(137, r.exit(), r.out());
    }
}
