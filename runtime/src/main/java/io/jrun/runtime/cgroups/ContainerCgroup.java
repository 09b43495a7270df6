package io.jrun.runtime.cgroups;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.cgroups.v1.V1Controllers;
import io.jrun.runtime.cgroups.v2.DeviceProgram;
import io.jrun.runtime.cgroups.v2.V2Controllers;
import io.jrun.runtime.spec.Spec;
import io.jrun.runtime.plan.Errno;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A container's cgroup: one directory on cgroup v2, one per mounted v1 hierarchy. jrun
 * removes only the directories it created (recorded in the container's state).
 */
public final class ContainerCgroup {
    /** The key of a hybrid host's cgroup2 directory among a v1 container's. */
    private static final String UNIFIED = " unified";
    private final boolean v2;
    private final Map<String, Path> byController; // v1: controller -> dir; v2: "" -> dir
    private final List<Path> created = new ArrayList<>();
    private final Map<Path, String> hierarchyNames = new LinkedHashMap<>();
    private final Map<Path, Path> mounts = new LinkedHashMap<>(); // dir -> its hierarchy's mount point
    private boolean defaultPlacement;
    private boolean refused; // create() refused a cgroup it found in use: remove() kills nothing there
    private Path own; // v2: the caller's own cgroup directory (placed ones only)

    /** v1: the name a hierarchy has under /sys/fs/cgroup ("memory", "cpu,cpuacct"), for the container's view. */
    public String hierarchyName(Path dir) {
        return hierarchyNames.getOrDefault(dir, dir.getFileName().toString());
    }

    private ContainerCgroup(boolean v2, Map<String, Path> byController) {
        this.v2 = v2;
        this.byController = byController;
    }

    /** Where a container's cgroup goes (nothing is made yet). */
    public static ContainerCgroup place(CgroupHost host, String cgroupsPath, String id) throws JrunException {
        if (cgroupsPath != null && cgroupsPath.contains(":") && !cgroupsPath.contains("/")) {
            throw new JrunException("linux.cgroupsPath \"" + cgroupsPath + "\": a systemd slice:prefix:name path;"
                    + " jrun manages cgroupfs paths only");
        }
        if (cgroupsPath != null && (cgroupsPath.contains("/../") || cgroupsPath.endsWith("/..")
                || cgroupsPath.startsWith("../") || cgroupsPath.equals(".."))) {
            throw new JrunException("linux.cgroupsPath \"" + cgroupsPath + "\": \"..\" is not allowed");
        }
        Map<String, Path> dirs = new LinkedHashMap<>();
        boolean byDefault = cgroupsPath == null || cgroupsPath.isEmpty();
        if (host.isV2()) {
            dirs.put("", host.v2Mount().resolve(strip(CgroupHost.placement(cgroupsPath, host.v2Own(), id))));
            ContainerCgroup c = new ContainerCgroup(true, dirs);
            c.defaultPlacement = byDefault;
            c.own = host.v2Mount().resolve(strip(host.v2Own()));
            c.mounts.put(dirs.get(""), host.v2Mount());
            return c;
        }
        for (Map.Entry<String, CgroupHost.Hierarchy> e : host.v1().entrySet()) {
            dirs.put(e.getKey(), e.getValue().dirOf(CgroupHost.placement(cgroupsPath, e.getValue().own(), id)));
        }
        CgroupHost.Hierarchy unified = host.unified();
        if (unified != null) { // last: a v1 controller's files are looked for first
            dirs.put(UNIFIED, unified.dirOf(CgroupHost.placement(cgroupsPath, unified.own(), id)));
        }
        ContainerCgroup c = new ContainerCgroup(false, dirs);
        c.defaultPlacement = byDefault;
        for (Map.Entry<String, CgroupHost.Hierarchy> e : host.v1().entrySet()) {
            c.hierarchyNames.put(dirs.get(e.getKey()), e.getValue().mount().getFileName().toString());
            c.mounts.put(dirs.get(e.getKey()), e.getValue().mount());
        }
        if (unified != null) {
            c.hierarchyNames.put(dirs.get(UNIFIED), unified.mount().getFileName().toString());
            c.mounts.put(dirs.get(UNIFIED), unified.mount());
        }
        return c;
    }

    /** A container's cgroup as recorded in its state: the directories jrun made, deepest first. */
    public static ContainerCgroup recorded(boolean v2, List<String> dirs, List<String> created) {
        Map<String, Path> m = new LinkedHashMap<>();
        for (int i = 0; i < dirs.size(); i++) {
            m.put(Integer.toString(i), Path.of(dirs.get(i)));
        }
        ContainerCgroup c = new ContainerCgroup(v2, m);
        for (String d : created) {
            c.created.add(Path.of(d));
        }
        return c;
    }

    /**
     * The cgroup an exec'd process joins with runc's {@code --cgroup}: {@code sub} maps a
     * controller (or "" for every hierarchy) to a path below this container's cgroup in that
     * controller's hierarchy; hierarchies not named stay the container's own. On cgroup v2 only
     * "" applies (one hierarchy). Paths may not leave the container's cgroup.
     */
    public ContainerCgroup below(Map<String, String> sub, CgroupHost host, String what) throws JrunException {
        List<String> dirs = new ArrayList<>();
        java.util.Set<String> used = new java.util.HashSet<>();
        for (Path d : dirs()) {
            String path = sub.get("");
            if (v2) {
                for (String c : sub.keySet()) {
                    if (!c.isEmpty()) {
                        throw new JrunException(what + " " + c + ":" + sub.get(c) + ": cgroup v2 has one hierarchy:"
                                + " give the path without a controller");
                    }
                }
            } else {
                for (CgroupHost.Hierarchy h : host.v1().values()) {
                    if (d.startsWith(h.mount())) {
                        for (String c : h.controllers()) {
                            if (sub.containsKey(c)) {
                                path = sub.get(c);
                                used.add(c);
                            }
                        }
                    }
                }
            }
            dirs.add(path == null ? d.toString() : inside(d, path, what).toString());
        }
        for (String c : sub.keySet()) {
            if (!c.isEmpty() && !used.contains(c) && !v2) {
                throw new JrunException(what + " " + c + ":" + sub.get(c) + ": unknown controller " + c
                        + " (none of the container's hierarchies has it)");
            }
        }
        return recorded(v2, dirs, List.of());
    }

    private static Path inside(Path dir, String path, String what) throws JrunException {
        Path p = dir.resolve(strip(path)).normalize();
        if (!p.startsWith(dir)) {
            throw new JrunException(what + " " + path + ": not below the container's cgroup " + dir);
        }
        return p;
    }

    private static String strip(String p) {
        return p.startsWith("/") ? p.substring(1) : p;
    }

    public boolean isV2() {
        return v2;
    }

    /** The distinct directories (v1 hierarchies mounted together share one). */
    public List<Path> dirs() {
        return new ArrayList<>(new LinkedHashSet<>(byController.values()));
    }

    /** The mount point of the hierarchy {@code dir} is in (what {@link #create()} makes parents below). */
    public Path mountOf(Path dir) {
        return mounts.get(dir);
    }

    /** Whether {@code dir} is a v1 cpuset directory (its cpus and mems are filled in from its parent's). */
    public boolean isCpuset(Path dir) {
        return !v2 && dir.equals(byController.get("cpuset"));
    }

    /** Whether this is the default placement {@code jrun/<id>} (its parent is recorded as jrun's). */
    public boolean defaultPlacement() {
        return defaultPlacement;
    }

    /** The directories jrun made, deepest first: what {@link #remove()} takes away. */
    public List<Path> created() {
        List<Path> c = new ArrayList<>();
        for (Path p : created) { // insertion by depth, deepest first (no lambda on the run path)
            int i = 0;
            while (i < c.size() && c.get(i).getNameCount() >= p.getNameCount()) {
                i++;
            }
            c.add(i, p);
        }
        return c;
    }

    /**
     * Makes the directories, recording the ones that were not there. Other containers (threads of
     * this JVM, other jrun processes) make and remove the same parents at the same time: a mkdir
     * that finds the directory made meanwhile is content, and one whose parent was removed
     * meanwhile by the last container leaving it starts over. A parent that was missing when this
     * container looked is recorded as jrun's, as is the default placement's {@code jrun/}, so the
     * last container to leave removes it (rmdir only removes an empty cgroup).
     */
    public void create() throws JrunException {
        refuseInUse();
        for (Path dir : dirs()) {
            Path top = mounts.get(dir);
            boolean cpuset = !v2 && dir.equals(byController.get("cpuset"));
            for (int attempt = 0;; attempt++) {
                try {
                    make(dir, top, cpuset);
                    break;
                } catch (Vanished e) {
                    if (attempt == 100) {
                        throw new JrunException("mkdir " + dir + ": " + e.getMessage()
                                + " (a parent was removed 100 times while this was made)");
                    }
                }
            }
            if (defaultPlacement && !created.contains(dir.getParent())) {
                created.add(dir.getParent());
            }
        }
    }

    /**
     * An existing cgroup given as cgroupsPath must be empty and not frozen (as runc checks): a
     * frozen one would hold the init forever before its first step.
     */
    private void refuseInUse() throws JrunException {
        for (Path dir : dirs()) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            String why = null;
            if (Files.exists(dir.resolve("freezer.state"))) {
                String st = CgroupFiles.read(dir, "freezer.state");
                why = st.equals("THAWED") ? null : "is frozen (freezer.state " + st + ")";
            } else if (v2 && Files.exists(dir.resolve("cgroup.freeze"))
                    && CgroupFiles.read(dir, "cgroup.freeze").equals("1")) {
                why = "is frozen (cgroup.freeze 1)";
            }
            if (why == null) {
                try {
                    for (String line : Files.readAllLines(dir.resolve("cgroup.procs"))) {
                        if (!line.isBlank()) {
                            why = "already has processes (" + line.trim() + " among them)";
                            break;
                        }
                    }
                } catch (IOException e) {
                    // unreadable: the attach will say why
                }
            }
            if (why != null) {
                refused = true;
                throw new JrunException("cgroups: " + dir + " " + why + ": a container needs an empty, thawed cgroup");
            }
        }
    }

    /** A directory on the way was removed by another container meanwhile: start again. */
    private static final class Vanished extends Exception {
        Vanished(Path p) {
            super(p + ": No such file or directory (ENOENT)", null, false, false);
        }
    }

    /** Makes {@code dir} and its missing parents below {@code top}; cpuset ones get cpus and mems before use. */
    private void make(Path dir, Path top, boolean cpuset) throws JrunException, Vanished {
        List<Path> chain = new ArrayList<>();
        for (Path p = dir; p != null && !p.equals(top); p = p.getParent()) {
            chain.add(0, p);
        }
        for (Path p : chain) {
            if (!Files.isDirectory(p)) {
                try {
                    Files.createDirectory(p);
                    record(p);
                } catch (FileAlreadyExistsException e) {
                    if (!p.equals(dir)) {
                        record(p); // made by another container meanwhile: jrun's, shared
                    }
                } catch (NoSuchFileException e) {
                    throw new Vanished(p.getParent());
                } catch (IOException e) {
                    throw new JrunException("mkdir " + p + ": " + Errno.describe(reason(e)));
                }
            }
            if (cpuset && top != null) {
                inheritCpuset(p, top);
            }
        }
    }

    private void record(Path p) {
        if (!created.contains(p)) {
            created.add(0, p);
        }
    }

    /** ENODEV: a file of a cgroup that was removed between its open and the read or write. */
    private static boolean removed(IOException e) {
        return "No such device".equals(reason(e));
    }

    private static String reason(IOException e) {
        return e instanceof FileSystemException f && f.getReason() != null ? f.getReason()
                : String.valueOf(e.getMessage());
    }

    /**
     * Writes the limits. jrun does this once the init has set itself up (device nodes made)
     * and before the user program runs, as runc does.
     */
    public void apply(Spec.Resources resources) throws JrunException {
        if (v2) {
            enableControllers(mounts.get(dirs().get(0)), dirs().get(0), own, V2Controllers.needed(resources));
            V2Controllers.apply(dirs().get(0), resources);
        } else {
            V1Controllers.apply(byController, resources);
        }
    }

    /**
     * A v1 cpuset takes no task until it has cpus and mems (ENOSPC): an empty one gets its
     * parent's, the parent made usable first, as runc does. Every directory on the way is
     * checked, since another container may have made a parent and not yet filled it in.
     */
    private static void inheritCpuset(Path p, Path top) throws JrunException, Vanished {
        for (String f : CPUSET_FILES) {
            if (cpusetValue(p, f).isEmpty()) {
                Path parent = p.getParent();
                String v = cpusetValue(parent, f);
                if (v.isEmpty() && !parent.equals(top)) {
                    inheritCpuset(parent, top);
                    v = cpusetValue(parent, f);
                }
                try {
                    Files.writeString(p.resolve(f), v, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                } catch (NoSuchFileException e) {
                    throw new Vanished(p);
                } catch (IOException e) {
                    if (removed(e)) {
                        throw new Vanished(p);
                    }
                    throw new JrunException("write " + v + " to " + p.resolve(f) + ": " + Errno.describe(reason(e)));
                }
            }
        }
    }

    private static final List<String> CPUSET_FILES = List.of("cpuset.cpus", "cpuset.mems");

    private static String cpusetValue(Path dir, String f) throws JrunException, Vanished {
        try {
            return Files.readString(dir.resolve(f)).trim();
        } catch (NoSuchFileException e) {
            throw new Vanished(dir);
        } catch (IOException e) {
            if (removed(e)) {
                throw new Vanished(dir);
            }
            throw new JrunException("read " + dir.resolve(f) + ": " + Errno.describe(reason(e)));
        }
    }

    /**
     * v2: the parents of the container's directory whose {@code cgroup.controllers} and {@code
     * cgroup.subtree_control} {@link #apply} reads and jrun never makes: the caller's own cgroup and those above
     * it, from the mount down (none on v1, or for a cgroup not placed under the caller's). What a cached plan's
     * enabling of controllers depends on: the plan cache keeps their files as facts of its compile.
     */
    public List<Path> hostParents() {
        List<Path> out = new ArrayList<>();
        if (!v2 || own == null) {
            return out;
        }
        Path dir = dirs().get(0);
        Path top = mounts.get(dir);
        for (Path p = dir.getParent(); p != null && top != null && p.startsWith(top); p = p.getParent()) {
            if (own.startsWith(p)) {
                out.add(0, p);
            }
        }
        return out;
    }

    /**
     * Enables the controllers in the cgroup.subtree_control of every parent of {@code dir} below the mount
     * {@code top}, from the top down, where available (in the parent's cgroup.controllers) and not enabled yet.
     * While the plan cache records the writes ({@link CgroupFiles#recording()}), the parents below the caller's
     * own cgroup {@code own} (the default placement's {@code jrun/}, which the last container leaving removes)
     * are taken as just made, as a cached run that makes them finds them: available what the parent above
     * enables, nothing enabled. A cached run that finds one made by another container gets the same writes,
     * which change nothing there. The parents from {@code own} up are read as they are ({@link #hostParents}).
     */
    static void enableControllers(Path top, Path dir, Path own, List<String> wanted) throws JrunException {
        List<Path> parents = new ArrayList<>();
        for (Path p = dir.getParent(); p != null && top != null && p.startsWith(top); p = p.getParent()) {
            parents.add(0, p);
        }
        boolean recording = CgroupFiles.recording();
        Set<String> above = Set.of(); // what the parent above enables, with what was added there
        for (Path p : parents) {
            boolean fresh = recording && own != null && !own.startsWith(p);
            Set<String> available = fresh ? above : words(CgroupFiles.read(p, "cgroup.controllers"));
            Set<String> enabled = fresh ? Set.of() : words(CgroupFiles.read(p, "cgroup.subtree_control"));
            Set<String> now = new LinkedHashSet<>(enabled);
            StringBuilder add = new StringBuilder();
            for (String c : wanted) {
                if (available.contains(c) && !enabled.contains(c)) {
                    add.append(add.length() == 0 ? "" : " ").append('+').append(c);
                    now.add(c);
                }
            }
            if (add.length() > 0) {
                CgroupFiles.write(p, "cgroup.subtree_control", add.toString());
            }
            above = now;
        }
    }

    /** The words of a cgroup list file ("cpu memory pids"). */
    private static Set<String> words(String line) {
        Set<String> out = new LinkedHashSet<>();
        for (String w : line.split(" ")) {
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }

    /** The cgroup.procs files a new process is written into, before it runs anything of its own. */
    public List<String> procsFiles() {
        List<String> out = new ArrayList<>();
        for (Path d : dirs()) {
            out.add(d.resolve("cgroup.procs").toString());
        }
        return out;
    }

    /**
     * The pids in the container's cgroup and the sub-cgroups made in it (read from the first
     * hierarchy that lists any).
     */
    public List<Long> pids() {
        for (Path d : dirs()) {
            List<Long> pids = new ArrayList<>();
            for (Path sub : subtree(d)) {
                try {
                    for (String line : Files.readAllLines(sub.resolve("cgroup.procs"))) {
                        if (!line.isBlank()) {
                            pids.add(Long.parseLong(line.trim()));
                        }
                    }
                } catch (IOException | NumberFormatException e) {
                    // this cgroup is gone or unreadable: the others still count
                }
            }
            if (!pids.isEmpty()) {
                return pids;
            }
        }
        return List.of();
    }

    /** {@code dir} and every cgroup below it, deepest first (empty when it is gone). */
    static List<Path> subtree(Path dir) {
        List<Path> out = new ArrayList<>();
        addSubtree(dir, out, 0);
        return out;
    }

    private static void addSubtree(Path dir, List<Path> out, int depth) {
        if (depth < 32) {
            try (java.nio.file.DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
                for (Path p : s) {
                    if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        addSubtree(p, out, depth + 1);
                    }
                }
            } catch (IOException e) {
                return; // gone meanwhile
            }
        }
        out.add(dir);
    }

    /** The directory of the hierarchy that has {@code file} (v1: one per controller), or null. */
    private Path dirWith(String file) {
        for (Path d : dirs()) {
            if (Files.exists(d.resolve(file))) {
                return d;
            }
        }
        return null;
    }

    /** Freezes every process of the container and waits until the kernel says they are (v1 freezer.state, v2 cgroup.freeze). */
    public void freeze() throws JrunException {
        setFrozen(true);
    }

    public void thaw() throws JrunException {
        setFrozen(false);
    }

    private void setFrozen(boolean frozen) throws JrunException {
        Path d = v2 ? dirWith("cgroup.freeze") : dirWith("freezer.state");
        if (d == null) {
            throw new JrunException("cgroups: no freezer for the container (looked for freezer.state and cgroup.freeze"
                    + " in " + dirs() + ")");
        }
        if (v2) {
            CgroupFiles.write(d, "cgroup.freeze", frozen ? "1" : "0");
        } else {
            CgroupFiles.write(d, "freezer.state", frozen ? "FROZEN" : "THAWED");
        }
        for (int i = 0; i < 1000; i++) {
            if (isFrozen() == frozen) {
                return;
            }
            try {
                Thread.sleep(i < 20 ? 1 : 10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (!v2 && frozen) {
                CgroupFiles.write(d, "freezer.state", "FROZEN"); // v1 may stay FREEZING: ask again
            }
        }
        throw new JrunException("cgroups: the container did not become " + (frozen ? "frozen" : "thawed")
                + " within 10 s (" + d + ")");
    }

    public boolean isFrozen() {
        try {
            if (v2) {
                Path d = dirWith("cgroup.events");
                return d != null && CgroupFiles.keyed(d, "cgroup.events", "frozen") == 1;
            }
            Path d = dirWith("freezer.state");
            return d != null && CgroupFiles.read(d, "freezer.state").equals("FROZEN");
        } catch (JrunException e) {
            return false;
        }
    }

    /**
     * Changes the limits of a running container: only the fields {@code r} sets are written.
     * Device rules get jrun's devices ({@code devices}: the config's linux.devices) allowed after
     * a deny-all, as at create; on v2 their program replaces the one attached before, through
     * the stage binary {@code stage}.
     */
    public void update(Spec.Resources r, List<Spec.Device> devices, Path stage) throws JrunException {
        List<Spec.DeviceRule> rules = DeviceDefaults.rules(r.devices(), devices);
        if (rules != r.devices()) {
            r = r.withDevices(rules);
        }
        if (v2) {
            V2Controllers.apply(dirs().get(0), r);
            if (!rules.isEmpty()) {
                DeviceProgram p = DeviceProgram.compile(rules);
                (p == null ? DeviceProgram.allowAll() : p).replaceIn(stage, dirs().get(0));
            }
            return;
        }
        Map<String, Path> byName = new LinkedHashMap<>();
        for (String c : List.of("memory", "pids", "cpu", "cpuset", "blkio", "hugetlb", "devices", "net_cls",
                "net_prio")) {
            Path d = dirWith(c.equals("cpu") ? "cpu.shares" : c.equals("pids") ? "pids.max"
                    : c.equals("memory") ? "memory.limit_in_bytes" : c.equals("cpuset") ? "cpuset.cpus"
                    : c.equals("blkio") ? "blkio.weight" : c.equals("devices") ? "devices.allow"
                    : c.equals("net_cls") ? "net_cls.classid" : c.equals("net_prio") ? "net_prio.ifpriomap"
                    : "cgroup.procs");
            if (d != null && (!c.equals("hugetlb") || d.toString().contains("hugetlb"))) {
                byName.put(c, d);
            }
        }
        V1Controllers.apply(byName, r);
    }

    /** runc-shaped stats ({@code events --stats}): cpu, memory, pids, blkio, hugetlb, as this host has them. */
    public Map<String, Object> stats() {
        Map<String, Object> data = new LinkedHashMap<>();
        Map<String, Object> cpu = new LinkedHashMap<>();
        Map<String, Object> usage = new LinkedHashMap<>();
        if (v2) {
            Path d = dirs().get(0);
            long usec = CgroupFiles.keyed(d, "cpu.stat", "usage_usec");
            usage.put("total", Math.max(0, usec) * 1000);
            usage.put("kernel", Math.max(0, CgroupFiles.keyed(d, "cpu.stat", "system_usec")) * 1000);
            usage.put("user", Math.max(0, CgroupFiles.keyed(d, "cpu.stat", "user_usec")) * 1000);
            cpu.put("usage", usage);
            data.put("cpu", cpu);
            data.put("memory", ordered("usage", ordered("usage", number(d, "memory.current"),
                    "limit", number(d, "memory.max")), "oom_kill", Math.max(0, oomKills())));
            data.put("pids", ordered("current", number(d, "pids.current"), "limit", number(d, "pids.max")));
            return data;
        }
        Path acct = dirWith("cpuacct.usage");
        if (acct != null) {
            usage.put("total", number(acct, "cpuacct.usage"));
            usage.put("kernel", Math.max(0, CgroupFiles.keyed(acct, "cpuacct.stat", "system")) * 10_000_000L);
            usage.put("user", Math.max(0, CgroupFiles.keyed(acct, "cpuacct.stat", "user")) * 10_000_000L);
            cpu.put("usage", usage);
        }
        Path cpuDir = dirWith("cpu.stat");
        if (cpuDir != null) {
            cpu.put("throttling", ordered("periods", Math.max(0, CgroupFiles.keyed(cpuDir, "cpu.stat", "nr_periods")),
                    "throttled_periods", Math.max(0, CgroupFiles.keyed(cpuDir, "cpu.stat", "nr_throttled")),
                    "throttled_time", Math.max(0, CgroupFiles.keyed(cpuDir, "cpu.stat", "throttled_time"))));
        }
        data.put("cpu", cpu);
        Path mem = dirWith("memory.usage_in_bytes");
        if (mem != null) {
            data.put("memory", ordered("usage", ordered("usage", number(mem, "memory.usage_in_bytes"),
                    "max", number(mem, "memory.max_usage_in_bytes"), "failcnt", number(mem, "memory.failcnt"),
                    "limit", number(mem, "memory.limit_in_bytes")), "oom_kill", Math.max(0, oomKills())));
        }
        Path pids = dirWith("pids.current");
        if (pids != null) {
            data.put("pids", ordered("current", number(pids, "pids.current"), "limit", number(pids, "pids.max")));
        }
        return data;
    }

    /** A JSON object in the order given (Map.of has none: stats are printed in runc's order). */
    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** A file's number; "max" (no limit) as 0, as runc prints it; -1 when unreadable. */
    private static long number(Path dir, String file) {
        try {
            String v = CgroupFiles.read(dir, file);
            return v.equals("max") ? 0 : Long.parseLong(v);
        } catch (JrunException | NumberFormatException e) {
            return -1;
        }
    }

    /** How many times the kernel's OOM killer killed a process of the container (v2 memory.events, v1 memory.oom_control). */
    public long oomKills() {
        for (Path d : dirs()) {
            long n = CgroupFiles.keyed(d, v2 ? "memory.events" : "memory.oom_control", "oom_kill");
            if (n >= 0) {
                return n;
            }
        }
        return 0;
    }

    /**
     * Kills what is left in the container's cgroup (thawing it, as a frozen process cannot
     * die), then removes the directories jrun made, deepest first, with the sub-cgroups the
     * container made in its own: the container's own waiting (up to 2 s) for its processes
     * to go, a parent only when no other container uses it any more (rmdir refuses a
     * cgroup that still has children, so a concurrent creator is not disturbed).
     */
    public void remove() throws JrunException {
        if (!refused) {
            killAndThaw();
        }
        Set<Path> own = new java.util.HashSet<>(dirs());
        for (Path p : created()) {
            List<Path> doomed = own.contains(p) && !refused ? subtree(p) : List.of(p);
            for (Path d : doomed) {
                rmdir(d, own.contains(p) ? 200 : 1, own.contains(p));
            }
        }
    }

    /** SIGKILL to every process in the cgroup, then a thaw if it is frozen, so that they can die. */
    public void killAndThaw() throws JrunException {
        for (long pid : pids()) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        if (isFrozen()) {
            thaw();
        }
    }

    private static void rmdir(Path p, int tries, boolean mustGo) throws JrunException {
        IOException last = null;
        for (int i = 0; i < tries && Files.isDirectory(p); i++) {
            try {
                Files.deleteIfExists(p);
                last = null;
            } catch (IOException e) {
                last = e;
                if (i + 1 < tries) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
        }
        if (last != null && mustGo) {
            throw new JrunException("rmdir " + p + ": " + Errno.describe(reason(last)) + " (processes are still in it)");
        }
    }

    /**
     * Checks a cgroup that a state file names before anything in it is signalled or removed: a damaged
     * or altered state.json must not lead jrun to kill the processes of a cgroup it did not make (the host's
     * root cgroup, another container's). Each directory must be a normalised absolute path strictly below a
     * cgroup or cgroup2 mount of this host (never a hierarchy's root), not reached through a symlink, and each
     * directory recorded as made by jrun must be one of those or one of their parents below the mount.
     */
    public static void checkRecorded(List<String> dirs, List<String> created, String what) throws JrunException {
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
