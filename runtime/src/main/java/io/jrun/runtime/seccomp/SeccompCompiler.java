package io.jrun.runtime.seccomp;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.spec.Spec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Compiles an OCI {@code linux.seccomp} object to a classic BPF program for seccomp(2), in
 * Java: the stage only loads the instructions. The program checks the architecture first
 * (unknown ones are killed), then, per architecture, each rule in order (first match wins),
 * then the default action. 64-bit argument comparisons are made on both 32-bit halves.
 */
public final class SeccompCompiler {
    /**
     * A compiled filter: its instructions (code, jt, jf, k packed in a long each) and seccomp(2) flags;
     * with an SCMP_ACT_NOTIFY rule, {@link #NEW_LISTENER} is among them and {@code listenerPath} names
     * the socket the listener fd goes to (else null).
     */
    public record Filter(List<Long> instructions, long flags, String listenerPath, String listenerMetadata) {
        public boolean notifies() {
            return (flags & NEW_LISTENER) != 0;
        }
    }

    /** SECCOMP_FILTER_FLAG_NEW_LISTENER: seccomp(2) returns a notify fd for SCMP_ACT_NOTIFY rules. */
    public static final long NEW_LISTENER = 8;
    /**
     * The stage hands the listener fd to its monitor with sendmsg(2) and says so with write(2) while
     * no one has the fd: a notify rule for either would stop the container for good (runc refuses
     * write the same way).
     */
    private static final List<String> NEVER_NOTIFIED = List.of("write", "sendmsg");

    // classic BPF
    private static final int LD_W_ABS = 0x20;
    private static final int JEQ = 0x15, JGT = 0x25, JGE = 0x35, JA = 0x05;
    private static final int AND_K = 0x54;
    private static final int RET_K = 0x06;
    // struct seccomp_data
    private static final int NR = 0, ARCH = 4, ARGS = 16;

    static final long RET_KILL_PROCESS = 0x80000000L, RET_KILL_THREAD = 0, RET_TRAP = 0x00030000,
            RET_ERRNO = 0x00050000, RET_TRACE = 0x7ff00000, RET_LOG = 0x7ffc0000, RET_ALLOW = 0x7fff0000,
            RET_USER_NOTIF = 0x7fc00000L;
    static final long X32_BIT = 0x40000000L;

    /** OCI architecture names, their AUDIT_ARCH values and jrun's table names. */
    private static final Map<String, long[]> AUDIT = Map.of(
            "SCMP_ARCH_X86_64", new long[] {0xC000003EL}, "SCMP_ARCH_X86", new long[] {0x40000003L},
            "SCMP_ARCH_X32", new long[] {0xC000003EL}, "SCMP_ARCH_AARCH64", new long[] {0xC00000B7L});
    private static final Map<String, String> TABLE = Map.of(
            "SCMP_ARCH_X86_64", "x86_64", "SCMP_ARCH_X86", "x86", "SCMP_ARCH_X32", "x32",
            "SCMP_ARCH_AARCH64", "aarch64");
    private static final Map<String, Long> FLAGS = Map.of(
            "SECCOMP_FILTER_FLAG_TSYNC", 1L, "SECCOMP_FILTER_FLAG_LOG", 2L, "SECCOMP_FILTER_FLAG_SPEC_ALLOW", 4L,
            "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 32L);

    private SeccompCompiler() {}

    /** The OCI architecture name of this JVM's machine. */
    public static String nativeArch() {
        String a = System.getProperty("os.arch");
        return a.equals("aarch64") ? "SCMP_ARCH_AARCH64" : a.equals("x86") || a.equals("i386") ? "SCMP_ARCH_X86"
                : "SCMP_ARCH_X86_64";
    }

    public static Filter compile(Spec.Seccomp s) throws JrunException {
        return compile(s, nativeArch());
    }

    static Filter compile(Spec.Seccomp s, String nativeArch) throws JrunException {
        long flags = 0;
        for (String f : s.flags()) {
            Long v = FLAGS.get(f);
            if (v == null) {
                throw new JrunException("linux.seccomp.flags: unknown or unsupported flag \"" + f + "\"");
            }
            flags |= v;
        }
        if (s.defaultAction().equals("SCMP_ACT_NOTIFY")) {
            throw new JrunException("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action (the"
                    + " runtime's own last syscalls would wait on a listener that has no fd yet)");
        }
        long def = action(s.defaultAction(), s.defaultErrnoRet(), "linux.seccomp.defaultAction");
        List<String> archs = new ArrayList<>();
        archs.add(nativeArch);
        for (String a : s.architectures()) {
            // one jrun has no syscall table for (SCMP_ARCH_ARM, SCMP_ARCH_S390X, ... in a profile written for
            // every host) is left out, as runc leaves out what the host cannot run: the filter then kills
            // a process of that architecture, as it does any it does not list
            if (!AUDIT.containsKey(a)) {
                continue;
            }
            if (!archs.contains(a)) {
                archs.add(a);
            }
        }
        // a name this architecture lacks is skipped, as runc does: profiles such as Podman's list
        // syscalls of every architecture (pciconfig_iobase, ...)
        boolean notify = false;
        for (int k = 0; k < s.syscalls().size(); k++) {
            Spec.SyscallRule r = s.syscalls().get(k);
            action(r.action(), r.errnoRet(), "linux.seccomp.syscalls[" + k + "].action");
            if (r.action().equals("SCMP_ACT_NOTIFY")) {
                notify = true;
                if (s.listenerPath() == null || s.listenerPath().isEmpty()) {
                    throw new JrunException("linux.seccomp.syscalls[" + k + "].action: SCMP_ACT_NOTIFY needs"
                            + " linux.seccomp.listenerPath, the socket its listener receives the fd on");
                }
                for (String name : r.names()) {
                    if (NEVER_NOTIFIED.contains(name)) {
                        throw new JrunException("linux.seccomp.syscalls[" + k + "]: SCMP_ACT_NOTIFY cannot be used"
                                + " for the " + name + " syscall (jrun's stage hands the listener fd on with it)");
                    }
                }
            }
            for (Spec.ArgRule a : r.args()) {
                if (!List.of("SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                        "SCMP_CMP_MASKED_EQ").contains(a.op())) {
                    throw new JrunException("linux.seccomp.syscalls[" + k + "].args: unknown op \"" + a.op() + "\"");
                }
            }
        }
        execveAllowed(s);
        // a listenerPath without a notify rule is not used (runc accepts it too): no listener is connected
        if (notify) {
            flags |= NEW_LISTENER;
        }
        Asm asm = new Asm();
        boolean x32 = archs.contains("SCMP_ARCH_X32");
        asm.load(ARCH);
        for (String a : archs) {
            if (a.equals("SCMP_ARCH_X32")) {
                continue; // shares x86_64's AUDIT_ARCH: told apart by the syscall number's X32 bit
            }
            asm.jumpFar(JEQ, AUDIT.get(a)[0], "arch:" + a);
        }
        asm.ret(RET_KILL_PROCESS); // an architecture the filter does not know
        for (String a : archs) {
            if (a.equals("SCMP_ARCH_X32")) {
                continue;
            }
            asm.label("arch:" + a);
            asm.load(NR);
            if (a.equals("SCMP_ARCH_X86_64")) {
                asm.jumpFar(JGE, X32_BIT, x32 ? "rules:SCMP_ARCH_X32" : "badarch");
            }
            rules(asm, a, s, def);
        }
        if (x32) {
            asm.label("rules:SCMP_ARCH_X32");
            rules(asm, "SCMP_ARCH_X32", s, def);
        }
        asm.label("badarch");
        asm.ret(RET_KILL_PROCESS);
        return new Filter(asm.assemble(), flags, notify ? s.listenerPath() : null, notify ? s.listenerMetadata() : null);
    }

    /** The rules of one architecture, then its default; the syscall number is in A. */
    private static void rules(Asm asm, String arch, Spec.Seccomp s, long def) throws JrunException {
        SyscallTable table = SyscallTable.of(TABLE.get(arch));
        // exit and exit_group always pass: a profile that refuses them would leave the init spinning
        // in _exit when its execve fails, instead of ending
        for (String always : List.of("exit", "exit_group")) {
            int nr = table.number(always);
            if (nr >= 0) {
                String next = asm.fresh(arch + ":exit");
                asm.jump(JEQ, nr, null, next);
                asm.ret(RET_ALLOW);
                asm.label(next);
            }
        }
        int rule = 0;
        for (Spec.SyscallRule r : s.syscalls()) {
            long ret = action(r.action(), r.errnoRet(), "");
            for (String name : r.names()) {
                int nr = table.number(name);
                if (nr < 0) {
                    continue;
                }
                String next = arch + ":next:" + rule++;
                asm.jump(JEQ, nr, null, next);
                for (Spec.ArgRule a : r.args()) {
                    argCheck(asm, a, next);
                }
                asm.ret(ret);
                asm.label(next);
                asm.load(NR); // the argument checks overwrote A
            }
        }
        asm.ret(def);
    }

    /** Falls through when argument {@code a} matches, else jumps to {@code fail}. */
    private static void argCheck(Asm asm, Spec.ArgRule a, String fail) {
        int lo = ARGS + 8 * (int) a.index(), hi = lo + 4; // little-endian halves
        long v = a.value(), vhi = v >>> 32, vlo = v & 0xFFFFFFFFL;
        String ok = asm.fresh("ok"), checkLo = asm.fresh("lo");
        switch (a.op()) {
            case "SCMP_CMP_EQ":
                asm.load(hi);
                asm.jump(JEQ, vhi, null, fail);
                asm.load(lo);
                asm.jump(JEQ, vlo, null, fail);
                break;
            case "SCMP_CMP_NE":
                asm.load(hi);
                asm.jump(JEQ, vhi, checkLo, ok);
                asm.label(checkLo);
                asm.load(lo);
                asm.jump(JEQ, vlo, fail, ok);
                break;
            case "SCMP_CMP_GT":
            case "SCMP_CMP_GE":
                asm.load(hi);
                asm.jump(JGT, vhi, ok, null);
                asm.jump(JEQ, vhi, null, fail);
                asm.load(lo);
                asm.jump(a.op().equals("SCMP_CMP_GT") ? JGT : JGE, vlo, null, fail);
                break;
            case "SCMP_CMP_LT":
            case "SCMP_CMP_LE":
                asm.load(hi);
                asm.jump(JGE, vhi, null, ok); // hi < vhi: less
                asm.jump(JEQ, vhi, null, fail); // hi > vhi: not
                asm.load(lo);
                asm.jump(a.op().equals("SCMP_CMP_LT") ? JGE : JGT, vlo, fail, null);
                break;
            default: { // SCMP_CMP_MASKED_EQ: (arg & value) == valueTwo
                long two = a.valueTwo();
                asm.load(hi);
                asm.and(vhi);
                asm.jump(JEQ, two >>> 32, null, fail);
                asm.load(lo);
                asm.and(vlo);
                asm.jump(JEQ, two & 0xFFFFFFFFL, null, fail);
                break;
            }
        }
        asm.label(ok);
    }

    /**
     * The filter is loaded right before the stage's execve: a profile that refuses execve would end the init
     * there, and its report of the failure with it when write is refused too (exit 127, nothing said). The
     * first rule naming execve without argument conditions decides, else the default; a rule with conditions
     * may allow it, so then nothing is refused here.
     */
    private static void execveAllowed(Spec.Seccomp s) throws JrunException {
        String action = s.defaultAction();
        String why = "defaultAction " + action + " applies to it and no rule allows it";
        for (int k = 0; k < s.syscalls().size(); k++) {
            Spec.SyscallRule r = s.syscalls().get(k);
            if (r.names().contains("execve")) {
                if (!r.args().isEmpty()) {
                    return;
                }
                action = r.action();
                why = "syscalls[" + k + "] gives it " + action;
                break;
            }
        }
        if (!List.of("SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY").contains(action)) {
            throw new JrunException("linux.seccomp: execve blocked by seccomp: " + why
                    + ", so the program could never start");
        }
    }

    /** The SECCOMP_RET_* value of an OCI action. */
    private static long action(String action, Long errnoRet, String field) throws JrunException {
        switch (action) {
            case "SCMP_ACT_KILL":
            case "SCMP_ACT_KILL_THREAD":
                return RET_KILL_THREAD;
            case "SCMP_ACT_KILL_PROCESS":
                return RET_KILL_PROCESS;
            case "SCMP_ACT_TRAP":
                return RET_TRAP;
            case "SCMP_ACT_ERRNO":
                return RET_ERRNO | ((errnoRet == null ? 1 : errnoRet) & 0xFFFF); // EPERM unless told
            case "SCMP_ACT_TRACE":
                return RET_TRACE | ((errnoRet == null ? 1 : errnoRet) & 0xFFFF);
            case "SCMP_ACT_LOG":
                return RET_LOG;
            case "SCMP_ACT_ALLOW":
                return RET_ALLOW;
            case "SCMP_ACT_NOTIFY":
                return RET_USER_NOTIF;
            default:
                throw new JrunException(field + ": unknown action \"" + action + "\"");
        }
    }

    /** A tiny assembler: instructions with symbolic jump targets, resolved to 8-bit offsets (or ja) at the end. */
    static final class Asm {
        private record Insn(int code, long k, String jt, String jf, String ja) {}

        private final List<Insn> insns = new ArrayList<>();
        private final Map<String, Integer> labels = new HashMap<>();
        private int fresh;

        String fresh(String p) {
            return "_" + p + (fresh++);
        }

        void load(int offset) {
            insns.add(new Insn(LD_W_ABS, offset, null, null, null));
        }

        void and(long k) {
            insns.add(new Insn(AND_K, k, null, null, null));
        }

        /** A conditional jump; a null target falls through. */
        void jump(int op, long k, String jt, String jf) {
            insns.add(new Insn(op, k, jt, jf, null));
        }

        /** A conditional jump to anywhere: the test skips over a ja, which has a 32-bit offset. */
        void jumpFar(int op, long k, String target) {
            insns.add(new Insn(op, k, null, "_skip" + insns.size(), null));
            insns.add(new Insn(JA, 0, null, null, target));
            labels.put("_skip" + (insns.size() - 2), insns.size());
        }

        void ret(long k) {
            insns.add(new Insn(RET_K, k, null, null, null));
        }

        void label(String name) {
            labels.put(name, insns.size());
        }

        List<Long> assemble() throws JrunException {
            if (insns.size() > 4096) {
                throw new JrunException("seccomp: the filter has " + insns.size() + " instructions, more than 4096");
            }
            List<Long> packed = new ArrayList<>();
            for (int i = 0; i < insns.size(); i++) {
                Insn n = insns.get(i);
                int jt = n.jt() == null ? 0 : offset(n.jt(), i);
                int jf = n.jf() == null ? 0 : offset(n.jf(), i);
                long k = n.ja() == null ? n.k() : labels.get(n.ja()) - i - 1;
                packed.add(((long) n.code() << 48) | ((long) jt << 40) | ((long) jf << 32) | (k & 0xFFFFFFFFL));
            }
            return packed;
        }

        private int offset(String label, int from) throws JrunException {
            Integer to = labels.get(label);
            if (to == null) {
                throw new IllegalStateException("seccomp: no label " + label);
            }
            int off = to - from - 1;
            if (off < 0 || off > 255) {
                throw new JrunException("seccomp: a rule's jump of " + off + " instructions is out of reach"
                        + " (cBPF allows 255): split the rule");
            }
            return off;
        }
    }
}
