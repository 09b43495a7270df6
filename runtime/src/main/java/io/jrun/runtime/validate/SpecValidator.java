package io.jrun.runtime.validate;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.plan.MountOptions;
import io.jrun.runtime.spec.Spec;
import io.jrun.runtime.security.Capabilities;
import io.jrun.runtime.security.Rlimits;
import io.jrun.runtime.security.Scheduling;
import io.jrun.runtime.security.Sysctls;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Rules of the runtime-spec (and of what this version of jrun can do) that a
 * well-typed config can still break.  The first broken rule is reported.
 */
public final class SpecValidator {
    public static final Set<String> NAMESPACE_TYPES =
            Set.of("pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time");
    /** {@code linux.personality.domain} values and their personality(2) numbers (PER_LINUX, PER_LINUX32). */
    public static final java.util.Map<String, Long> PERSONALITY_DOMAINS = java.util.Map.of("LINUX", 0L, "LINUX32", 8L);
    /** The clocks a time namespace offsets (the keys of {@code linux.timeOffsets}). */
    public static final Set<String> TIME_CLOCKS = Set.of("monotonic", "boottime");

    private SpecValidator() {}

    /** The major of a semantic version "M.m.p[-suffix]", or null when it is not one. */
    static String majorVersion(String v) {
        int dash = v.indexOf('-');
        String[] parts = (dash < 0 ? v : v.substring(0, dash)).split("\\.", -1);
        if (parts.length != 3) {
            return null;
        }
        for (String p : parts) {
            if (p.isEmpty()) {
                return null;
            }
            for (int i = 0; i < p.length(); i++) {
                if (p.charAt(i) < '0' || p.charAt(i) > '9') {
                    return null;
                }
            }
        }
        return parts[0];
    }

    public static void validate(Spec spec, String file) throws JrunException {
        String major = majorVersion(spec.ociVersion());
        if (major == null) {
            throw new JrunException(file + ": ociVersion: \"" + spec.ociVersion() + "\" is not a version (1.x.y)");
        }
        if (!major.equals("1")) {
            throw new JrunException(file + ": ociVersion: " + spec.ociVersion()
                    + ": unsupported major version (jrun supports runtime-spec 1.x)");
        }
        if (spec.process() == null) {
            throw new JrunException(file + ": process: missing");
        }
        validateProcess(spec.process(), file);
        if (spec.root() == null || spec.root().path() == null || spec.root().path().isEmpty()) {
            throw new JrunException(file + ": root.path: missing");
        }
        validateLinux(spec, file);
    }

    /** The rules of a process, for a container's init and for {@code exec}. */
    public static void validateProcess(Spec.Process p, String file) throws JrunException {
        validateScheduling(p, file);
        if (p.args().isEmpty() || p.args().get(0).isEmpty()) {
            throw new JrunException(file + ": process.args: must name a program");
        }
        if (p.cwd() == null || !p.cwd().startsWith("/")) {
            throw new JrunException(file + ": process.cwd: must be an absolute path, got "
                    + (p.cwd() == null ? "nothing" : "\"" + p.cwd() + "\""));
        }
        for (int k = 0; k < p.env().size(); k++) {
            String e = p.env().get(k);
            if (e.indexOf('=') <= 0) {
                throw new JrunException(file + ": process.env[" + k + "]: \"" + e + "\" is not KEY=VALUE");
            }
        }
        checkId(p.user().uid(), file, "process.user.uid");
        checkId(p.user().gid(), file, "process.user.gid");
        for (int k = 0; k < p.user().additionalGids().size(); k++) {
            checkId(p.user().additionalGids().get(k), file, "process.user.additionalGids[" + k + "]");
        }
        if (p.capabilities() != null) {
            Spec.Capabilities c = p.capabilities();
            String[] sets = {"bounding", "effective", "inheritable", "permitted", "ambient"};
            List<List<String>> lists = List.of(c.bounding(), c.effective(), c.inheritable(), c.permitted(), c.ambient());
            for (int i = 0; i < sets.length; i++) {
                for (String name : lists.get(i)) {
                    if (Capabilities.bit(name) < 0) {
                        throw new JrunException(file + ": process.capabilities." + sets[i] + ": unknown capability \""
                                + name + "\"");
                    }
                }
            }
        }
        Set<String> limits = new HashSet<>();
        for (int k = 0; k < p.rlimits().size(); k++) {
            Spec.Rlimit r = p.rlimits().get(k);
            String f = file + ": process.rlimits[" + k + "]: ";
            if (Rlimits.number(r.type()) < 0) {
                throw new JrunException(f + "unknown type \"" + r.type() + "\"");
            }
            if (r.soft() > r.hard()) {
                throw new JrunException(f + r.type() + ": soft limit " + r.soft() + " exceeds hard limit " + r.hard());
            }
            if (!limits.add(r.type())) {
                throw new JrunException(f + r.type() + " appears twice");
            }
        }
        if (p.oomScoreAdj() != null && (p.oomScoreAdj() < -1000 || p.oomScoreAdj() > 1000)) {
            throw new JrunException(file + ": process.oomScoreAdj: " + p.oomScoreAdj() + " is not from -1000 to 1000");
        }
    }

    /** runtime-spec 1.2: process.ioPriority, process.scheduler, process.execCPUAffinity. */
    private static void validateScheduling(Spec.Process p, String file) throws JrunException {
        Spec.IoPriority io = p.ioPriority();
        if (io != null) {
            if (io.ioClass() == null || !Scheduling.IO_CLASSES.containsKey(io.ioClass())) {
                throw new JrunException(file + ": process.ioPriority.class: \"" + io.ioClass() + "\" is not"
                        + " IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE");
            }
            if (io.priority() < 0 || io.priority() > 7) {
                throw new JrunException(file + ": process.ioPriority.priority: " + io.priority() + " is not from 0 to 7");
            }
        }
        Spec.Scheduler sc = p.scheduler();
        if (sc != null) {
            if (sc.policy() == null || !Scheduling.POLICIES.containsKey(sc.policy())) {
                throw new JrunException(file + ": process.scheduler.policy: \"" + sc.policy() + "\" is not one of "
                        + new java.util.TreeSet<>(Scheduling.POLICIES.keySet()));
            }
            for (String f : sc.flags()) {
                if (!Scheduling.FLAGS.containsKey(f)) {
                    throw new JrunException(file + ": process.scheduler.flags: unknown flag \"" + f + "\"");
                }
            }
            if (sc.nice() != null && (sc.nice() < -20 || sc.nice() > 19)) {
                throw new JrunException(file + ": process.scheduler.nice: " + sc.nice() + " is not from -20 to 19");
            }
            if (sc.priority() != null && (sc.priority() < 0 || sc.priority() > 99)) {
                throw new JrunException(file + ": process.scheduler.priority: " + sc.priority() + " is not from 0 to 99");
            }
        }
        Spec.CpuAffinity af = p.execCPUAffinity();
        if (af != null) {
            // an empty list sets nothing, as with runc (and as PlanCompiler leaves it out)
            if (af.initial() != null && !af.initial().isBlank()) {
                Scheduling.cpuMask(af.initial(), file + ": process.execCPUAffinity.initial");
            }
            if (af.finalList() != null && !af.finalList().isBlank()) {
                Scheduling.cpuMask(af.finalList(), file + ": process.execCPUAffinity.final");
            }
        }
    }

    /** The largest uid or gid a process may get, as runc's: (uid_t)-1 would mean "unchanged" to setresuid. */
    public static final long MAX_ID = 0x7FFF_FFFFL;

    private static void checkId(long id, String file, String field) throws JrunException {
        if (id < 0 || id > MAX_ID) {
            throw new JrunException(file + ": " + field + ": " + id + " is out of range (uids and gids must be from 0"
                    + " to " + MAX_ID + ")");
        }
    }

    /** The kernel takes a mapping whose ranges end at 4294967294 at most ((u32)-1 is no id). */
    private static void checkMappings(List<Spec.IdMapping> maps, String file, String field) throws JrunException {
        for (int k = 0; k < maps.size(); k++) {
            Spec.IdMapping m = maps.get(k);
            if (m.containerId() + m.size() > 0xFFFF_FFFFL || m.hostId() + m.size() > 0xFFFF_FFFFL) {
                throw new JrunException(file + ": " + field + "[" + k + "]: containerID " + m.containerId() + ", hostID "
                        + m.hostId() + " and size " + m.size() + " reach past 4294967294, the largest id");
            }
        }
    }

    private static void validatePersonality(Spec.Personality p, String file) throws JrunException {
        if (p == null) {
            return;
        }
        if (!PERSONALITY_DOMAINS.containsKey(p.domain())) {
            throw new JrunException(file + ": linux.personality.domain: \"" + p.domain()
                    + "\" is not one of LINUX, LINUX32");
        }
        if (!p.flags().isEmpty()) {
            throw new JrunException(file + ": linux.personality.flags: unknown flag \"" + p.flags().get(0)
                    + "\" (the runtime-spec defines none)");
        }
    }

    /** Offsets need a time namespace of the container's own: a joined one is already in use and fixed. */
    private static void validateTimeOffsets(Spec spec, String file) throws JrunException {
        if (spec.linux().timeOffsets().isEmpty()) {
            return;
        }
        Spec.Namespace time = null;
        for (Spec.Namespace ns : spec.linux().namespaces()) {
            if (ns.type().equals("time")) {
                time = ns;
            }
        }
        if (time == null) {
            throw new JrunException(file + ": linux.timeOffsets: offsets need a new time namespace in"
                    + " linux.namespaces");
        }
        if (time.path() != null) {
            throw new JrunException(file + ": linux.timeOffsets: the time namespace " + time.path()
                    + " is joined, and a joined namespace's offsets cannot be changed");
        }
        for (java.util.Map.Entry<String, Spec.TimeOffset> e : spec.linux().timeOffsets().entrySet()) {
            if (!TIME_CLOCKS.contains(e.getKey())) {
                throw new JrunException(file + ": linux.timeOffsets: unknown clock \"" + e.getKey()
                        + "\" (known: monotonic, boottime)");
            }
            if (e.getValue().nanosecs() >= 1_000_000_000L) {
                throw new JrunException(file + ": linux.timeOffsets." + e.getKey() + ".nanosecs: "
                        + e.getValue().nanosecs() + " is not below 1000000000");
            }
        }
    }

    private static void validateLinux(Spec spec, String file) throws JrunException {
        Set<String> seen = new HashSet<>();
        for (int k = 0; k < spec.linux().namespaces().size(); k++) {
            Spec.Namespace ns = spec.linux().namespaces().get(k);
            String f = file + ": linux.namespaces[" + k + "].type: ";
            if (!NAMESPACE_TYPES.contains(ns.type())) {
                throw new JrunException(f + "unknown namespace type \"" + ns.type() + "\" (known: pid, network, mount,"
                        + " ipc, uts, user, cgroup, time)");
            }
            if (!seen.add(ns.type())) {
                throw new JrunException(f + "\"" + ns.type() + "\" appears twice");
            }
            if (ns.path() != null && !ns.path().startsWith("/")) {
                throw new JrunException(f + ns.type() + " path \"" + ns.path() + "\" is not absolute");
            }
        }
        boolean newUserNs = false;
        for (Spec.Namespace ns : spec.linux().namespaces()) {
            newUserNs |= ns.type().equals("user") && ns.path() == null;
        }
        if (newUserNs && (spec.linux().uidMappings().isEmpty() || spec.linux().gidMappings().isEmpty())) {
            throw new JrunException(file + ": linux.uidMappings and linux.gidMappings: a new user namespace needs both");
        }
        if (!newUserNs && (!spec.linux().uidMappings().isEmpty() || !spec.linux().gidMappings().isEmpty())) {
            throw new JrunException(file + ": linux.uidMappings: id mappings need a new user namespace in"
                    + " linux.namespaces");
        }
        checkMappings(spec.linux().uidMappings(), file, "linux.uidMappings");
        checkMappings(spec.linux().gidMappings(), file, "linux.gidMappings");
        validatePersonality(spec.linux().personality(), file);
        validateTimeOffsets(spec, file);
        if (!seen.contains("mount")) {
            throw new JrunException(file + ": linux.namespaces: a mount namespace is required (jrun never changes"
                    + " the host's mount table)");
        }
        if ((spec.hostname() != null || spec.domainname() != null) && !seen.contains("uts")) {
            throw new JrunException(file + ": hostname: setting it needs a uts namespace in linux.namespaces");
        }
        Set<String> fresh = new HashSet<>();
        for (Spec.Namespace ns : spec.linux().namespaces()) {
            if (ns.path() == null) {
                fresh.add(ns.type());
            }
        }
        for (String key : spec.linux().sysctl().keySet()) {
            String why = Sysctls.refusal(key, fresh);
            if (why != null) {
                throw new JrunException(file + ": linux.sysctl: " + key + ": refused: " + why);
            }
        }
        String prop = spec.linux().rootfsPropagation();
        if (prop != null && MountOptions.propagation(prop) == null) {
            throw new JrunException(file + ": linux.rootfsPropagation: \"" + prop + "\" is not one of private,"
                    + " rprivate, shared, rshared, slave, rslave, unbindable, runbindable");
        }
        for (int k = 0; k < spec.mounts().size(); k++) {
            Spec.Mount m = spec.mounts().get(k);
            MountOptions o = MountOptions.parse(m.options());
            if (m.type() == null && !o.isBind()) {
                throw new JrunException(file + ": mounts[" + k + "].type: missing (only bind mounts may omit it)");
            }
            // runtime-spec 1.2 idmapped mounts: the maps and the option go together, on a bind mount; with
            // no maps of its own, the mount takes the container's user namespace's
            boolean maps = !m.uidMappings().isEmpty() || !m.gidMappings().isEmpty();
            boolean idmap = o.idmap() != MountOptions.NO_IDMAP;
            boolean userMaps = !spec.linux().uidMappings().isEmpty() && !spec.linux().gidMappings().isEmpty();
            if (maps && !idmap) {
                throw new JrunException(file + ": mounts[" + k + "]: uidMappings/gidMappings need the option"
                        + " \"idmap\" or \"ridmap\"");
            }
            if (idmap && !maps && !userMaps) {
                throw new JrunException(file + ": mounts[" + k + "]: the option \"idmap\" or \"ridmap\" needs"
                        + " uidMappings and gidMappings, its own or the container's user namespace's");
            }
            if (idmap && maps && (m.uidMappings().isEmpty() || m.gidMappings().isEmpty())) {
                throw new JrunException(file + ": mounts[" + k + "]: an idmapped mount needs both uidMappings and"
                        + " gidMappings");
            }
            if (idmap && !o.isBind() && !"bind".equals(m.type())) {
                throw new JrunException(file + ": mounts[" + k + "]: \"idmap\" and \"ridmap\" are supported on bind"
                        + " mounts only");
            }
        }
        for (int k = 0; k < spec.linux().devices().size(); k++) {
            Spec.Device d = spec.linux().devices().get(k);
            if (!Set.of("c", "u", "b", "p").contains(d.type())) {
                throw new JrunException(file + ": linux.devices[" + k + "].type: \"" + d.type()
                        + "\" is not one of c, u, b, p");
            }
            if (!d.path().startsWith("/dev/")) {
                throw new JrunException(file + ": linux.devices[" + k + "].path: \"" + d.path()
                        + "\" is not under /dev");
            }
        }
    }
}
