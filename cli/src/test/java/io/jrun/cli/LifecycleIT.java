package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.json.Json;
import io.jrun.runtime.testing.TestBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** create, start, state, kill, delete, list, ps and run --detach, as runc's clients call them. */
class LifecycleIT extends CliTest {
    final List<String> ids = new ArrayList<>();

    /** A detached container outlives jrun: whatever a test leaves is force-deleted, then must be gone. */
    @AfterEach
    void cleanUp() throws Exception {
        for (String id : ids) {
            jrun.run("delete", "--force", id);
        }
        assertEquals("", jrun.run("list", "-q").stdout());
    }

    String id() {
        String id = "lc-" + UUID.randomUUID().toString().substring(0, 8);
        ids.add(id);
        return id;
    }

    Path bundle(String script) throws Exception {
        return TestBundle.in(tmp.resolve("b-" + UUID.randomUUID().toString().substring(0, 6))).sh(script).write();
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> state(String id) throws Exception {
        JrunCli.Result r = jrun.run("state", id);
        assertEquals(0, r.exit(), r.stderr());
        return (Map<String, Object>) Json.parse(r.stdout());
    }

    void ok(String... args) throws Exception {
        JrunCli.Result r = jrun.run(args);
        assertEquals(0, r.exit(), String.join(" ", args) + ": " + r.stderr());
    }

    /** Alive and not a zombie (a detached init is reaped by whoever adopted it, maybe later). */
    static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    static void awaitDeath(long pid) throws InterruptedException {
        for (int i = 0; i < 500 && alive(pid); i++) {
            Thread.sleep(10);
        }
    }

    @Test
    void createStartKillDelete() throws Exception {
        Path out = tmp.resolve("shared");
        Files.createDirectories(out);
        TestBundle b = TestBundle.in(tmp.resolve("b")).sh("echo started > /shared/log; exec sleep 100")
                .mount(Map.of("destination", "/shared", "type", "bind", "source", out.toString(),
                        "options", List.of("rbind", "rw")));
        b.write();
        String id = id();
        Path pidFile = tmp.resolve("init.pid");
        ok("create", "--bundle", b.dir().toString(), "--pid-file", pidFile.toString(), id);
        long pid = Long.parseLong(Files.readString(pidFile));
        Map<String, Object> s = state(id);
        assertEquals("created", s.get("status"));
        assertEquals((long) pid, s.get("pid"));
        assertEquals(id, s.get("id"));
        assertEquals(b.dir().toString(), s.get("bundle"));
        Thread.sleep(100);
        assertFalse(Files.exists(out.resolve("log")), "the program ran before start");
        assertEquals("created", state(id).get("status"));

        JrunCli.Result second = jrun.run("create", "--bundle", b.dir().toString(), id);
        assertEquals(1, second.exit());
        assertTrue(second.stderr().contains("container \"" + id + "\" already exists"), second.stderr());

        ok("start", id);
        assertEquals("running", state(id).get("status"));
        for (int i = 0; i < 100 && !Files.exists(out.resolve("log")); i++) {
            Thread.sleep(10);
        }
        assertEquals("started\n", Files.readString(out.resolve("log")));
        JrunCli.Result again = jrun.run("start", id);
        assertEquals("jrun: start " + id + ": cannot start a container that is running\n", again.stderr());

        JrunCli.Result ps = jrun.run("ps", "--format", "json", id);
        assertEquals("[" + pid + "]\n", ps.stdout(), ps.stderr());
        JrunCli.Result refused = jrun.run("delete", id);
        assertEquals(1, refused.exit());
        assertTrue(refused.stderr().contains("cannot delete a container that is running"), refused.stderr());

        ok("kill", id, "KILL");
        awaitDeath(pid);
        assertEquals("stopped", state(id).get("status"));
        assertEquals(0L, state(id).get("pid"));
        ok("delete", id);
        assertEquals(1, jrun.run("state", id).exit());
        ok("delete", "--force", id); // already gone: containerd relies on exit 0
    }

    @Test
    void aCreatedContainerOfAnotherUserStarts() throws Exception {
        TestBundle t = TestBundle.in(tmp.resolve("u")).args("probe", "ids");
        t.process().put("user", Map.of("uid", 1000L, "gid", 1000L, "additionalGids", List.of(1000L)));
        Path out = tmp.resolve("ids.out");
        t.write();
        String id = id();
        Process create = jrun.builder("create", "--bundle", t.dir().toString(), id)
                .redirectOutput(out.toFile()).start();
        assertEquals(0, create.waitFor());
        ok("start", id);
        for (int i = 0; i < 200 && Files.size(out) == 0; i++) {
            Thread.sleep(10);
        }
        assertEquals("uid=1000 gid=1000 groups=1000\n", Files.readString(out));
    }

    @Test
    void signalsByNumberAndNameAndKillAll() throws Exception {
        Path b = bundle("trap 'echo usr1 > /dev/null' USR1; trap 'exit 0' TERM; while :; do sleep 100 & wait; done");
        String id = id();
        ok("run", "--detach", "--bundle", b.toString(), id);
        long pid = (Long) state(id).get("pid");
        ok("kill", id, "SIGUSR1");
        ok("kill", id, "10");
        assertEquals("running", state(id).get("status"));
        JrunCli.Result ps = jrun.run("ps", "--format", "json", id);
        assertTrue(ps.stdout().split(",").length >= 2, "init and its sleep: " + ps.stdout());
        ok("kill", "--all", id, "KILL");
        awaitDeath(pid);
        assertEquals("stopped", state(id).get("status"));
        JrunCli.Result bad = jrun.run("kill", id, "NOSUCHSIG");
        assertEquals("jrun: signal \"NOSUCHSIG\": not a signal name or number (1-64)\n", bad.stderr());
        JrunCli.Result stopped = jrun.run("kill", id, "TERM");
        assertEquals("jrun: kill " + id + ": container not running\n", stopped.stderr());
    }

    /**
     * create and run --detach end when Java says the command is over ("exit N" on the control channel), not
     * when the JVM has ended: JRUN_JAVA is a wrapper that keeps the launcher's control channel open after its
     * JVM exits, until the test lets it go. A launcher that waited for the JVM would not end before that.
     */
    @Test
    void createAndRunDetachEndWithoutWaitingForTheJvmToEnd() throws Exception {
        List<String> launch = Files.readAllLines(JrunCli.launcher().getParent().resolveSibling("lib/jrun.launch"));
        Path release = tmp.resolve("release");
        Path wrapper = tmp.resolve("java-then-wait");
        Files.writeString(wrapper, "#!/bin/sh\n\"" + launch.get(0) + "\" \"$@\"\ns=$?\n"
                + "while [ ! -e " + release + " ]; do sleep 0.05; done\nexit $s\n");
        wrapper.toFile().setExecutable(true);
        String created = id();
        String running = id();
        try {
            for (String[] args : List.of(new String[] {"create", "--bundle", bundle("sleep 100").toString(), created},
                    new String[] {"run", "--detach", "--bundle", bundle("sleep 100").toString(), running})) {
                ProcessBuilder pb = jrun.builder(args);
                pb.environment().put("JRUN_JAVA", wrapper.toString());
                pb.environment().put("JRUN_PLAN_CACHE", "off");
                Path out = Files.createTempFile(tmp, "out", ".txt");
                Path err = Files.createTempFile(tmp, "err", ".txt");
                JrunCli.Result r = JrunCli.finish(new JrunCli.Started(
                        pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start(), out, err));
                assertEquals(new JrunCli.Result(0, "", ""), r, String.join(" ", args));
                assertFalse(Files.exists(release));
            }
            assertEquals("created", state(created).get("status"));
            assertEquals("running", state(running).get("status"));
        } finally {
            Files.writeString(release, "");
        }
    }

    @Test
    void deleteForceKillsACreatedOrRunningContainer() throws Exception {
        String created = id();
        String running = id();
        ok("create", "--bundle", bundle("sleep 100").toString(), created);
        ok("run", "-d", "--bundle", bundle("sleep 100").toString(), running);
        long p1 = (Long) state(created).get("pid");
        long p2 = (Long) state(running).get("pid");
        JrunCli.Result list = jrun.run("list", "--format", "json");
        assertTrue(list.stdout().contains("\"status\":\"created\"") && list.stdout().contains("\"status\":\"running\""),
                list.stdout());
        ok("delete", "--force", created);
        ok("delete", "-f", running);
        assertFalse(alive(p1));
        assertFalse(alive(p2));
        assertEquals("", jrun.run("list", "-q").stdout());
    }

    @Test
    void execJoinsEveryNamespaceAndReturnsTheStatus() throws Exception {
        TestBundle t = TestBundle.in(tmp.resolve("b")).sh("exec sleep 100").set("hostname", "exec-box");
        t.process().put("env", List.of("PATH=/bin", "FROM=config"));
        t.write();
        String id = id();
        ok("run", "-d", "--bundle", t.dir().toString(), id);
        long init = (Long) state(id).get("pid");
        JrunCli.Result r = jrun.run("exec", "--env", "EXTRA=1", "--cwd", "/tmp", id, "sh", "-c",
                "for t in pid net mnt ipc uts; do readlink /proc/self/ns/$t; done; hostname; echo $FROM $EXTRA; pwd;"
                        + " ps -o comm | grep -c '^sleep'; exit 4");
        assertEquals(4, r.exit(), r.stderr());
        List<String> lines = List.of(r.stdout().split("\n"));
        int k = 0;
        for (String t2 : List.of("pid", "net", "mnt", "ipc", "uts")) {
            assertEquals(Files.readSymbolicLink(Path.of("/proc/" + init + "/ns/" + t2)).toString(), lines.get(k++));
        }
        assertEquals(List.of("exec-box", "config 1", "/tmp", "1"), lines.subList(5, 9));

        Path process = Files.writeString(tmp.resolve("process.json"), "{\"args\": [\"probe\", \"ids\"],"
                + " \"cwd\": \"/\", \"user\": {\"uid\": 1000, \"gid\": 100, \"additionalGids\": [5]},"
                + " \"env\": [\"PATH=/bin\"]}");
        JrunCli.Result p = jrun.run("exec", "--process", process.toString(), id);
        assertEquals("uid=1000 gid=100 groups=5\n", p.stdout(), p.stderr());

        Path pidFile = tmp.resolve("exec.pid");
        ok("exec", "--detach", "--pid-file", pidFile.toString(), id, "sleep", "100");
        long execPid = Long.parseLong(Files.readString(pidFile));
        assertEquals(Files.readSymbolicLink(Path.of("/proc/" + init + "/ns/pid")),
                Files.readSymbolicLink(Path.of("/proc/" + execPid + "/ns/pid")));
        assertTrue(jrun.run("ps", "--format", "json", id).stdout().contains(Long.toString(execPid)));

        JrunCli.Result missing = jrun.run("exec", id, "no-such-program");
        assertEquals(255, missing.exit()); // runc's status for a failed exec
        assertTrue(missing.stderr().startsWith("jrun: exec \"no-such-program\": executable file not found"),
                missing.stderr());
        JrunCli.Result high = jrun.run("exec", "--user", "4294967295:0", id, "id", "-u");
        assertEquals("jrun: exec process: process.user.uid: 4294967295 is out of range (uids and gids must be from 0"
                + " to 2147483647)\n", high.stderr());
        assertEquals(255, high.exit()); // every failed exec, as runc's
        ok("kill", id, "KILL");
        awaitDeath(init);
        JrunCli.Result stopped = jrun.run("exec", id, "true");
        assertEquals("jrun: exec " + id + ": cannot exec in a stopped container\n", stopped.stderr());
    }

    @Test
    void preservedFdsReachTheContainer() throws Exception {
        Path file = Files.writeString(tmp.resolve("passed"), "through fd 3\n");
        Path b = bundle("cat <&3");
        String id = id();
        // the shell opens fd 3 for jrun, which passes it on to the container
        Process p = new ProcessBuilder("sh", "-c", "exec 3<" + file + "; exec " + JrunCli.launcher() + " --root "
                + jrun.stateRoot() + " run --preserve-fds 1 --bundle " + b + " " + id).start();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        assertEquals(0, p.waitFor(), err);
        assertEquals("through fd 3\n", out);
    }

    @Test
    void onlyStdioAndThePreservedFdsReachTheContainer() throws Exception {
        Path file = Files.writeString(tmp.resolve("passed"), "x");
        Path b = bundle("exec ls -l /proc/self/fd"); // ls itself: no shell pipes in the way
        // fd 3 open, fd 4 not: the monitor's own fds must not fill the gap and leak in
        Process p = new ProcessBuilder("sh", "-c", "exec 3<" + file + "; exec " + JrunCli.launcher() + " --root "
                + jrun.stateRoot() + " run --preserve-fds 2 --bundle " + b + " " + id()).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), new String(p.getErrorStream().readAllBytes()));
        assertTrue(out.contains(" 3 -> " + file), out);
        for (String line : out.split("\n")) {
            int arrow = line.indexOf(" -> ");
            if (arrow < 0) {
                continue; // "total 0"
            }
            String before = line.substring(0, arrow);
            int fd = Integer.parseInt(before.substring(before.lastIndexOf(' ') + 1));
            String target = line.substring(arrow + 4);
            // 0-2 are stdio; 3 is the preserved file; ls holds one fd of its own on /proc
            assertTrue(fd <= 2 || (fd == 3 && target.equals(file.toString())) || target.startsWith("/proc/"),
                    "leaked into the container: " + line + "\n" + out);
        }
    }

    @Test
    void aNonRootContainerDiesWithItsMonitor() throws Exception {
        TestBundle t = TestBundle.in(tmp.resolve("b")).args("sleep", "100");
        t.process().put("user", Map.of("uid", 1000L, "gid", 1000L));
        t.write();
        String id = id();
        JrunCli.Started s = jrun.start("run", "--bundle", t.dir().toString(), id);
        long pid = -1;
        for (int i = 0; i < 500 && pid < 0; i++) {
            JrunCli.Result st = jrun.run("state", id);
            if (st.exit() == 0 && st.stdout().contains("\"running\"")) {
                pid = (Long) ((Map<?, ?>) Json.parse(st.stdout())).get("pid");
            } else {
                Thread.sleep(10);
            }
        }
        assertTrue(pid > 0, "never running");
        new ProcessBuilder("kill", "-KILL", Long.toString(s.process().pid())).start().waitFor();
        awaitDeath(pid);
        assertFalse(alive(pid), "the container outlived its monitor (setuid clears PR_SET_PDEATHSIG)");
        JrunCli.finish(s);
        JrunCli.awaitCleanup(id); // the JVM cleans up once it sees its monitor gone
    }

    @Test
    void concurrentCreatesOfOneIdLetExactlyOneWin() throws Exception {
        Path b = bundle("sleep 100");
        String id = id();
        List<JrunCli.Started> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            all.add(jrun.start("create", "--bundle", b.toString(), id));
        }
        int won = 0;
        for (JrunCli.Started s : all) {
            JrunCli.Result r = JrunCli.finish(s);
            if (r.exit() == 0) {
                won++;
            } else {
                assertTrue(r.stderr().contains("already exists"), r.stderr());
            }
        }
        assertEquals(1, won);
        assertEquals("created", state(id).get("status"));
    }
}
