package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every command line of ../shared/CONTRACT.md (Podman, containerd, runtime-tools) parses as runc's would. */
class ContractTest {
    static Main.Invocation parse(String line) throws Exception {
        return Main.parse(line.split(" "));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // containerd's runc v2 shim
        "--root /run/containerd/runc/default --log /b/log.json --log-format json create --bundle /b --pid-file /b/init.pid --console-socket /tmp/pty1/pty.sock --no-pivot --no-new-keyring c1",
        "--root /r --log /b/log.json --log-format json --systemd-cgroup create --bundle /b --pid-file /b/init.pid c1",
        "--root /r --log /b/log.json --log-format json start c1",
        "--root /r --log /b/log.json --log-format json exec --process /tmp/runc-process1 --console-socket /s --detach --pid-file /b/e1.pid c1",
        "--root /r --log /b/log.json --log-format json ps --format json c1",
        "--root /r --log /b/log.json --log-format json pause c1",
        "--root /r --log /b/log.json --log-format json resume c1",
        "--root /r --log /b/log.json --log-format json kill c1 9",
        "--root /r --log /b/log.json --log-format json kill --all c1 KILL",
        "--root /r --log /b/log.json --log-format json update --resources=- c1",
        "--root /r --log /b/log.json --log-format json delete c1",
        "--root /r --log /b/log.json --log-format json delete --force c1",
        "--root /r --log /b/log.json --log-format json features",
        // Podman and conmon
        "--log-format=json --log /u/oci-log create --bundle /u --pid-file /run/pidfile --console-socket /tmp/conmon-term.X --preserve-fds 2 --no-pivot c1",
        "start c1",
        "--log-format=json --log /e/oci-log exec --pid-file /e/exec_pid --process /e/exec-process-1 --detach --tty --console-socket /s --preserve-fds 1 c1",
        "kill c1 15",
        "pause c1",
        "resume c1",
        "update --resources=/u/resources.json c1",
        "delete --force c1",
        // runtime-tools
        "--root /tmp/rt create --pid-file /tmp/p --bundle /b c1",
        "state c1",
        "kill c1 KILL",
        "list -q",
    })
    void parses(String line) throws Exception {
        parse(line);
    }

    @Test
    void theShimsCreateLineMeansWhatItSays() throws Exception {
        Main.Invocation i = parse("--root /run/containerd/runc/default --log /b/log.json --log-format json create"
                + " --bundle /b --pid-file /b/init.pid --console-socket /tmp/pty.sock --no-pivot --no-new-keyring c1");
        assertInstanceOf(CreateCommand.class, i.command());
        assertEquals(Path.of("/run/containerd/runc/default"), i.global().root());
        assertEquals("/b", i.args().get("bundle"));
        assertEquals("/b/init.pid", i.args().get("pid-file"));
        assertEquals("/tmp/pty.sock", i.args().get("console-socket"));
        assertEquals(true, i.args().is("no-pivot"));
        assertEquals(List.of("c1"), i.args().rest());
        assertEquals(Path.of("/run/jrun"), parse("start c1").global().root());
    }

    @Test
    void execStopsFlagsAtTheIdAndKillTakesItsSignalPositionally() throws Exception {
        Main.Invocation e = parse("exec --env A=1 -e B=2 c1 ls -la --color");
        assertEquals(List.of("A=1", "B=2"), e.args().all("env"));
        assertEquals(List.of("c1", "ls", "-la", "--color"), e.args().rest());
        Main.Invocation k = parse("kill --all c1 SIGUSR1");
        assertEquals(true, k.args().is("all"));
        assertEquals(List.of("c1", "SIGUSR1"), k.args().rest());
        assertEquals(true, parse("run -no-pivot -d --bundle /b c1").args().is("detach"), "single-dash long flags");
    }
}
