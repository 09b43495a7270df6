package io.jrun.runtime.security;

import java.util.List;
import java.util.Map;

/** Linux capability names (as the OCI spec spells them, CAP_*) and their bit numbers. */
public final class Capabilities {
    private static final List<String> NAMES = List.of(
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
            "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
            "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
            "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
            "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
            "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
            "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
            "CAP_CHECKPOINT_RESTORE");
    private static final Map<String, Integer> BITS;

    static {
        Map<String, Integer> m = new java.util.HashMap<>();
        for (int i = 0; i < NAMES.size(); i++) {
            m.put(NAMES.get(i), i);
        }
        BITS = Map.copyOf(m);
    }

    private Capabilities() {}

    public static List<String> names() {
        return NAMES;
    }

    /** The bit of a capability name, or -1 when unknown. */
    public static int bit(String name) {
        Integer b = BITS.get(name);
        return b == null ? -1 : b;
    }

    /** The names as a bit mask; every name must be known ({@link #bit}). */
    public static long mask(List<String> names) {
        long m = 0;
        for (String n : names) {
            m |= 1L << bit(n);
        }
        return m;
    }
}
