package io.jrun.runtime.security;

import java.util.List;
import java.util.Map;

/** Linux capability names (as the OCI spec spells them, CAP_*) and their bit numbers. */
public final class Capabilities {
    /** By bit, from linux/capability.h (CapabilityData, generated at build time). */
    private static final List<String> NAMES = CapabilityData.NAMES;
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
