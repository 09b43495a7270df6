package io.jrun.nativebind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A spawned monitor is reaped by close, whatever the closing thread's interrupt status. */
class StageProcessTest {
    private static final Path STAGE = Path.of("target/classes/io/jrun/nativebind/jrun-stage");

    @TempDir
    Path dir;

    @Test
    void anInterruptedCloseStillReapsTheMonitorAndKeepsTheInterrupt() throws IOException {
        checkReaped(stage -> stage.close(10_000));
    }

    @Test
    void anInterruptedPlainCloseStillReapsTheMonitor() throws IOException {
        checkReaped(stage -> {
            stage.close();
            return false;
        });
    }

    @Test
    void aSocketDirectoryTooLongForSunPathStillSpawns() throws IOException {
        // a long --root and a 64-character id (Podman's): the socket cannot be bound in there
        Path deep = Files.createDirectories(dir.resolve("r".repeat(60)).resolve("c".repeat(64)));
        Set<Long> before = children();
        try (StageProcess stage = StageProcess.spawn(STAGE.toAbsolutePath(), deep, new ProcessBuilder())) {
            Set<Long> spawned = children();
            spawned.removeAll(before);
            assertEquals(1, spawned.size(), "the monitor among this JVM's children: " + spawned);
        }
        try (var left = Files.list(deep)) {
            assertEquals(0, left.count(), "nothing left in the socket directory");
        }
    }

    @Test
    void aSocketNameInAShortDirectoryStaysThere() throws IOException {
        Path sock = StageProcess.socketIn(dir);
        assertEquals(dir.toAbsolutePath(), sock.getParent());
        assertTrue(StageProcess.socketIn(dir.resolve("x".repeat(120))).toString().length() <= StageProcess.MAX_SOCKET_PATH);
    }

    private interface Closing {
        boolean close(StageProcess stage) throws IOException;
    }

    private void checkReaped(Closing closing) throws IOException {
        Set<Long> before = children();
        StageProcess stage = StageProcess.spawn(STAGE.toAbsolutePath(), dir, new ProcessBuilder());
        Set<Long> spawned = children();
        spawned.removeAll(before);
        assertEquals(1, spawned.size(), "the monitor among this JVM's children: " + spawned);
        long pid = spawned.iterator().next();
        Thread.currentThread().interrupt();
        boolean interrupted;
        try {
            closing.close(stage);
        } finally {
            interrupted = Thread.interrupted();
        }
        assertTrue(interrupted, "the interrupt status is kept");
        assertFalse(Files.exists(Path.of("/proc/" + pid)), "the monitor " + pid + " is left (running or a zombie)");
    }

    private static Set<Long> children() {
        return ProcessHandle.current().children().map(ProcessHandle::pid).collect(Collectors.toSet());
    }
}
