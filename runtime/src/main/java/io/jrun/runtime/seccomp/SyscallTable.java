package io.jrun.runtime.seccomp;

import io.jrun.runtime.JrunException;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/** Syscall names to numbers for one architecture, from the tables generated out of the kernel's headers. */
final class SyscallTable {
    private static final Map<String, SyscallTable> LOADED = new HashMap<>();
    private final Map<String, Integer> numbers;

    private SyscallTable(Map<String, Integer> numbers) {
        this.numbers = numbers;
    }

    static synchronized SyscallTable of(String arch) throws JrunException {
        SyscallTable t = LOADED.get(arch);
        if (t == null) {
            Properties p = new Properties();
            try (InputStream in = SyscallTable.class.getResourceAsStream("syscalls-" + arch + ".properties")) {
                if (in == null) {
                    throw new JrunException("seccomp: no syscall table for " + arch + " in the jar");
                }
                p.load(in);
            } catch (IOException e) {
                throw new JrunException("seccomp: read the syscall table for " + arch + ": " + e.getMessage());
            }
            Map<String, Integer> m = new HashMap<>();
            for (String name : p.stringPropertyNames()) {
                m.put(name, Integer.parseInt(p.getProperty(name)));
            }
            t = new SyscallTable(m);
            LOADED.put(arch, t);
        }
        return t;
    }

    /** The number, or -1 when this architecture has no such syscall (a rule for it is then skipped, as libseccomp does). */
    int number(String name) {
        Integer n = numbers.get(name);
        return n == null ? -1 : n;
    }

    boolean knows(String name) {
        return numbers.containsKey(name);
    }
}
