package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.TestBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** process.terminal: a pty in the container's devpts, copied by jrun run, or sent to --console-socket. */
class TerminalIT extends CliTest {

    TestBundle ttyBundle(String script) {
        TestBundle b = TestBundle.in(tmp.resolve("b-" + UUID.randomUUID().toString().substring(0, 6))).sh(script);
        b.process().put("terminal", true);
        b.process().put("consoleSize", Map.of("height", 30L, "width", 100L));
        return b;
    }

    static Path recvtty() {
        return TestBundle.fixtureRootfs().resolve("../../tools/recvtty").normalize();
    }

    @Test
    void runInTheForegroundGivesTheProgramATerminal() throws Exception {
        TestBundle b = ttyBundle("tty; test -t 0 && test -t 1 && echo both-ttys; exit 3");
        b.write();
        // script(1) gives jrun a terminal of its own, as a user's shell would
        String cmd = JrunCli.launcher() + " --root " + jrun.stateRoot() + " run --bundle " + b.dir() + " tty-1";
        Process p = new ProcessBuilder("script", "-qec", cmd, "/dev/null")
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertTrue(out.contains("/dev/pts/0"), out);
        assertTrue(out.contains("both-ttys"), out);
        assertEquals(3, p.exitValue(), out);
    }

    @Test
    void createSendsThePtyMasterToTheConsoleSocket() throws Exception {
        Path sock = tmp.resolve("console.sock");
        Path out = tmp.resolve("console.out");
        Process receiver = new ProcessBuilder(recvtty().toString(), sock.toString())
                .redirectOutput(out.toFile()).redirectError(tmp.resolve("recv.err").toFile()).start();
        for (int i = 0; i < 200 && !Files.exists(sock); i++) {
            Thread.sleep(10);
        }
        TestBundle b = ttyBundle("tty; stty size; ls -l /dev/console | cut -c1");
        b.write();
        String id = "tty-" + UUID.randomUUID().toString().substring(0, 6);
        JrunCli.Result c = jrun.run("create", "--console-socket", sock.toString(), "--bundle", b.dir().toString(), id);
        assertEquals(0, c.exit(), c.stderr());
        JrunCli.Result s = jrun.run("start", id);
        assertEquals(0, s.exit(), s.stderr());
        assertTrue(receiver.waitFor(30, TimeUnit.SECONDS));
        assertEquals("received /dev/pts/0\n", Files.readString(tmp.resolve("recv.err")).replace("listening\n", ""));
        assertEquals("/dev/pts/0\r\n30 100\r\nc\r\n", Files.readString(out));
        jrun.run("delete", "--force", id);
    }

    @Test
    void aDetachedTerminalNeedsAConsoleSocket() throws Exception {
        TestBundle b = ttyBundle("true");
        b.write();
        JrunCli.Result r = jrun.run("create", "--bundle", b.dir().toString(), "tty-nosock");
        assertEquals(1, r.exit());
        assertEquals("jrun: create tty-nosock: process.terminal is true: a detached container needs --console-socket"
                + " to hand its terminal to\n", r.stderr());
    }
}
