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
public record MountOptions(long flags, long clearedFlags, long propagation, String data, boolean copyUp,
        long attrSet, long attrClear, int idmap) {
    private record Flag(boolean clear, long value) {}

    /** {@link #idmap()}: none, "idmap" (the mount itself), "ridmap" (it and every mount below it). */
    public static final int NO_IDMAP = 0, IDMAP = 1, RIDMAP = 2;

    // mount_setattr(2)'s MOUNT_ATTR_*: the atime ones are one field, MOUNT_ATTR__ATIME
    static final long ATTR_RDONLY = 0x1, ATTR_NOSUID = 0x2, ATTR_NODEV = 0x4, ATTR_NOEXEC = 0x8,
            ATTR_ATIME_MASK = 0x70, ATTR_RELATIME = 0, ATTR_NOATIME = 0x10, ATTR_STRICTATIME = 0x20,
            ATTR_NODIRATIME = 0x80, ATTR_NOSYMFOLLOW = 0x200000;

    /** runc 1.2's recursive options: applied with mount_setattr AT_RECURSIVE to a mount and all below it. */
    private static final Map<String, Flag> RECURSIVE = Map.ofEntries(
            Map.entry("rro", new Flag(false, ATTR_RDONLY)),
            Map.entry("rrw", new Flag(true, ATTR_RDONLY)),
            Map.entry("rnosuid", new Flag(false, ATTR_NOSUID)),
            Map.entry("rsuid", new Flag(true, ATTR_NOSUID)),
            Map.entry("rnodev", new Flag(false, ATTR_NODEV)),
            Map.entry("rdev", new Flag(true, ATTR_NODEV)),
            Map.entry("rnoexec", new Flag(false, ATTR_NOEXEC)),
            Map.entry("rexec", new Flag(true, ATTR_NOEXEC)),
            Map.entry("rnodiratime", new Flag(false, ATTR_NODIRATIME)),
            Map.entry("rdiratime", new Flag(true, ATTR_NODIRATIME)),
            Map.entry("rrelatime", new Flag(false, ATTR_RELATIME)),
            Map.entry("rnorelatime", new Flag(true, ATTR_RELATIME)),
            Map.entry("rnoatime", new Flag(false, ATTR_NOATIME)),
            Map.entry("ratime", new Flag(true, ATTR_NOATIME)),
            Map.entry("rstrictatime", new Flag(false, ATTR_STRICTATIME)),
            Map.entry("rnostrictatime", new Flag(true, ATTR_STRICTATIME)),
            Map.entry("rnosymfollow", new Flag(false, ATTR_NOSYMFOLLOW)),
            Map.entry("rsymfollow", new Flag(true, ATTR_NOSYMFOLLOW)));

    private static final java.util.Set<String> ATIME_OPTIONS = java.util.Set.of("rrelatime", "rnorelatime",
            "rnoatime", "ratime", "rstrictatime", "rnostrictatime");

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
        long flags = 0, cleared = 0, propagation = 0, attrSet = 0, attrClear = 0;
        int idmap = NO_IDMAP;
        boolean copyUp = false;
        List<String> data = new ArrayList<>();
        for (String o : options) {
            if (o.equals("tmpcopyup")) { // runc's and crun's: the tmpfs starts with what the directory held
                copyUp = true;
                continue;
            }
            if (o.equals("idmap") || o.equals("ridmap")) {
                idmap = o.equals("ridmap") ? RIDMAP : IDMAP;
                continue;
            }
            Flag r = RECURSIVE.get(o);
            if (r != null) {
                if (ATIME_OPTIONS.contains(o)) {
                    // one field, not bits: a new atime setting clears the field first; "ratime" and kin
                    // (not noatime, ...) go back to the kernel's default, relatime
                    attrSet &= ~ATTR_ATIME_MASK;
                    attrClear |= ATTR_ATIME_MASK;
                    if (!r.clear()) {
                        attrSet |= r.value();
                    }
                } else if (r.clear()) {
                    attrSet &= ~r.value();
                    attrClear |= r.value();
                } else {
                    attrSet |= r.value();
                    attrClear &= ~r.value();
                }
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
        return new MountOptions(flags, cleared, propagation, String.join(",", data), copyUp, attrSet, attrClear,
                idmap);
    }

    /** Every option name jrun turns into flags (the rest pass to the filesystem as data). */
    public static java.util.SortedSet<String> knownOptions() {
        java.util.SortedSet<String> all = new java.util.TreeSet<>(FLAGS.keySet());
        all.addAll(PROPAGATION.keySet());
        all.add("tmpcopyup");
        all.addAll(RECURSIVE.keySet());
        all.add("idmap");
        all.add("ridmap");
        return all;
    }

    /** The propagation flag of a {@code linux.rootfsPropagation} value, or null if unknown. */
    public static Long propagation(String name) {
        return PROPAGATION.get(name);
    }
}
