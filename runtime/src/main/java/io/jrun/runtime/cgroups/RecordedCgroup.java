package io.jrun.runtime.cgroups;

import io.jrun.runtime.JrunException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a cgroup that a state file names before anything in it is signalled or removed: a damaged
 * or altered state.json must not lead jrun to kill the processes of a cgroup it did not make (the host's
 * root cgroup, another container's). Each directory must be a normalised absolute path strictly below a
 * cgroup or cgroup2 mount of this host (never a hierarchy's root), not reached through a symlink, and each
 * directory recorded as made by jrun must be one of those or one of their parents below the mount.
 */
public final class RecordedCgroup {
    private RecordedCgroup() {}

    public static void check(List<String> dirs, List<String> created, String what) throws JrunException {
        List<Path> mounts = cgroupMounts();
        List<Path> ds = new ArrayList<>();
        for (String d : dirs) {
            ds.add(below(mounts, d, what));
        }
        for (String c : created) {
            Path p = below(mounts, c, what);
            boolean ancestor = false;
            for (Path d : ds) {
                ancestor |= d.startsWith(p);
            }
            if (!ancestor) {
                throw new JrunException(what + ": " + c + " is recorded as made by jrun but is not the container's"
                        + " cgroup nor one of its parents: nothing in it is touched");
            }
        }
    }

    private static Path below(List<Path> mounts, String s, String what) throws JrunException {
        Path p;
        try {
            p = Path.of(s);
        } catch (java.nio.file.InvalidPathException e) {
            throw new JrunException(what + ": \"" + s + "\" is not a path");
        }
        if (!p.isAbsolute() || !p.normalize().equals(p) || s.contains("/../") || s.endsWith("/..")) {
            throw new JrunException(what + ": cgroup \"" + s + "\" is not a normalised absolute path");
        }
        for (Path m : mounts) {
            if (p.startsWith(m) && !p.equals(m)) {
                // no symlink on the way down from the mount (cgroupfs has none; anything else is not jrun's)
                for (Path q = p; q != null && !q.equals(m); q = q.getParent()) {
                    if (Files.isSymbolicLink(q)) {
                        throw new JrunException(what + ": cgroup " + s + " leads through a symlink: not jrun's");
                    }
                }
                return p;
            }
        }
        throw new JrunException(what + ": " + s + " is not a cgroup below a cgroup mount of this host (a hierarchy's"
                + " root is never a container's): nothing in it is touched");
    }

    /** The mount points of cgroup and cgroup2 filesystems in this mount namespace. */
    static List<Path> cgroupMounts() throws JrunException {
        List<Path> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                int dash = java.util.Arrays.asList(f).indexOf("-");
                if (dash > 4 && dash + 1 < f.length && (f[dash + 1].equals("cgroup") || f[dash + 1].equals("cgroup2"))
                        && Files.isDirectory(Path.of(f[4]), LinkOption.NOFOLLOW_LINKS)) {
                    out.add(Path.of(f[4]));
                }
            }
        } catch (IOException e) {
            throw new JrunException("read /proc/self/mountinfo: " + e.getMessage());
        }
        return out;
    }
}
