package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.TestBundle;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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
        // every syscall refused, execve too: the init cannot even report it, but it ends (exit is let through)
        JrunCli.Result deny = run("true", Map.of("defaultAction", "SCMP_ACT_ERRNO", "syscalls", List.of()));
        assertEquals(127, deny.exit(), deny.stderr());
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
}
