package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.TestBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Ctrl-C (SIGINT) or SIGTERM to {@code jrun run} or {@code jrun create} while the container is being
 * made (here: held in its createRuntime hook, before "created"): jrun ends and removes the state and the
 * cgroups it made.
 */
class InterruptIT extends CliTest {
    @ParameterizedTest
    @CsvSource({"run,TERM", "run,INT", "create,TERM", "create,INT"})
    void aSignalBeforeCreatedRemovesStateAndCgroups(String command, String signal) throws Exception {
        String id = "intr-" + command + "-" + signal.toLowerCase() + "-" + ProcessHandle.current().pid(); // a run left over never collides
        Path dir = Files.createDirectories(tmp.resolve(id));
        Path inHook = dir.resolve("in-hook");
        Path release = dir.resolve("release");
        TestBundle b = TestBundle.in(tmp.resolve("b")).sh("exec sleep 100");
        b.set("hooks", Map.of("createRuntime", List.of(Map.of("path", "/bin/sh", "args", List.of("sh", "-c",
                "touch " + inHook + "; while [ ! -e " + release + " ]; do sleep 0.05; done")))));
        b.write();
        JrunCli.Started s = jrun.start(command, "--bundle", b.dir().toString(), id);
        for (int i = 0; i < 1000 && !Files.exists(inHook) && s.process().isAlive(); i++) {
            Thread.sleep(10);
        }
        assertTrue(Files.exists(inHook), "the createRuntime hook never ran: " + Files.readString(s.err()));
        assertTrue(Files.isDirectory(jrun.stateRoot().resolve(id)));
        assertFalse(FullStateFsIT.cgroupsNamed(id).isEmpty(), "no cgroup made yet");

        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(s.process().pid())).start().waitFor());
        JrunCli.Result r = JrunCli.finish(s);
        assertTrue(r.exit() != 0, "exit " + r.exit());
        Files.createFile(release); // the hook may go now
        JrunCli.awaitCleanup(id);
        assertFalse(Files.exists(jrun.stateRoot().resolve(id)), "state left behind; stderr: " + r.stderr());
        assertEquals(List.of(), FullStateFsIT.cgroupsNamed(id), "cgroups left behind; stderr: " + r.stderr());
    }
}
