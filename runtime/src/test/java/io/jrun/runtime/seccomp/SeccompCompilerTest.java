package io.jrun.runtime.seccomp;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.spec.Spec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The compiled programs, run here by a small classic-BPF interpreter over seccomp_data. */
class SeccompCompilerTest {
    static final long X86_64 = 0xC000003EL, X86 = 0x40000003L, AARCH64 = 0xC00000B7L;
    static final long ALLOW = SeccompCompiler.RET_ALLOW, KILL = SeccompCompiler.RET_KILL_PROCESS;

    /** Runs the program on (arch, nr, args) as the kernel would. */
    static long run(SeccompCompiler.Filter f, long arch, long nr, long... args) {
        long a = 0;
        List<Long> p = f.instructions();
        for (int pc = 0; pc < p.size(); pc++) {
            long v = p.get(pc);
            int code = (int) (v >>> 48) & 0xFFFF, jt = (int) (v >>> 40) & 0xFF, jf = (int) (v >>> 32) & 0xFF;
            long k = v & 0xFFFFFFFFL;
            switch (code) {
                case 0x20 -> a = load((int) k, arch, nr, args);
                case 0x54 -> a &= k;
                case 0x05 -> pc += (int) k;
                case 0x06 -> {
                    return k;
                }
                case 0x15 -> pc += a == k ? jt : jf;
                case 0x25 -> pc += a > k ? jt : jf;
                case 0x35 -> pc += a >= k ? jt : jf;
                default -> throw new AssertionError("unexpected code " + code);
            }
        }
        throw new AssertionError("fell off the program");
    }

    static long load(int off, long arch, long nr, long[] args) {
        if (off == 0) {
            return nr & 0xFFFFFFFFL;
        }
        if (off == 4) {
            return arch;
        }
        int i = (off - 16) / 8;
        long v = i < args.length ? args[i] : 0;
        return (off - 16) % 8 == 0 ? v & 0xFFFFFFFFL : v >>> 32;
    }

    static Spec.Seccomp profile(String def, List<String> archs, Spec.SyscallRule... rules) {
        return new Spec.Seccomp(def, null, archs, List.of(), null, null, List.of(rules));
    }

    static Spec.SyscallRule rule(String name, String action, Long errno, Spec.ArgRule... args) {
        return new Spec.SyscallRule(List.of(name), action, errno, List.of(args));
    }

    @Test
    void archCheckRulesInOrderAndTheDefault() throws JrunException {
        SeccompCompiler.Filter f = SeccompCompiler.compile(profile("SCMP_ACT_ALLOW", List.of("SCMP_ARCH_X86"),
                rule("mkdir", "SCMP_ACT_ERRNO", 13L), rule("uname", "SCMP_ACT_KILL_PROCESS", null)), "SCMP_ARCH_X86_64");
        assertEquals(SeccompCompiler.RET_ERRNO | 13, run(f, X86_64, 83)); // x86_64 mkdir
        assertEquals(SeccompCompiler.RET_ERRNO | 13, run(f, X86, 39)); // i386 mkdir
        assertEquals(KILL, run(f, X86_64, 63)); // x86_64 uname
        assertEquals(ALLOW, run(f, X86_64, 0)); // read
        assertEquals(KILL, run(f, AARCH64, 34), "an architecture not in the filter is killed");
        assertEquals(KILL, run(f, X86_64, 0x40000000L + 83), "x32 calls, x32 not listed");
        assertEquals(ALLOW, run(f, X86_64, 231), "exit_group always passes");
    }

    @Test
    void x32CallsGoToTheirOwnNumbers() throws JrunException {
        SeccompCompiler.Filter f = SeccompCompiler.compile(profile("SCMP_ACT_ALLOW", List.of("SCMP_ARCH_X32"),
                rule("mkdir", "SCMP_ACT_ERRNO", null)), "SCMP_ARCH_X86_64");
        assertEquals(SeccompCompiler.RET_ERRNO | 1, run(f, X86_64, 0x40000000L + 83), "errnoRet defaults to EPERM");
        assertEquals(ALLOW, run(f, X86_64, 0x40000000L));
    }

    @Test
    void everyComparisonOnBothHalvesOf64Bits() throws JrunException {
        long big = 0x1_0000_0005L;
        String[][] cases = {
            {"SCMP_CMP_EQ", "5", "5:1,6:0,4294967301:0"},
            {"SCMP_CMP_NE", "5", "5:0,6:1,4294967301:1"},
            {"SCMP_CMP_GT", "4294967301", "4294967302:1,4294967301:0,5:0,8589934592:1"},
            {"SCMP_CMP_GE", "4294967301", "4294967301:1,4294967300:0,12884901888:1"},
            {"SCMP_CMP_LT", "4294967301", "4294967300:1,4294967301:0,5:1,8589934592:0"},
            {"SCMP_CMP_LE", "4294967301", "4294967301:1,4294967302:0,0:1"},
        };
        for (String[] c : cases) {
            SeccompCompiler.Filter f = SeccompCompiler.compile(profile("SCMP_ACT_ALLOW", List.of(),
                    rule("kill", "SCMP_ACT_ERRNO", 1L, new Spec.ArgRule(1, Long.parseLong(c[1]), 0, c[0]))),
                    "SCMP_ARCH_X86_64");
            for (String probe : c[2].split(",")) {
                long arg = Long.parseLong(probe.split(":")[0]);
                long want = probe.endsWith(":1") ? SeccompCompiler.RET_ERRNO | 1 : ALLOW;
                assertEquals(want, run(f, X86_64, 62, 0, arg), c[0] + " " + c[1] + " against " + arg);
            }
        }
        SeccompCompiler.Filter masked = SeccompCompiler.compile(profile("SCMP_ACT_ALLOW", List.of(),
                rule("kill", "SCMP_ACT_ERRNO", 1L, new Spec.ArgRule(1, 0xFFFF_0000_0000_00FFL, 0x0001_0000_0000_0005L,
                        "SCMP_CMP_MASKED_EQ"))), "SCMP_ARCH_X86_64");
        assertEquals(SeccompCompiler.RET_ERRNO | 1, run(masked, X86_64, 62, 0, 0x0001_1234_5678_0005L));
        assertEquals(ALLOW, run(masked, X86_64, 62, 0, 0x0002_0000_0000_0005L));
        assertEquals(ALLOW, run(masked, X86_64, 62, 0, big));
    }

    @Test
    void aarch64HasItsOwnNumbers() throws JrunException {
        SeccompCompiler.Filter f = SeccompCompiler.compile(profile("SCMP_ACT_ALLOW", List.of(),
                rule("mkdirat", "SCMP_ACT_ERRNO", 2L)), "SCMP_ARCH_AARCH64");
        assertEquals(SeccompCompiler.RET_ERRNO | 2, run(f, AARCH64, 34));
        assertEquals(KILL, run(f, X86_64, 258));
    }

    @Test
    void errors() {
        // a syscall no architecture here has is skipped, as runc does (Podman's profile lists such names)
        assertEquals(ALLOW, assertDoesNotThrow(() -> run(SeccompCompiler.compile(profile("SCMP_ACT_ALLOW", List.of(),
                rule("pciconfig_iobase", "SCMP_ACT_ERRNO", null)), "SCMP_ARCH_X86_64"), X86_64, 0)));
        assertEquals("linux.seccomp.defaultAction: unknown action \"SCMP_ACT_MAYBE\"", assertThrows(JrunException.class,
                () -> SeccompCompiler.compile(profile("SCMP_ACT_MAYBE", List.of()))).getMessage());
    }

    @Test
    void architecturesWithoutATableAreLeftOutAndTheirProcessesKilled() throws JrunException {
        // as runc: a profile written for every host (Docker's lists ARM beside AARCH64) loads anywhere
        SeccompCompiler.Filter f = SeccompCompiler.compile(profile("SCMP_ACT_ALLOW", List.of("SCMP_ARCH_X86_64",
                "SCMP_ARCH_ARM", "SCMP_ARCH_MIPS", "SCMP_ARCH_S390X", "SCMP_ARCH_NOSUCH"),
                rule("mkdir", "SCMP_ACT_ERRNO", 1L)), "SCMP_ARCH_X86_64");
        assertEquals(SeccompCompiler.RET_ERRNO | 1, run(f, X86_64, 83));
        assertEquals(ALLOW, run(f, X86_64, 84));
        assertEquals(KILL, run(f, 0x40000028L /* AUDIT_ARCH_ARM */, 39));
    }

    static Spec.Seccomp withListener(String path, Spec.SyscallRule... rules) {
        return new Spec.Seccomp("SCMP_ACT_ALLOW", null, List.of(), List.of(), path, "meta", List.of(rules));
    }

    @Test
    void notifyReturnsUserNotifAndAsksForAListener() throws JrunException {
        SeccompCompiler.Filter f = SeccompCompiler.compile(withListener("/run/agent.sock",
                rule("mkdir", "SCMP_ACT_NOTIFY", null)), "SCMP_ARCH_X86_64");
        assertEquals(0x7fc00000L, run(f, X86_64, 83)); // mkdir
        assertEquals(ALLOW, run(f, X86_64, 84));
        assertEquals(SeccompCompiler.NEW_LISTENER, f.flags());
        assertEquals(true, f.notifies());
        assertEquals("/run/agent.sock", f.listenerPath());
        assertEquals("meta", f.listenerMetadata());
        SeccompCompiler.Filter plain = SeccompCompiler.compile(profile("SCMP_ACT_ALLOW", List.of(),
                rule("mkdir", "SCMP_ACT_ERRNO", null)), "SCMP_ARCH_X86_64");
        assertEquals(false, plain.notifies());
    }

    @Test
    void notifyRules() {
        assertEquals("linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath, the socket"
                + " its listener receives the fd on", assertThrows(JrunException.class, () -> SeccompCompiler.compile(
                        withListener(null, rule("mkdir", "SCMP_ACT_NOTIFY", null)))).getMessage());
        // a listenerPath no rule needs is not used, as with runc
        SeccompCompiler.Filter unused = assertDoesNotThrow(() -> SeccompCompiler.compile(withListener("/a.sock",
                rule("mkdir", "SCMP_ACT_ERRNO", null))));
        assertEquals(false, unused.notifies());
        assertEquals(null, unused.listenerPath());
        assertEquals(0L, unused.flags() & SeccompCompiler.NEW_LISTENER);
        for (String name : List.of("write", "sendmsg")) {
            assertEquals("linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for the " + name + " syscall"
                    + " (jrun's stage hands the listener fd on with it)", assertThrows(JrunException.class,
                            () -> SeccompCompiler.compile(withListener("/a.sock", rule(name, "SCMP_ACT_NOTIFY", null))))
                            .getMessage());
        }
        assertEquals("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action (the runtime's own"
                + " last syscalls would wait on a listener that has no fd yet)", assertThrows(JrunException.class,
                        () -> SeccompCompiler.compile(new Spec.Seccomp("SCMP_ACT_NOTIFY", null, List.of(), List.of(),
                                "/a.sock", null, List.of()))).getMessage());
    }

    @Test
    void aProfileThatRefusesExecveIsAnError() throws JrunException {
        assertEquals("linux.seccomp: execve blocked by seccomp: defaultAction SCMP_ACT_ERRNO applies to it and no rule"
                + " allows it, so the program could never start", assertThrows(JrunException.class,
                        () -> SeccompCompiler.compile(profile("SCMP_ACT_ERRNO", List.of(),
                                rule("read", "SCMP_ACT_ALLOW", null)), "SCMP_ARCH_X86_64")).getMessage());
        assertEquals("linux.seccomp: execve blocked by seccomp: syscalls[1] gives it SCMP_ACT_TRAP, so the program"
                + " could never start", assertThrows(JrunException.class,
                        () -> SeccompCompiler.compile(profile("SCMP_ACT_ALLOW", List.of(),
                                rule("read", "SCMP_ACT_ALLOW", null), rule("execve", "SCMP_ACT_TRAP", null)),
                                "SCMP_ARCH_X86_64")).getMessage());
        // allowed by a rule, or maybe allowed (argument conditions): compiled
        SeccompCompiler.compile(profile("SCMP_ACT_ERRNO", List.of(), rule("execve", "SCMP_ACT_ALLOW", null)),
                "SCMP_ARCH_X86_64");
        SeccompCompiler.compile(profile("SCMP_ACT_ERRNO", List.of(), rule("execve", "SCMP_ACT_ALLOW", null,
                new Spec.ArgRule(2, 0, 0, "SCMP_CMP_NE"))), "SCMP_ARCH_X86_64");
    }
}
