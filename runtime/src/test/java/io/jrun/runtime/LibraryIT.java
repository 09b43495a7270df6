package io.jrun.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.HostLeakCheck;
import io.jrun.runtime.testing.RootTests;
import io.jrun.runtime.testing.TestBundle;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The runtime as a library, in this JVM: no CLI, the stage spawned from the jar. */
@ExtendWith({RootTests.class, HostLeakCheck.class})
class LibraryIT {
    @TempDir
    Path tmp;

    private Jrun jrun() {
        return Jrun.withStateRoot(tmp.resolve("state"));
    }

    private static String id() {
        return "lib-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private LaunchOptions captured(Path out) {
        return LaunchOptions.defaults().withStdin(Redirect.from(new java.io.File("/dev/null")))
                .withStdout(Redirect.to(out.toFile())).withStderr(Redirect.to(out.toFile()));
    }

    @Test
    void runsABundleAndReturnsItsStatus() throws Exception {
        Path bundle = TestBundle.in(tmp.resolve("b")).sh("echo hello from $(hostname) as pid $$; exit 7").write();
        Path out = tmp.resolve("out");
        int status = jrun().run(id(), bundle, captured(out));
        assertEquals(7, status);
        assertEquals("hello from jrun as pid 1\n", Files.readString(out));
        assertStateRootEmpty();
    }

    @Test
    void createHoldsTheInitUntilStart() throws Exception {
        Path marker = tmp.resolve("shared");
        Files.createDirectories(marker);
        Path bundle = TestBundle.in(tmp.resolve("b")).sh("touch /shared/started; sleep 0.5")
                .mount(new java.util.LinkedHashMap<>(java.util.Map.of("destination", "/shared", "type", "bind",
                        "source", marker.toString(), "options", java.util.List.of("rbind", "rw"))))
                .write();
        String id = id();
        try (Container c = jrun().create(id, bundle, captured(tmp.resolve("out")))) {
            assertTrue(c.pid() > 0);
            assertEquals("created", jrun().state(id).get("status"));
            Thread.sleep(200);
            assertFalse(Files.exists(marker.resolve("started")), "the program ran before start");
            c.start();
            assertEquals("running", jrun().state(id).get("status"));
            assertEquals(0, c.waitFor());
        }
        assertTrue(Files.exists(marker.resolve("started")));
        assertStateRootEmpty();
    }

    @Test
    void signalReachesTheInitAndCloseKills() throws Exception {
        Path bundle = TestBundle.in(tmp.resolve("b")).args("probe", "signals").write();
        Path out = tmp.resolve("out");
        try (Container c = jrun().create(id(), bundle, captured(out))) {
            c.start();
            waitFor(out, "ready");
            c.signal(10); // SIGUSR1
            assertEquals(110, c.waitFor());
        }
        assertTrue(Files.readString(out).contains("signal 10"));
        Path sleeper = TestBundle.in(tmp.resolve("c")).args("sleep", "1000").write();
        Container c = jrun().create(id(), sleeper, captured(out));
        c.start();
        long pid = c.pid();
        c.close(); // kills the container: nothing may be left (HostLeakCheck)
        for (int i = 0; i < 100 && ProcessHandle.of(pid).isPresent(); i++) {
            Thread.sleep(10);
        }
        assertFalse(ProcessHandle.of(pid).isPresent(), "init still alive after close");
        assertStateRootEmpty();
    }

    @Test
    void aFailedCreateLeavesNothing() throws Exception {
        Path bundle = TestBundle.in(tmp.resolve("b")).args("no-such-program").write();
        JrunException e = assertThrows(JrunException.class, () -> jrun().create(id(), bundle, captured(tmp.resolve("o"))));
        assertEquals("exec \"no-such-program\": executable file not found in the rootfs (searched $PATH "
                + "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)", e.getMessage());
        assertStateRootEmpty();
    }

    static void waitFor(Path out, String text) throws IOException, InterruptedException {
        for (int i = 0; i < 500; i++) {
            if (Files.exists(out) && Files.readString(out).contains(text)) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no \"" + text + "\" in " + Files.readString(out));
    }

    private void assertStateRootEmpty() throws IOException {
        try (var s = Files.list(tmp.resolve("state"))) {
            assertEquals(java.util.List.of(), s.map(p -> p.getFileName().toString())
                    .filter(n -> !n.equals(".stage")).toList());
        }
    }
}
