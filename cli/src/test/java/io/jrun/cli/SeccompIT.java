package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.TestBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** linux.seccomp compiled to BPF by jrun, shown by what the syscalls do inside. */
class SeccompIT extends CliTest {
    JrunCli.Result run(String script, Map<String, Object> seccomp) throws Exception {
        TestBundle b = TestBundle.in(tmp.resolve("b-" + UUID.randomUUID().toString().substring(0, 6))).sh(script);
        b.linux().put("seccomp", seccomp);
        return jrun.run("run", "--bundle", b.write().toString(), "sc-" + UUID.randomUUID().toString().substring(0, 6));
    }

    static Map<String, Object> allowBut(List<Object> rules) {
        return Map.of("defaultAction", "SCMP_ACT_ALLOW",
                "architectures", List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"), "syscalls", rules);
    }

    /** Was: exit 127 and nothing said (the stage's own report of the failed execve was refused too). */
    @Test
    void aProfileThatRefusesExecveSaysSo() throws Exception {
        Map<String, Object> noExec = Map.of("defaultAction", "SCMP_ACT_ERRNO", "architectures",
                List.of("SCMP_ARCH_X86_64"), "syscalls", List.of());
        JrunCli.Result r = run("echo never", noExec);
        assertEquals(1, r.exit(), r.stderr());
        assertEquals("", r.stdout());
        assertEquals("jrun: linux.seccomp: execve blocked by seccomp: defaultAction SCMP_ACT_ERRNO applies to it and no"
                + " rule allows it, so the program could never start\n", r.stderr());
        JrunCli.Result killed = run("echo never", allowBut(List.of(Map.of("names", List.of("execve"),
                "action", "SCMP_ACT_KILL"))));
        assertEquals("jrun: linux.seccomp: execve blocked by seccomp: syscalls[0] gives it SCMP_ACT_KILL, so the"
                + " program could never start\n", killed.stderr());
        assertEquals(List.of(), Files.list(jrun.stateRoot()).filter(p -> !p.getFileName().toString().startsWith("."))
                .toList());
    }

    @Test
    void anErrnoRuleReturnsThatErrno() throws Exception {
        JrunCli.Result r = run("mkdir /tmp/a 2>&1; echo done", allowBut(List.of(Map.of("names",
                List.of("mkdir", "mkdirat"), "action", "SCMP_ACT_ERRNO", "errnoRet", 13L))));
        assertEquals("mkdir: can't create directory '/tmp/a': Permission denied\ndone\n", r.stdout(), r.stderr());
        JrunCli.Result eperm = run("mkdir /tmp/a 2>&1; echo done", allowBut(List.of(Map.of("names",
                List.of("mkdir", "mkdirat"), "action", "SCMP_ACT_ERRNO"))));
        assertTrue(eperm.stdout().contains("Operation not permitted"), eperm.stdout());
    }

    @Test
    void anArgumentRuleFiltersByValue() throws Exception {
        // kill(pid, SIGUSR1) is refused, kill(pid, 0) is not
        JrunCli.Result r = run("kill -USR1 $$ 2>&1; kill -0 $$ && echo signal-0-ok", allowBut(List.of(Map.of(
                "names", List.of("kill"), "action", "SCMP_ACT_ERRNO",
                "args", List.of(Map.of("index", 1L, "value", 10L, "op", "SCMP_CMP_EQ"))))));
        assertEquals("sh: can't kill pid 1: Operation not permitted\nsignal-0-ok\n", r.stdout(), r.stderr());
        JrunCli.Result masked = run("kill -USR1 $$ && echo usr1-ok; kill -0 $$ 2>&1 || echo zero-refused",
                allowBut(List.of(Map.of("names", List.of("kill"), "action", "SCMP_ACT_ERRNO",
                        "args", List.of(Map.of("index", 1L, "value", 0xFFL, "valueTwo", 0L, "op", "SCMP_CMP_MASKED_EQ"))))));
        assertEquals("usr1-ok\nsh: can't kill pid 1: Operation not permitted\nzero-refused\n", masked.stdout(),
                "only signal 0 matches (sig & 0xff) == 0");
        JrunCli.Result gt = run("kill -USR1 $$ 2>&1; kill -HUP $$ 2>&1; echo end", allowBut(List.of(Map.of(
                "names", List.of("kill"), "action", "SCMP_ACT_ERRNO",
                "args", List.of(Map.of("index", 1L, "value", 5L, "op", "SCMP_CMP_GT"))))));
        assertTrue(gt.stdout().startsWith("sh: can't kill pid 1: Operation not permitted\n"), gt.stdout());
    }

    @Test
    void killProcessKillsAndTheDefaultActionApplies() throws Exception {
        JrunCli.Result r = run("probe ids", allowBut(List.of(Map.of("names", List.of("getuid", "getuid32"),
                "action", "SCMP_ACT_KILL_PROCESS"))));
        assertEquals(128 + 31, r.exit(), "SIGSYS: " + r.stdout() + r.stderr());
        // every syscall refused, execve too: refused before anything runs (aProfileThatRefusesExecveSaysSo)
        JrunCli.Result deny = run("true", Map.of("defaultAction", "SCMP_ACT_ERRNO", "syscalls", List.of()));
        assertEquals(1, deny.exit(), deny.stderr());
    }

    @Test
    void jrunSpecsProfileRefusesWhatDockersLeavesOut() throws Exception {
        TestBundle b = TestBundle.in(tmp.resolve("spec")).args("probe", "add-key");
        b.linux().put("seccomp", io.jrun.runtime.spec.DefaultSpec.create(List.of("sh")).get("linux") instanceof Map<?, ?> l
                ? l.get("seccomp") : null);
        JrunCli.Result r = jrun.run("run", "--bundle", b.write().toString(), "sc-spec");
        assertEquals("EPERM\n", r.stdout(), r.stderr());
        TestBundle without = TestBundle.in(tmp.resolve("nospec")).args("probe", "add-key");
        JrunCli.Result w = jrun.run("run", "--bundle", without.write().toString(), "sc-nospec");
        assertEquals("ok\n", w.stdout(), "add_key works without the profile: " + w.stderr());
    }

    @Test
    void unknownActionsAreErrorsAndUnknownNamesAreSkipped() throws Exception {
        JrunCli.Result r = run("true", allowBut(List.of(Map.of("names", List.of("mkdir"), "action", "SCMP_ACT_MAYBE"))));
        assertEquals(1, r.exit());
        assertTrue(r.stderr().contains("linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_MAYBE\""),
                r.stderr());
        JrunCli.Result skipped = run("echo ran", allowBut(List.of(Map.of("names", List.of("pciconfig_iobase"),
                "action", "SCMP_ACT_ERRNO"))));
        assertEquals("ran\n", skipped.stdout(), skipped.stderr());
    }

    /** The test listener (rootfs-fixtures' seccomp-agent), started on {@code sock}, answering as told. */
    Process agent(Path sock, Path stateFile, Path log, String how, long n) throws Exception {
        Path exe = TestBundle.fixtureRootfs().resolve("../../tools/seccomp-agent").normalize();
        Process p = new ProcessBuilder(exe.toString(), sock.toString(), stateFile.toString(), how, Long.toString(n))
                .redirectOutput(log.toFile()).redirectError(tmp.resolve("agent.err").toFile()).start();
        for (int i = 0; i < 300 && !Files.exists(sock); i++) {
            Thread.sleep(10);
        }
        assertTrue(Files.exists(sock), "the agent listens");
        return p;
    }

    /** The agent writes the state it received (atomically) just after the handover: wait for it. */
    static String awaitState(Path state) throws Exception {
        for (int i = 0; i < 500 && !Files.exists(state); i++) {
            Thread.sleep(10);
        }
        assertTrue(Files.exists(state), "the agent received the state");
        return Files.readString(state);
    }

    static Map<String, Object> notify(Path sock, String metadata, String... names) {
        return Map.of("defaultAction", "SCMP_ACT_ALLOW", "listenerPath", sock.toString(), "listenerMetadata",
                metadata, "syscalls", List.of(Map.of("names", List.of(names), "action", "SCMP_ACT_NOTIFY")));
    }

    static long number(String json, String regex) {
        Matcher m = Pattern.compile(regex).matcher(json);
        assertTrue(m.find(), regex + " in " + json);
        return Long.parseLong(m.group(1));
    }

    @Test
    void notifyHandsTheListenerTheFdAndTheStateAndItsAnswerIsWhatTheProgramGets() throws Exception {
        Path sock = tmp.resolve("agent.sock"), state = tmp.resolve("state.json"), log = tmp.resolve("agent.log");
        Process agent = agent(sock, state, log, "errno", 28); // ENOSPC, which mkdir never gets here
        TestBundle b = TestBundle.in(tmp.resolve("b-notify")).args("mkdir", "/tmp/a");
        b.linux().put("seccomp", notify(sock, "test-metadata", "mkdir", "mkdirat"));
        String id = "sc-notify-" + UUID.randomUUID().toString().substring(0, 6);
        JrunCli.Result r = jrun.run("run", "--bundle", b.write().toString(), id);
        assertEquals("mkdir: can't create directory '/tmp/a': No space left on device\n", r.stderr());
        assertEquals(1, r.exit());
        assertTrue(agent.waitFor(30, TimeUnit.SECONDS), "the agent sees the filter's last user go");
        assertEquals(0, agent.exitValue(), Files.readString(tmp.resolve("agent.err")));
        // the init itself (pid 1 inside) made the call: its host pid is the one the state names
        String json = Files.readString(state);
        long pid = number(Files.readString(log), "(?m)^\\d+ (\\d+)$");
        assertTrue(json.startsWith("{\"ociVersion\":\"1.2.0\",\"fds\":[\"seccompFd\"],\"pid\":" + pid + ","), json);
        assertTrue(json.contains("\"metadata\":\"test-metadata\""), json);
        assertTrue(json.contains("\"id\":\"" + id + "\""), json);
        assertTrue(json.contains("\"status\":\"creating\""), json);
        assertTrue(json.contains("\"bundle\":\"" + b.dir() + "\""), json);
        assertEquals(pid, number(json, "\"state\":\\{.*\"pid\":(\\d+)\\}\\}$"));
    }

    @Test
    void aFakedSuccessRunsNothingAndACreatedContainerHandsOverBeforeItsMonitorLeaves() throws Exception {
        Path sock = tmp.resolve("agent.sock"), state = tmp.resolve("state.json"), log = tmp.resolve("agent.log");
        Process agent = agent(sock, state, log, "value", 0);
        TestBundle b = TestBundle.in(tmp.resolve("b-fake"))
                .sh("mkdir /tmp/a && echo mkdir-said-yes; test -d /tmp/a || echo but-no-directory");
        b.linux().put("seccomp", notify(sock, "m", "mkdir", "mkdirat"));
        String id = "sc-fake-" + UUID.randomUUID().toString().substring(0, 6);
        // create: the monitor leaves once the init is created; the listener must have its fd by then
        JrunCli.Result c = jrun.run("create", "--bundle", b.write().toString(), id);
        assertEquals(0, c.exit(), c.stderr());
        assertTrue(awaitState(state).contains("\"status\":\"creating\""), "the state went out during create");
        JrunCli.Result s = jrun.run("start", id);
        assertEquals(0, s.exit(), s.stderr());
        assertTrue(agent.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, agent.exitValue(), Files.readString(tmp.resolve("agent.err")));
        JrunCli.Result d = jrun.run("delete", "--force", id);
        assertEquals(0, d.exit(), d.stderr());
        assertTrue(Files.readString(log).lines().count() >= 1, "mkdir was notified");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void anExecdProcessHandsItsOwnFdOverWithTheRunningContainersState(boolean userNamespace) throws Exception {
        Path sock = tmp.resolve("agent.sock"), state = tmp.resolve("state.json"), log = tmp.resolve("agent.log");
        Process first = agent(sock, state, log, "errno", 28);
        TestBundle b = TestBundle.in(tmp.resolve("b-exec")).sh("sleep 30");
        b.linux().put("seccomp", notify(sock, "m", "mkdir", "mkdirat"));
        if (userNamespace) { // the monitor of the exec is inside it then: the fd comes over a socket, no ptrace
            b.userNamespace(100000L, 100000L);
        }
        String id = "sc-exec-" + UUID.randomUUID().toString().substring(0, 6);
        JrunCli.Result c = jrun.run("run", "--detach", "--bundle", b.write().toString(), id);
        assertEquals(0, c.exit(), c.stderr());
        try {
            long initPid = number(awaitState(state), "\"pid\":(\\d+),");
            // the first agent took its connection and removed its socket: a second one listens for exec
            for (int i = 0; i < 300 && Files.exists(sock); i++) {
                Thread.sleep(10);
            }
            Path execState = tmp.resolve("exec-state.json");
            Process second = agent(sock, execState, tmp.resolve("agent2.log"), "errno", 122); // EDQUOT
            JrunCli.Result e = jrun.run("exec", id, "mkdir", "/tmp/b");
            assertEquals(1, e.exit());
            assertEquals("mkdir: can't create directory '/tmp/b': Disk quota exceeded\n", e.stderr());
            String json = awaitState(execState);
            long execPid = number(Files.readString(tmp.resolve("agent2.log")), "(?m)^\\d+ (\\d+)$");
            assertTrue(execPid != initPid);
            assertTrue(json.startsWith("{\"ociVersion\":\"1.2.0\",\"fds\":[\"seccompFd\"],\"pid\":" + execPid + ","),
                    json);
            assertTrue(json.contains("\"status\":\"running\""), json);
            assertEquals(initPid, number(json, "\"state\":\\{.*\"pid\":(\\d+),"));
            assertTrue(second.waitFor(30, TimeUnit.SECONDS), "the exec'd process ended");
        } finally {
            jrun.run("delete", "--force", id);
        }
        assertTrue(first.waitFor(30, TimeUnit.SECONDS));
    }

    @Test
    void notifyRulesAndAMissingListenerAreClearErrors() throws Exception {
        Path sock = tmp.resolve("nobody.sock");
        JrunCli.Result r = run("true", notify(sock, "m", "mkdir"));
        assertEquals(1, r.exit());
        assertTrue(r.stderr().contains("send the seccomp notify fd to listenerPath " + sock
                + ": connect: No such file or directory (ENOENT)"), r.stderr());
        JrunCli.Result noPath = run("true", Map.of("defaultAction", "SCMP_ACT_ALLOW", "syscalls",
                List.of(Map.of("names", List.of("mkdir"), "action", "SCMP_ACT_NOTIFY"))));
        assertEquals(1, noPath.exit());
        assertTrue(noPath.stderr().contains("linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs"
                + " linux.seccomp.listenerPath"), noPath.stderr());
        JrunCli.Result write = run("true", notify(sock, "m", "write"));
        assertTrue(write.stderr().contains("SCMP_ACT_NOTIFY cannot be used for the write syscall"), write.stderr());
        JrunCli.Result features = jrun.run("features");
        assertTrue(features.stdout().contains("\"SCMP_ACT_NOTIFY\""), features.stdout());
        assertTrue(features.stdout().contains("\"time\""), features.stdout());
    }
}
