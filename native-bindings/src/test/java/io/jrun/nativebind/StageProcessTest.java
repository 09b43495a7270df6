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
