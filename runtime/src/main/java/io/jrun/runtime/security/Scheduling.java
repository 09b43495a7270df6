package io.jrun.runtime.security;

import io.jrun.runtime.JrunException;
import java.util.Map;

/**
 * runtime-spec 1.2's scheduling settings as the kernel takes them: {@code process.ioPriority}
 * (ioprio_set), {@code process.scheduler} (sched_setattr) and CPU lists for
 * {@code process.execCPUAffinity} (sched_setaffinity).
 */
public final class Scheduling {
    public static final Map<String, Long> IO_CLASSES = Map.of(
            "IOPRIO_CLASS_RT", 1L, "IOPRIO_CLASS_BE", 2L, "IOPRIO_CLASS_IDLE", 3L);
    public static final Map<String, Long> POLICIES = Map.of(
            "SCHED_OTHER", 0L, "SCHED_FIFO", 1L, "SCHED_RR", 2L, "SCHED_BATCH", 3L, "SCHED_ISO", 4L,
            "SCHED_IDLE", 5L, "SCHED_DEADLINE", 6L);
    public static final Map<String, Long> FLAGS = Map.of(
            "SCHED_FLAG_RESET_ON_FORK", 0x01L, "SCHED_FLAG_RECLAIM", 0x02L, "SCHED_FLAG_DL_OVERRUN", 0x04L,
            "SCHED_FLAG_KEEP_POLICY", 0x08L, "SCHED_FLAG_KEEP_PARAMS", 0x10L, "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20L,
            "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40L);
    /** CPUs a list may name: the kernel's CONFIG_NR_CPUS limit on x86_64 and arm64 builds. */
    public static final int MAX_CPUS = 8192;

    private Scheduling() {}

    /** ioprio_set(2)'s value: the class in bits 13 and up, the priority below. */
    public static long ioprio(String ioClass, long priority) {
        return IO_CLASSES.get(ioClass) << 13 | priority;
    }

    /**
     * A CPU list ("0-3,7", as cpuset and taskset -c write it) as a mask of 64-bit words, CPU n at bit
     * n % 64 of word n / 64; {@code field} names it in errors.
     */
    public static long[] cpuMask(String list, String field) throws JrunException {
        long[] words = new long[1];
        String[] parts = list.trim().split(",", -1);
        for (String part : parts) {
            String p = part.trim();
            int dash = p.indexOf('-');
            long lo, hi;
            try {
                lo = Long.parseLong(dash < 0 ? p : p.substring(0, dash).trim());
                hi = dash < 0 ? lo : Long.parseLong(p.substring(dash + 1).trim());
            } catch (NumberFormatException e) {
                throw new JrunException(field + ": \"" + list + "\" is not a CPU list (such as 0-3,7)");
            }
            if (lo < 0 || hi < lo || hi >= MAX_CPUS) {
                throw new JrunException(field + ": \"" + list + "\": the range " + p + " is not from 0 to "
                        + (MAX_CPUS - 1) + ", low to high");
            }
            for (long cpu = lo; cpu <= hi; cpu++) {
                int w = (int) (cpu / 64);
                if (w >= words.length) {
                    words = java.util.Arrays.copyOf(words, w + 1);
                }
                words[w] |= 1L << (cpu % 64);
            }
        }
        return words;
    }
}
