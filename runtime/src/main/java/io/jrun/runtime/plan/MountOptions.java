package io.jrun.runtime.plan;

import static io.jrun.runtime.plan.LinuxConstants.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The options of an OCI mount, as mount(8) spells them, split into mount flags,
 * propagation flags and the data string for the filesystem (e.g. tmpfs's
 * {@code size=64m,mode=755}).
 */
public record MountOptions(long flags, long clearedFlags, long propagation, String data, boolean copyUp) {
    private record Flag(boolean clear, long value) {}

    private static final Map<String, Flag> FLAGS = Map.ofEntries(
            Map.entry("defaults", new Flag(false, 0)),
            Map.entry("ro", new Flag(false, MS_RDONLY)),
            Map.entry("rw", new Flag(true, MS_RDONLY)),
            Map.entry("nosuid", new Flag(false, MS_NOSUID)),
            Map.entry("suid", new Flag(true, MS_NOSUID)),
            Map.entry("nodev", new Flag(false, MS_NODEV)),
            Map.entry("dev", new Flag(true, MS_NODEV)),
            Map.entry("noexec", new Flag(false, MS_NOEXEC)),
            Map.entry("exec", new Flag(true, MS_NOEXEC)),
            Map.entry("sync", new Flag(false, MS_SYNCHRONOUS)),
            Map.entry("async", new Flag(true, MS_SYNCHRONOUS)),
            Map.entry("dirsync", new Flag(false, MS_DIRSYNC)),
            Map.entry("remount", new Flag(false, MS_REMOUNT)),
            Map.entry("mand", new Flag(false, MS_MANDLOCK)),
            Map.entry("nomand", new Flag(true, MS_MANDLOCK)),
            Map.entry("atime", new Flag(true, MS_NOATIME)),
            Map.entry("noatime", new Flag(false, MS_NOATIME)),
            Map.entry("diratime", new Flag(true, MS_NODIRATIME)),
            Map.entry("nodiratime", new Flag(false, MS_NODIRATIME)),
            Map.entry("bind", new Flag(false, MS_BIND)),
            Map.entry("rbind", new Flag(false, MS_BIND | MS_REC)),
            Map.entry("relatime", new Flag(false, MS_RELATIME)),
            Map.entry("norelatime", new Flag(true, MS_RELATIME)),
            Map.entry("strictatime", new Flag(false, MS_STRICTATIME)),
            Map.entry("nostrictatime", new Flag(true, MS_STRICTATIME)),
            Map.entry("nosymfollow", new Flag(false, MS_NOSYMFOLLOW)),
            Map.entry("symfollow", new Flag(true, MS_NOSYMFOLLOW)),
            Map.entry("silent", new Flag(false, MS_SILENT)),
            Map.entry("loud", new Flag(true, MS_SILENT)));

    private static final Map<String, Long> PROPAGATION = Map.of(
            "private", MS_PRIVATE,
            "rprivate", MS_PRIVATE | MS_REC,
            "shared", MS_SHARED,
            "rshared", MS_SHARED | MS_REC,
            "slave", MS_SLAVE,
            "rslave", MS_SLAVE | MS_REC,
            "unbindable", MS_UNBINDABLE,
            "runbindable", MS_UNBINDABLE | MS_REC);

    /** The flags of a remount that gives a bind mount its options; 0 when none is needed. */
    public long bindRemountFlags() {
        return flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    }

    public boolean isBind() {
        return (flags & MS_BIND) != 0;
    }

    public static MountOptions parse(List<String> options) {
        long flags = 0, cleared = 0, propagation = 0;
        boolean copyUp = false;
        List<String> data = new ArrayList<>();
        for (String o : options) {
            if (o.equals("tmpcopyup")) { // runc's and crun's: the tmpfs starts with what the directory held
                copyUp = true;
                continue;
            }
            Flag f = FLAGS.get(o);
            Long p = PROPAGATION.get(o);
            if (f != null) {
                if (f.clear()) {
                    flags &= ~f.value();
                    cleared |= f.value();
                } else {
                    flags |= f.value();
                    cleared &= ~f.value();
                }
            } else if (p != null) {
                propagation = p;
            } else {
                data.add(o);
            }
        }
        return new MountOptions(flags, cleared, propagation, String.join(",", data), copyUp);
    }

    /** Every option name jrun turns into flags (the rest pass to the filesystem as data). */
    public static java.util.SortedSet<String> knownOptions() {
        java.util.SortedSet<String> all = new java.util.TreeSet<>(FLAGS.keySet());
        all.addAll(PROPAGATION.keySet());
        all.add("tmpcopyup");
        return all;
    }

    /** The propagation flag of a {@code linux.rootfsPropagation} value, or null if unknown. */
    public static Long propagation(String name) {
        return PROPAGATION.get(name);
    }
}
