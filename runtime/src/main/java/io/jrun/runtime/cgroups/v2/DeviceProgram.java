package io.jrun.runtime.cgroups.v2;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.spec.Spec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * linux.resources.devices as the eBPF program cgroup v2 runs on every device access
 * ({@code BPF_PROG_TYPE_CGROUP_DEVICE}): it reads {@code struct bpf_cgroup_dev_ctx} (access_type:
 * the device type in the low 16 bits, block 1, char 2; the access in the high 16, mknod 1, read 2,
 * write 4; then major, minor) and returns 1 to allow, 0 to deny. The stage loads and attaches it.
 *
 * <p>Semantics, as on a v1 devices controller under an allow-all parent (these hosts): the
 * rules apply in order on top of "everything allowed", so for each requested access bit the
 * last rule that matches the device and names that bit decides; the request is allowed when
 * every bit of it is. The program walks the rules from the last to the first: a matching deny
 * that names a bit still undecided denies; a matching allow marks its bits decided and allows
 * once none is left; with no rule left the default decides: that of the last rule matching every
 * device with every access ("a *:* rwm", where the rules before it no longer matter), else allow.
 */
public final class DeviceProgram {
    /** One instruction as the stage's wire format carries it: code | dst << 8 | src << 12 | off << 16 | imm << 32. */
    private final List<Long> instructions;

    private DeviceProgram(List<Long> instructions) {
        this.instructions = List.copyOf(instructions);
    }

    public List<Long> instructions() {
        return instructions;
    }

    /** The instructions as struct bpf_insn lays them out (little-endian), as {@code jrun --cgroup-devices} reads them. */
    public byte[] bytes() {
        byte[] b = new byte[instructions.size() * 8];
        for (int i = 0; i < instructions.size(); i++) {
            long v = instructions.get(i);
            for (int k = 0; k < 8; k++) {
                b[i * 8 + k] = (byte) (v >>> (8 * k));
            }
        }
        return b;
    }

    /**
     * Attaches this program to the cgroup {@code dir} in place of the device programs jrun
     * attached there before ({@code jrun update}), through the stage binary {@code stage}
     * ({@code --cgroup-devices}): bpf() is a C call, and the CLI loads no native-call library.
     */
    public void replaceIn(Path stage, Path dir) throws JrunException {
        try {
            Process p = new ProcessBuilder(stage.toString(), "--cgroup-devices", dir.toString())
                    .redirectErrorStream(true).start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(bytes());
            }
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (p.waitFor() != 0) {
                throw new JrunException(out.startsWith("jrun: ") ? out.substring(6)
                        : "attach the device rules to cgroup " + dir + ": " + out);
            }
        } catch (IOException e) {
            throw new JrunException("attach the device rules to cgroup " + dir + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JrunException("attach the device rules to cgroup " + dir + ": interrupted");
        }
    }

    /** A program that allows everything: what replaces the rules when an update allows all. */
    public static DeviceProgram allowAll() {
        return new DeviceProgram(List.of(insn(MOV64_K, R0, 0, 0, 1), insn(EXIT, 0, 0, 0, 0)));
    }

    // eBPF opcodes (linux/bpf_common.h, linux/bpf.h)
    static final int LDX_MEM_W = 0x61;    // BPF_LDX | BPF_MEM | BPF_W
    static final int MOV64_X = 0xbf;      // BPF_ALU64 | BPF_MOV | BPF_X
    static final int MOV64_K = 0xb7;      // BPF_ALU64 | BPF_MOV | BPF_K
    static final int AND64_K = 0x57;      // BPF_ALU64 | BPF_AND | BPF_K
    static final int RSH64_K = 0x77;      // BPF_ALU64 | BPF_RSH | BPF_K
    static final int JEQ_K = 0x15;        // BPF_JMP | BPF_JEQ | BPF_K
    static final int JNE_K = 0x55;        // BPF_JMP | BPF_JNE | BPF_K
    static final int JNE32_K = 0x56;      // BPF_JMP32 | BPF_JNE | BPF_K: compares the low 32 bits (Linux 5.1)
    static final int EXIT = 0x95;         // BPF_JMP | BPF_EXIT

    static final int TYPE_BLOCK = 1;
    static final int TYPE_CHAR = 2;
    static final int ACC_MKNOD = 1;
    static final int ACC_READ = 2;
    static final int ACC_WRITE = 4;
    private static final int ACC_ALL = ACC_MKNOD | ACC_READ | ACC_WRITE;

    // registers: r1 the context; r2 type, r3 access, r4 major, r5 minor, r6 access bits still undecided
    private static final int R0 = 0;
    private static final int R1 = 1;
    private static final int TYPE = 2;
    private static final int ACCESS = 3;
    private static final int MAJOR = 4;
    private static final int MINOR = 5;
    private static final int UNDECIDED = 6;

    static long insn(int code, int dst, int src, int off, int imm) {
        return (code & 0xffL) | (dst & 0xfL) << 8 | (src & 0xfL) << 12 | (off & 0xffffL) << 16
                | (imm & 0xffffffffL) << 32;
    }

    /** A rule as the program tests it: type 0 for any, major/minor -1 for any, access bits. */
    private record Rule(boolean allow, int type, long major, long minor, int access) {
        boolean all() {
            return type == 0 && major < 0 && minor < 0 && access == ACC_ALL;
        }
    }

    /**
     * The program for {@code rules} (in the config's order, jrun's defaults already in them), or
     * null when they allow every access to every device: then no program is needed.
     */
    public static DeviceProgram compile(List<Spec.DeviceRule> rules) throws JrunException {
        List<Rule> rs = new ArrayList<>();
        boolean defaultAllow = true;
        for (Spec.DeviceRule d : rules) {
            Rule r = rule(d);
            if (r.all()) { // everything before it is overridden
                rs.clear();
                defaultAllow = r.allow();
            } else {
                rs.add(r);
            }
        }
        // allows on top of an allow-all default change nothing
        if (defaultAllow) {
            boolean anyDeny = false;
            for (Rule r : rs) {
                anyDeny |= !r.allow();
            }
            if (!anyDeny) {
                return null;
            }
        }
        List<Long> p = new ArrayList<>();
        p.add(insn(LDX_MEM_W, TYPE, R1, 0, 0));
        p.add(insn(MOV64_X, ACCESS, TYPE, 0, 0));
        p.add(insn(AND64_K, TYPE, 0, 0, 0xffff));
        p.add(insn(RSH64_K, ACCESS, 0, 0, 16));
        p.add(insn(LDX_MEM_W, MAJOR, R1, 4, 0));
        p.add(insn(LDX_MEM_W, MINOR, R1, 8, 0));
        p.add(insn(MOV64_X, UNDECIDED, ACCESS, 0, 0));
        for (int i = rs.size() - 1; i >= 0; i--) {
            block(p, rs.get(i));
        }
        p.add(insn(MOV64_K, R0, 0, 0, defaultAllow ? 1 : 0));
        p.add(insn(EXIT, 0, 0, 0, 0));
        return new DeviceProgram(p);
    }

    /** One rule: skips to the next one when the device or the undecided bits do not match. */
    private static void block(List<Long> p, Rule r) {
        List<int[]> checks = new ArrayList<>(); // {code, reg, imm}: jump past the block when not equal
        if (r.type() != 0) {
            checks.add(new int[] {JNE32_K, TYPE, r.type()});
        }
        if (r.major() >= 0) {
            checks.add(new int[] {JNE32_K, MAJOR, (int) r.major()});
        }
        if (r.minor() >= 0) {
            checks.add(new int[] {JNE32_K, MINOR, (int) r.minor()});
        }
        int len = checks.size() + 3 + (r.allow() ? 4 : 2);
        int at = 0;
        for (int[] c : checks) {
            p.add(insn(c[0], c[1], 0, len - at - 1, c[2]));
            at++;
        }
        p.add(insn(MOV64_X, R0, UNDECIDED, 0, 0));
        p.add(insn(AND64_K, R0, 0, 0, r.access()));
        p.add(insn(JEQ_K, R0, 0, len - at - 3, 0));
        at += 3;
        if (r.allow()) {
            p.add(insn(AND64_K, UNDECIDED, 0, 0, ~r.access()));
            p.add(insn(JNE_K, UNDECIDED, 0, len - at - 2, 0));
            p.add(insn(MOV64_K, R0, 0, 0, 1));
        } else {
            p.add(insn(MOV64_K, R0, 0, 0, 0));
        }
        p.add(insn(EXIT, 0, 0, 0, 0));
    }

    private static Rule rule(Spec.DeviceRule d) throws JrunException {
        String t = d.type() == null || d.type().isEmpty() ? "a" : d.type();
        int type = switch (t) {
            case "a" -> 0;
            case "b" -> TYPE_BLOCK;
            case "c", "u" -> TYPE_CHAR;
            default -> throw new JrunException("linux.resources.devices: type \"" + t + "\" is not a, b or c");
        };
        int access = 0;
        String a = d.access() == null || d.access().isEmpty() ? "rwm" : d.access();
        for (char c : a.toCharArray()) {
            access |= switch (c) {
                case 'r' -> ACC_READ;
                case 'w' -> ACC_WRITE;
                case 'm' -> ACC_MKNOD;
                default -> throw new JrunException("linux.resources.devices: access \"" + a
                        + "\" has '" + c + "', not one of r, w, m");
            };
        }
        return new Rule(d.allow(), type, number(d.major(), "major"), number(d.minor(), "minor"), access);
    }

    private static long number(Long n, String what) throws JrunException {
        if (n == null || n < 0) {
            return -1;
        }
        if (n > 0xffffffffL) {
            throw new JrunException("linux.resources.devices: " + what + " " + n + " is not a device number");
        }
        return n;
    }
}
