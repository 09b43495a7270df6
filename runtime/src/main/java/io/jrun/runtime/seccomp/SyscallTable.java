package io.jrun.runtime.seccomp;

import io.jrun.runtime.JrunException;
import java.util.HashMap;
import java.util.Map;

/** Syscall names to numbers for one architecture, from {@link SyscallData}, generated out of the kernel's headers. */
final class SyscallTable {
    private static final Map<String, SyscallTable> LOADED = new HashMap<>();
    private final String text; // "\nname=number\n..." : looked up by name, never parsed whole

    private SyscallTable(String text) {
        this.text = text;
    }

    static synchronized SyscallTable of(String arch) throws JrunException {
        SyscallTable t = LOADED.get(arch);
        if (t == null) {
            String text = switch (arch) {
                case "x86_64" -> SyscallData.X86_64;
                case "x86" -> SyscallData.X86;
                case "x32" -> SyscallData.X32;
                case "aarch64" -> SyscallData.AARCH64;
                default -> throw new JrunException("seccomp: no syscall table for " + arch);
            };
            // a profile names a few dozen syscalls of a table of ~400: each is looked up in the text
            t = new SyscallTable(text);
            LOADED.put(arch, t);
        }
        return t;
    }

    /** The number, or -1 when this architecture has no such syscall (a rule for it is then skipped, as libseccomp does). */
    int number(String name) {
        int at = text.indexOf("\n" + name + "=");
        if (at < 0) {
            return -1;
        }
        int start = at + name.length() + 2;
        int end = text.indexOf('\n', start);
        return Integer.parseInt(text, start, end < 0 ? text.length() : end, 10);
    }
}
