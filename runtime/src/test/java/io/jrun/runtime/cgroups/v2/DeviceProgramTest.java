package io.jrun.runtime.cgroups.v2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.cgroups.DeviceDefaults;
import io.jrun.runtime.spec.Spec;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The cgroup v2 device program: its instructions for a small rule set, and its decisions, found by
 * running it in a small interpreter of the instructions the compiler emits, against the rules read
 * the v1 way (for each access bit, the last matching rule decides; everything allowed before the
 * first). The kernel runs it for real in DeviceRulesIT (and CgroupsIT on a cgroup v2 guest).
 */
class DeviceProgramTest {
    static final int BLOCK = 1;
    static final int CHAR = 2;
    static final int M = 1;
    static final int R = 2;
    static final int W = 4;

    static Spec.DeviceRule rule(boolean allow, String type, Long major, Long minor, String access) {
        return new Spec.DeviceRule(allow, type, major, minor, access);
    }

    static final Spec.DeviceRule DENY_ALL = rule(false, null, null, null, "rwm");

    @Test
    void denyAllThenAllowReadingOneCharDevice() throws Exception {
        DeviceProgram p = DeviceProgram.compile(List.of(DENY_ALL, rule(true, "c", 1L, 5L, "r")));
        String hex = HexFormat.of().formatHex(p.bytes());
        List<String> insns = new ArrayList<>();
        for (int i = 0; i < hex.length(); i += 16) {
            insns.add(hex.substring(i, i + 16));
        }
        assertEquals(List.of(
                "6112000000000000", // r2 = ctx->access_type
                "bf23000000000000", // r3 = r2
                "57020000ffff0000", // r2 &= 0xffff: the type
                "7703000010000000", // r3 >>= 16: the access
                "6114040000000000", // r4 = ctx->major
                "6115080000000000", // r5 = ctx->minor
                "bf36000000000000", // r6 = r3: the bits still undecided
                "5602090002000000", // type != char: next rule (+9)
                "5604080001000000", // major != 1
                "5605070005000000", // minor != 5
                "bf60000000000000", // r0 = r6
                "5700000002000000", // r0 &= read
                "1500040000000000", // none of its bits asked: next rule (+4)
                "57060000fdffffff", // r6 &= ~read
                "5506020000000000", // bits left: next rule (+2)
                "b700000001000000", // allow
                "9500000000000000",
                "b700000000000000", // no rule decided: deny, as the deny-all says
                "9500000000000000"), insns);
        assertEquals(1, run(p, CHAR, R, 1, 5));
        assertEquals(0, run(p, CHAR, R | W, 1, 5), "reading is allowed, writing is not");
        assertEquals(0, run(p, CHAR, W, 1, 5));
        assertEquals(0, run(p, BLOCK, R, 1, 5));
        assertEquals(0, run(p, CHAR, R, 1, 3));
    }

    @Test
    void rulesThatAllowEverythingNeedNoProgram() throws Exception {
        assertNull(DeviceProgram.compile(List.of()));
        assertNull(DeviceProgram.compile(List.of(rule(true, "a", null, null, "rwm"))));
        assertNull(DeviceProgram.compile(List.of(DENY_ALL, rule(true, "c", 1L, 3L, "rw"),
                rule(true, null, null, null, "rwm"))), "a later allow-all overrides the deny-all");
        assertNull(DeviceProgram.compile(List.of(rule(true, "c", 1L, 3L, "rw"))), "an allow on top of allow-all");
    }

    @Test
    void denyRulesOnTopOfAllowAll() throws Exception {
        DeviceProgram p = DeviceProgram.compile(List.of(rule(false, "c", 1L, 9L, "w"), rule(false, "b", null, null, "m")));
        assertEquals(1, run(p, CHAR, R, 1, 9));
        assertEquals(0, run(p, CHAR, W, 1, 9));
        assertEquals(0, run(p, CHAR, R | W, 1, 9));
        assertEquals(1, run(p, CHAR, R | W, 1, 8));
        assertEquals(0, run(p, BLOCK, M, 8, 0));
        assertEquals(1, run(p, BLOCK, R | W, 8, 0));
    }

    @Test
    void theLastMatchingRuleWins() throws Exception {
        DeviceProgram p = DeviceProgram.compile(List.of(DENY_ALL, rule(true, "c", null, null, "rwm"),
                rule(false, "c", 10L, 200L, "rwm"), rule(true, "c", 10L, 200L, "r")));
        assertEquals(1, run(p, CHAR, R | W, 4, 1), "c *:* allowed");
        assertEquals(1, run(p, CHAR, R, 10, 200), "the last rule allows reading again");
        assertEquals(0, run(p, CHAR, W, 10, 200), "writing stays denied by the rule before");
        assertEquals(0, run(p, BLOCK, R, 10, 200));
    }

    @Test
    void jrunsDefaultsFollowADenyAllAsWithV1() throws Exception {
        // what Podman and `jrun spec` send: deny all, then the config's rules; jrun's devices come in after the deny-all
        List<Spec.DeviceRule> rules = DeviceDefaults.rules(List.of(DENY_ALL, rule(false, "c", 1L, 5L, "rwm")),
                List.of(new Spec.Device("/dev/fuse", "c", 10, 229, 0666L, 0L, 0L)));
        DeviceProgram p = DeviceProgram.compile(rules);
        assertEquals(1, run(p, CHAR, R | W, 1, 3), "/dev/null");
        assertEquals(1, run(p, CHAR, M, 1, 3), "mknod /dev/null");
        assertEquals(0, run(p, CHAR, R, 1, 5), "/dev/zero: the config denies it after the defaults");
        assertEquals(1, run(p, CHAR, R | W, 136, 7), "/dev/pts/7");
        assertEquals(1, run(p, CHAR, R | W, 5, 2), "/dev/ptmx");
        assertEquals(1, run(p, CHAR, R | W, 10, 229), "a linux.devices entry");
        assertEquals(0, run(p, BLOCK, R, 8, 0), "a disk");
        assertEquals(0, run(p, CHAR, R, 4, 1), "a tty");
    }

    @Test
    void randomRuleSetsDecideAsTheRulesReadInOrder() throws Exception {
        Random rnd = new Random(4);
        String[] types = {null, "a", "b", "c"};
        String[] accesses = {"r", "w", "m", "rw", "rm", "wm", "rwm", ""};
        for (int round = 0; round < 300; round++) {
            List<Spec.DeviceRule> rules = new ArrayList<>();
            int n = rnd.nextInt(8);
            for (int i = 0; i < n; i++) {
                rules.add(rule(rnd.nextBoolean(), types[rnd.nextInt(4)], rnd.nextInt(3) == 0 ? null : (long) rnd.nextInt(3),
                        rnd.nextInt(3) == 0 ? null : (long) rnd.nextInt(3), accesses[rnd.nextInt(accesses.length)]));
            }
            DeviceProgram p = DeviceProgram.compile(rules);
            for (int type = 1; type <= 2; type++) {
                for (int acc = 1; acc <= 7; acc++) {
                    for (int major = 0; major < 3; major++) {
                        for (int minor = 0; minor < 3; minor++) {
                            int want = reference(rules, type, acc, major, minor);
                            int got = p == null ? 1 : run(p, type, acc, major, minor);
                            assertEquals(want, got, rules + " for type " + type + " access " + acc + " " + major
                                    + ":" + minor);
                        }
                    }
                }
            }
        }
    }

    @Test
    void badRulesAreRefusedByName() {
        assertEquals("linux.resources.devices: access \"rx\" has 'x', not one of r, w, m",
                assertThrows(JrunException.class, () -> DeviceProgram.compile(List.of(rule(false, "c", 1L, 1L, "rx"))))
                        .getMessage());
        assertEquals("linux.resources.devices: type \"p\" is not a, b or c",
                assertThrows(JrunException.class, () -> DeviceProgram.compile(List.of(rule(false, "p", 1L, 1L, "r"))))
                        .getMessage());
    }

    /** The rules as v1 reads them: per access bit, the last matching rule decides, allow before any. */
    static int reference(List<Spec.DeviceRule> rules, int type, int access, long major, long minor) {
        for (int bit = 1; bit <= 4; bit <<= 1) {
            if ((access & bit) == 0) {
                continue;
            }
            boolean allowed = true;
            for (Spec.DeviceRule r : rules) {
                String t = r.type() == null || r.type().isEmpty() ? "a" : r.type();
                boolean typeOk = t.equals("a") || (t.equals("b") ? BLOCK : CHAR) == type;
                String a = r.access() == null || r.access().isEmpty() ? "rwm" : r.access();
                int bits = (a.contains("r") ? R : 0) | (a.contains("w") ? W : 0) | (a.contains("m") ? M : 0);
                if (typeOk && (r.major() == null || r.major() == major) && (r.minor() == null || r.minor() == minor)
                        && (bits & bit) != 0) {
                    allowed = r.allow();
                }
            }
            if (!allowed) {
                return 0;
            }
        }
        return 1;
    }

    /** Runs the program on struct bpf_cgroup_dev_ctx {access_type, major, minor}: the handful of instructions it uses. */
    static int run(DeviceProgram p, int type, int access, long major, long minor) {
        long[] ctx = {(long) access << 16 | type, major, minor};
        long[] reg = new long[11];
        List<Long> code = p.instructions();
        for (int pc = 0, steps = 0; steps < 100_000; steps++) {
            assertTrue(pc >= 0 && pc < code.size(), "pc " + pc + " outside the program");
            long v = code.get(pc++);
            int op = (int) (v & 0xff);
            int dst = (int) (v >> 8 & 0xf);
            int src = (int) (v >> 12 & 0xf);
            int off = (short) (v >> 16);
            long imm = (int) (v >> 32); // sign-extended, as the kernel does for 64-bit operations
            assertTrue(off >= 0, "a backward jump");
            switch (op) {
                case DeviceProgram.LDX_MEM_W -> {
                    assertEquals(1, src, "loads only from the context");
                    assertEquals(0, off % 4);
                    reg[dst] = ctx[off / 4] & 0xffffffffL;
                }
                case DeviceProgram.MOV64_X -> reg[dst] = reg[src];
                case DeviceProgram.MOV64_K -> reg[dst] = imm;
                case DeviceProgram.AND64_K -> reg[dst] &= imm;
                case DeviceProgram.RSH64_K -> reg[dst] >>>= imm;
                case DeviceProgram.JEQ_K -> pc += reg[dst] == imm ? off : 0;
                case DeviceProgram.JNE_K -> pc += reg[dst] != imm ? off : 0;
                case DeviceProgram.JNE32_K -> pc += (int) reg[dst] != (int) imm ? off : 0;
                case DeviceProgram.EXIT -> {
                    return (int) reg[0];
                }
                default -> throw new AssertionError("unexpected opcode " + Integer.toHexString(op) + " at " + (pc - 1));
            }
        }
        throw new AssertionError("the program did not exit");
    }
}
