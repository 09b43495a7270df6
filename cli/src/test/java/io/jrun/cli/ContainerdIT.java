package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.RootTests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * containerd 1.6 (Debian's) with its runc v2 shim driving jrun ({@code ctr run --runc-binary}),
 * started here with a private root, state and socket; the image is the busybox fixture, saved
 * by Podman as an OCI archive and imported. Cgroup paths are relative, so the containers nest
 * under this test's own cgroup.
 */
@ExtendWith(RootTests.class)
class ContainerdIT {
    static Path dir;
    static Process containerd;
    static final String IMAGE = "localhost/jrun-busybox:test";

    @BeforeAll
    static void setUp() throws Exception {
        boolean have = PodmanIT.sh("command -v containerd && command -v ctr && command -v podman").exit() == 0;
        if (!have && Boolean.getBoolean("jrun.it.required")) {
            throw new IllegalStateException("containerd and podman are required (apt-get install containerd podman)");
        }
        Assumptions.assumeTrue(have, "containerd is not installed");
        PodmanIT.setUp(); // the image, in Podman's private store
        dir = Files.createTempDirectory("jrun-containerd");
        Files.writeString(dir.resolve("config.toml"), String.join("\n", "version = 2",
                "root = \"" + dir.resolve("root") + "\"", "state = \"" + dir.resolve("state") + "\"",
                "[grpc]", "  address = \"" + dir.resolve("containerd.sock") + "\"",
                "[plugins.\"io.containerd.grpc.v1.cri\"]", "  disable_cgroup = true", ""));
        containerd = new ProcessBuilder("containerd", "--config", dir.resolve("config.toml").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("containerd.log").toFile()).start();
        for (int i = 0; i < 300 && !Files.exists(dir.resolve("containerd.sock")); i++) {
            Thread.sleep(10);
        }
        PodmanIT.Result saved = PodmanIT.sh(PodmanIT.podman() + " save --format oci-archive -o " + dir.resolve("bb.tar")
                + " " + PodmanIT.IMAGE);
        assertEquals(0, saved.exit(), saved.out());
        PodmanIT.Result imported = PodmanIT.sh(ctr() + " images import --base-name localhost/jrun-busybox "
                + dir.resolve("bb.tar"));
        assertEquals(0, imported.exit(), imported.out());
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (containerd != null) {
            containerd.destroy();
            containerd.waitFor(10, TimeUnit.SECONDS);
            PodmanIT.sh("rm -rf " + dir);
        }
        PodmanIT.tearDown();
    }

    static String ctr() {
        return "ctr -a " + dir.resolve("containerd.sock");
    }

    static String run(String flags, String id) {
        return ctr() + " run --runc-binary " + JrunCli.launcher() + " --cgroup jrun-ctd/" + id + " " + flags + " "
                + IMAGE + " " + id;
    }

    @Test
    void runExitCodeAndTty() throws Exception {
        assertEquals(new PodmanIT.Result(0, "hello from containerd\n"),
                PodmanIT.sh(run("--rm", "ctd-1") + " echo hello from containerd"));
        assertEquals(4, PodmanIT.sh(run("--rm", "ctd-2") + " sh -c 'exit 4'").exit());
        PodmanIT.Result tty = PodmanIT.sh("script -qec \"" + run("--rm -t", "ctd-3") + " tty\" /dev/null");
        assertTrue(tty.out().contains("/dev/pts/0"), tty.out());
    }

    @Test
    void detachedTaskExecPsPauseKillDelete() throws Exception {
        String id = "ctd-d1";
        PodmanIT.Result r = PodmanIT.sh(run("-d --memory-limit 67108864", id) + " sleep 100");
        assertEquals(0, r.exit(), r.out());
        try {
            PodmanIT.Result e = PodmanIT.sh(ctr() + " task exec --exec-id e1 " + id + " sh -c 'echo exec-ok'");
            assertEquals(new PodmanIT.Result(0, "exec-ok\n"), e);
            PodmanIT.Result ps = PodmanIT.sh(ctr() + " task ps " + id);
            assertTrue(ps.out().startsWith("PID"), ps.out());
            String own = CgroupsIT.ownCgroup("memory");
            Path limit = Path.of("/sys/fs/cgroup/memory" + (own.equals("/") ? "" : own) + "/jrun-ctd/" + id
                    + "/memory.limit_in_bytes");
            assertEquals("67108864", Files.readString(limit).trim());
            assertEquals(0, PodmanIT.sh(ctr() + " task pause " + id).exit());
            assertTrue(PodmanIT.sh(ctr() + " task ls").out().contains("PAUSED"));
            assertEquals(0, PodmanIT.sh(ctr() + " task resume " + id).exit());
            assertEquals(0, PodmanIT.sh(ctr() + " task kill -a -s KILL " + id).exit());
            for (int i = 0; i < 100 && !PodmanIT.sh(ctr() + " task ls").out().contains("STOPPED"); i++) {
                Thread.sleep(20);
            }
            assertTrue(PodmanIT.sh(ctr() + " task ls").out().contains("STOPPED"));
        } finally {
            PodmanIT.sh(ctr() + " task delete -f " + id + "; " + ctr() + " container delete " + id);
        }
        assertEquals("", PodmanIT.sh(ctr() + " task ls -q").out());
    }
}
