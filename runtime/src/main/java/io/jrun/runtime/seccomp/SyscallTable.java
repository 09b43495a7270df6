package io.jrun.runtime.seccomp;

import io.jrun.runtime.JrunException;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

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
            byte[] bytes;
            try (InputStream in = SyscallTable.class.getResourceAsStream("syscalls-" + arch + ".properties")) {
                if (in == null) {
                    throw new JrunException("seccomp: no syscall table for " + arch + " in the jar");
                }
                bytes = in.readAllBytes();
            } catch (IOException e) {
                throw new JrunException("seccomp: read the syscall table for " + arch + ": " + e.getMessage());
            }
            // name=number lines, parsed by hand: java.util.Properties costs milliseconds on every start
            Map<String, Integer> m = new HashMap<>(1024);
            String text = new String(bytes, java.nio.charset.StandardCharsets.US_ASCII);
            int start = 0;
            while (start < text.length()) {
                int end = text.indexOf('\n', start);
                if (end < 0) {
                    end = text.length();
                }
                int eq = text.indexOf('=', start);
                if (eq > start && eq < end) {
                    m.put(text.substring(start, eq), Integer.parseInt(text, eq + 1, end, 10));
                }
                start = end + 1;
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
