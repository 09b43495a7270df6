package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.TestBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The process as runc sets it up: its cwd, its console, exec with a terminal, exec's process from an fd. */
class ProcessSetupIT extends CliTest {

    static String id() {
        return "ps-" + UUID.randomUUID().toString().substring(0, 8);
    }

    TestBundle bundle() {
        return TestBundle.in(tmp.resolve("b-" + UUID.randomUUID().toString().substring(0, 6)));
    }

    /** Runs {@code jrun ARGS} under script(1), which gives it a terminal as a user's shell would. */
    JrunCli.Result inTerminal(String args) throws Exception {
        String cmd = JrunCli.launcher() + " --root " + jrun.stateRoot() + " " + args;
        Process p = new ProcessBuilder("script", "-qec", cmd, "/dev/null")
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new JrunCli.Result(p.exitValue(), out.replace("\r\n", "\n").replace("\0", "").replace("^@", ""), "");
    }

    @Test
    void aCwdOnlyRootCanReachIsEnteredBeforeTheUserSwitch() throws Exception {
        TestBundle b = bundle().copyRootfs().sh("pwd; id -u");
        Path priv = Files.createDirectories(b.dir().resolve("rootfs/private"));
        Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("rwx------"));
        b.process().put("cwd", "/private");
        b.process().put("user", Map.of("uid", 1000L, "gid", 1000L));
        JrunCli.Result r = jrun.run("run", "--bundle", b.write().toString(), id());
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("/private\n1000\n", r.stdout());
    }

    @Test
    void theConsoleBelongsToTheProcessUser() throws Exception {
        TestBundle b = bundle().sh("stat -c '%u %a' $(tty); echo hi > $(tty) && echo reopened");
        b.process().put("terminal", true);
        b.process().put("user", Map.of("uid", 1000L, "gid", 1000L));
        b.write();
        JrunCli.Result r = inTerminal("run --bundle " + b.dir() + " " + id());
        assertEquals(0, r.exit(), r.stdout());
        assertTrue(r.stdout().startsWith("1000 620\nhi\nreopened\n"), r.stdout());
    }

    @Test
    void execWithATerminalIntoAContainerWithAConsole() throws Exception {
        Path sock = tmp.resolve("console.sock");
        Process receiver = new ProcessBuilder(TerminalIT.recvtty().toString(), sock.toString())
                .redirectOutput(tmp.resolve("console.out").toFile()).redirectError(tmp.resolve("recv.err").toFile())
                .start();
        try {
            for (int i = 0; i < 200 && !Files.exists(sock); i++) {
                Thread.sleep(10);
            }
            TestBundle b = bundle().sh("exec sleep 100");
            b.process().put("terminal", true);
            b.write();
            String id = id();
            JrunCli.Result c = jrun.run("create", "--console-socket", sock.toString(), "--bundle",
                    b.dir().toString(), id);
            assertEquals(0, c.exit(), c.stderr());
            try {
                assertEquals(0, jrun.run("start", id).exit());
                JrunCli.Result e = inTerminal("exec -t " + id + " sh -c 'tty; test -t 0 && echo tty-in'");
                assertEquals(0, e.exit(), e.stdout());
                assertEquals("/dev/pts/1\ntty-in\n", e.stdout());
                // the init's console is still its own
                JrunCli.Result console = jrun.run("exec", id, "sh", "-c", "readlink /proc/1/fd/0; ls -l /dev/console"
                        + " | cut -c1");
                assertEquals("/dev/pts/0\nc\n", console.stdout(), console.stderr());
            } finally {
                jrun.run("delete", "--force", id);
            }
        } finally {
            receiver.destroyForcibly();
            receiver.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void execReadsItsProcessFromAnInheritedFd() throws Exception {
        TestBundle b = bundle().sh("exec sleep 100");
        b.write();
        String id = id();
        assertEquals(0, jrun.run("run", "-d", "--bundle", b.dir().toString(), id).exit());
        try {
            Path process = Files.writeString(tmp.resolve("process.json"), "{\"args\": [\"sh\", \"-c\", \"echo from-fd\"],"
                    + " \"cwd\": \"/\", \"env\": [\"PATH=/bin\"]}");
            for (String path : List.of("/dev/fd/5", "/proc/self/fd/5")) {
                Process p = new ProcessBuilder("sh", "-c", "exec 5<" + process + "; exec " + JrunCli.launcher()
                        + " --root " + jrun.stateRoot() + " exec --process " + path + " " + id).start();
                String out = new String(p.getInputStream().readAllBytes());
                String err = new String(p.getErrorStream().readAllBytes());
                assertEquals(0, p.waitFor(), err);
                assertEquals("from-fd\n", out, path);
            }
        } finally {
            jrun.run("delete", "--force", id);
        }
    }
}
