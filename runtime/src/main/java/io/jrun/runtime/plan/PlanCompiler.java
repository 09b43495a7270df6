package io.jrun.runtime.plan;

import static io.jrun.runtime.plan.LinuxConstants.*;

import io.jrun.nativebind.StageOp;
import io.jrun.runtime.JrunException;
import io.jrun.runtime.cgroups.ContainerCgroup;
import io.jrun.runtime.cgroups.DeviceDefaults;
import io.jrun.runtime.cgroups.v2.DeviceProgram;
import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.seccomp.SeccompCompiler;
import io.jrun.runtime.security.Capabilities;
import io.jrun.runtime.security.Rlimits;
import io.jrun.runtime.security.Scheduling;
import io.jrun.runtime.security.Sysctls;
import io.jrun.runtime.spec.Spec;
import io.jrun.runtime.validate.SpecValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compiles a validated {@link Spec} into the stage's {@link Plan}.  All of jrun's
 * policy lives here: which namespaces, in which order, the default devices and
 * links, the search path; the stage only carries the steps out.
 */
public final class PlanCompiler {
    /**
     * What the caller decides beyond config.json: {@code --no-pivot}; how many fds from 3 on pass
     * to the container ({@code --preserve-fds}); and, for a container that outlives its monitor
     * (create, run --detach), the exec fifo its init waits on for {@code jrun start} (else null:
     * the init waits for the monitor's start and dies with it); the container's cgroup, made
     * already, which the init enters before its first step (null: none); the OCI state a seccomp
     * listener receives with its fd, without "pid", which the stage fills in (null: a bare one).
     */
    public record Options(boolean noPivot, int preserveFds, Path execFifo, ContainerCgroup cgroup, Path consoleSocket,
            Map<String, Object> listenerState) {
        public static final Options DEFAULT = new Options(false, 0, null, null, null);

        public Options(boolean noPivot, int preserveFds, Path execFifo, ContainerCgroup cgroup, Path consoleSocket) {
            this(noPivot, preserveFds, execFifo, cgroup, consoleSocket, null);
        }
    }

    /** The PATH a process gets searched with when its env has none (runc's and Docker's default). */
    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static final Map<String, Long> CLONE_FLAGS = Map.of(
            "pid", CLONE_NEWPID, "network", CLONE_NEWNET, "mount", CLONE_NEWNS, "ipc", CLONE_NEWIPC,
            "uts", CLONE_NEWUTS, "user", CLONE_NEWUSER, "cgroup", CLONE_NEWCGROUP, "time", CLONE_NEWTIME);
    /** setns order: the mount namespace last, so the monitor can still open the other paths. */
    // time before user: the monitor made the container's time namespace as host root, and joins it while it still is
    private static final List<String> JOIN_ORDER = List.of("time", "user", "ipc", "uts", "network", "pid", "cgroup", "mount");
    private static final Map<String, String> PROC_NAMES = Map.of(
            "pid", "pid", "network", "net", "mount", "mnt", "ipc", "ipc", "uts", "uts",
            "user", "user", "cgroup", "cgroup", "time", "time");

    private record DefaultDevice(String path, long major, long minor) {}

    private static final List<DefaultDevice> DEFAULT_DEVICES = List.of(
            new DefaultDevice("/dev/null", 1, 3), new DefaultDevice("/dev/zero", 1, 5),
            new DefaultDevice("/dev/full", 1, 7), new DefaultDevice("/dev/random", 1, 8),
            new DefaultDevice("/dev/urandom", 1, 9), new DefaultDevice("/dev/tty", 5, 0));

    private static final Map<String, String> DEV_LINKS = linkedMap(
            "/dev/fd", "/proc/self/fd", "/dev/stdin", "/proc/self/fd/0", "/dev/stdout", "/proc/self/fd/1",
            "/dev/stderr", "/proc/self/fd/2", "/dev/ptmx", "pts/ptmx");

    private PlanCompiler() {}

    private static Map<String, String> linkedMap(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int k = 0; k < kv.length; k += 2) {
            m.put(kv[k], kv[k + 1]);
        }
        return m;
    }

    /** The rootfs of a bundle as a real path, or a one-line error when it is missing. */
    public static Path rootfs(Spec spec, Path bundle) throws JrunException {
        Path p = bundle.resolve(spec.root().path());
        try {
            Path real = p.toRealPath();
            if (!Files.isDirectory(real)) {
                throw new JrunException("rootfs " + p + ": Not a directory (ENOTDIR)");
            }
            if (real.getParent() == null) { // e.g. a bundle whose rootfs is a symlink to /
                throw new JrunException("rootfs " + p + ": is the host's root directory: a container needs its own");
            }
            return real;
        } catch (NoSuchFileException e) {
            throw new JrunException("rootfs " + p + ": No such file or directory (ENOENT)");
        } catch (IOException e) {
            throw new JrunException("rootfs " + p + ": " + e.getMessage());
        }
    }

    public static Plan compile(Spec spec, Path bundle, Options options) throws JrunException {
        Plan.Builder plan = new Plan.Builder();
        Path rootfs = rootfs(spec, bundle);
        Map<String, String> joined = new LinkedHashMap<>();
        long cloneFlags = 0;
        for (Spec.Namespace ns : spec.linux().namespaces()) {
            if (ns.path() != null) {
                joined.put(ns.type(), ns.path());
            } else {
                cloneFlags |= CLONE_FLAGS.get(ns.type());
            }
        }
        if ((cloneFlags & CLONE_NEWTIME) != 0 || joined.containsKey("time")) {
            requireTimeNamespaces();
        }
        SeccompCompiler.Filter seccomp = seccomp(spec);
        if ((cloneFlags & CLONE_NEWUSER) != 0) {
            plan.add("write the uid map", StageOp.ID_MAP, 0L, idMap(spec.linux().uidMappings()));
            plan.add("write the gid map", StageOp.ID_MAP, 1L, idMap(spec.linux().gidMappings()));
        }
        boolean idmapRootfs = (cloneFlags & CLONE_NEWUSER) != 0 && !ownerIsMapped(rootfs, spec.linux().uidMappings());
        if (idmapRootfs) {
            plan.add("make an idmapped mount of rootfs " + rootfs, StageOp.IDMAP_ROOTFS, rootfs.toString());
        }
        // straight into a v2 cgroup with clone3, unless a joined user or cgroup namespace would
        // judge the move from inside (then the pid goes to cgroup.procs through an fd opened before)
        boolean cloneInto = !joined.containsKey("user") && !joined.containsKey("cgroup");
        enterCgroup(plan, options.cgroup(), cloneInto);
        deviceRules(plan, spec, options.cgroup());
        consoleSocket(plan, spec.process(), options.consoleSocket());
        listener(plan, seccomp, options.listenerState(), true);
        if (options.execFifo() != null) {
            // writable by others: a non-root user in the container opens it through its fd
            plan.add("create exec fifo " + options.execFifo(), StageOp.MKFIFO, options.execFifo().toString(), 0622L);
            plan.add("open exec fifo " + options.execFifo(), StageOp.EXEC_FIFO, options.execFifo().toString());
        }
        Map<Spec.Mount, Long> trees = bindTrees(plan, spec, bundle, (cloneFlags & CLONE_NEWUSER) != 0);
        if ((cloneFlags & CLONE_NEWTIME) != 0) {
            // clone(2) reads CLONE_NEWTIME's bits as the exit signal: the monitor unshares it, writes the
            // offsets while no process is in it, and the init is cloned into it
            Map<String, Spec.TimeOffset> offsets = spec.linux().timeOffsets();
            String lines = timeOffsets(offsets);
            plan.add(offsets.isEmpty() ? "make a time namespace" : "make a time namespace with offsets (clock secs"
                    + " nanosecs) " + lines.strip().replace("\n", ", "), StageOp.TIME_OFFSETS, lines);
        }
        for (String type : JOIN_ORDER) {
            String path = joined.get(type);
            if (path != null) {
                plan.add("join " + PROC_NAMES.get(type) + " namespace " + path, StageOp.SETNS, CLONE_FLAGS.get(type), path);
            }
        }
        // a new cgroup namespace is made once the init is in its cgroup, which becomes the namespace's root
        plan.add("clone the container's init", StageOp.CLONE, cloneFlags & ~(CLONE_NEWCGROUP | CLONE_NEWTIME),
                (long) options.preserveFds(), options.execFifo() == null ? 1L : 0L);
        if ((cloneFlags & CLONE_NEWUSER) != 0) {
            // the init still holds the host's root ids, which the new namespace does not map: become its root
            plan.add("setgid 0 in the new user namespace", StageOp.SETGID, 0L);
            plan.add("setuid 0 in the new user namespace", StageOp.SETUID, 0L);
        }
        if ((cloneFlags & CLONE_NEWCGROUP) != 0) {
            plan.add("make a cgroup namespace", StageOp.UNSHARE, CLONE_NEWCGROUP);
        }

        if ((cloneFlags & CLONE_NEWNET) != 0) {
            plan.add("bring up lo in the new network namespace", StageOp.LOOPBACK_UP);
        }
        if (spec.hostname() != null) {
            plan.add("set hostname \"" + spec.hostname() + "\"", StageOp.HOSTNAME, spec.hostname());
        }
        if (spec.domainname() != null) {
            plan.add("set domainname \"" + spec.domainname() + "\"", StageOp.DOMAINNAME, spec.domainname());
        }
        String prop = spec.linux().rootfsPropagation() == null ? "rprivate" : spec.linux().rootfsPropagation();
        boolean shared = prop.contains("shared");
        boolean unbindable = prop.contains("unbindable");
        // pivot_root refuses a shared parent, and nothing can be bound from an unbindable mount (the
        // rootfs onto itself, bind mounts' sources): either is set on the new / once it is in place
        String first = shared ? "rslave" : unbindable ? "rprivate" : prop;
        plan.add("make / " + first + " in the container's mount namespace",
                StageOp.ROOT_PROPAGATION, MS_REC | MountOptions.propagation(first));
        if (idmapRootfs) {
            plan.add("mount the idmapped rootfs " + rootfs, StageOp.ROOTFS_IDMAPPED, rootfs.toString());
        } else {
            plan.add("bind rootfs " + rootfs, StageOp.ROOTFS, rootfs.toString());
        }
        boolean devFromHost = false;
        List<String> readonlyAfterPivot = new java.util.ArrayList<>();
        for (Spec.Mount m : spec.mounts()) {
            if ("cgroup".equals(m.type()) || "cgroup2".equals(m.type())) {
                cgroupMount(plan, m, options.cgroup(), readonlyAfterPivot);
            } else {
                devFromHost |= mount(plan, m, bundle, trees.get(m), readonlyAfterPivot);
            }
        }
        if (!devFromHost) {
            // mknod is refused in a user namespace: there the host's nodes are bound instead
            devices(plan, spec.linux().devices(), (cloneFlags & CLONE_NEWUSER) != 0);
        }
        Spec.Hooks hooks = spec.hooks();
        if (!hooks.prestart().isEmpty() || !hooks.createRuntime().isEmpty() || !hooks.createContainer().isEmpty()) {
            plan.add("wait for the prestart, createRuntime and createContainer hooks", StageOp.HOOK_PAUSE);
        }
        if (options.noPivot()) {
            plan.add("move rootfs " + rootfs + " to / (--no-pivot)", StageOp.MOVE_ROOT);
        } else {
            plan.add("pivot_root into " + rootfs, StageOp.PIVOT_ROOT);
        }
        console(plan, spec.process(), true);
        if (spec.root().readonly()) {
            plan.add("remount / read-only", StageOp.REMOUNT, "/", MS_RDONLY);
        }
        for (String p : readonlyAfterPivot) {
            plan.add("remount " + p + " read-only", StageOp.REMOUNT, p, MS_RDONLY);
        }
        for (Map.Entry<String, String> e : spec.linux().sysctl().entrySet()) {
            plan.add("set sysctl " + e.getKey() + "=" + e.getValue(), StageOp.SYSCTL, Sysctls.path(e.getKey()),
                    e.getValue());
        }
        for (String p : spec.linux().maskedPaths()) {
            plan.add("mask " + p, StageOp.MASK_PATH, p);
        }
        for (String p : spec.linux().readonlyPaths()) {
            plan.add("make " + p + " read-only", StageOp.READONLY_PATH, p);
        }
        if (shared || unbindable) { // last: the console and the masks bind from mounts under /
            plan.add("make / " + prop, StageOp.SET_PROPAGATION, "/", MountOptions.propagation(prop));
        }
        processSteps(plan, spec.process(), options.execFifo() != null, seccomp, spec.linux().personality());
        return plan.build();
    }

    /** A clear error where the kernel has no time namespaces (before Linux 5.6, or without CONFIG_TIME_NS). */
    private static void requireTimeNamespaces() throws JrunException {
        if (!Files.exists(Path.of("/proc/self/ns/time"))) {
            throw new JrunException("linux.namespaces: time: this kernel has no time namespaces (/proc/self/ns/time"
                    + " is absent: Linux 5.6 or later with CONFIG_TIME_NS is needed)");
        }
    }

    /** The lines of /proc/self/timens_offsets: "monotonic SECS NANOS", "boottime SECS NANOS". */
    static String timeOffsets(Map<String, Spec.TimeOffset> offsets) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, Spec.TimeOffset> e : offsets.entrySet()) {
            b.append(e.getKey()).append(' ').append(e.getValue().secs()).append(' ').append(e.getValue().nanosecs())
                    .append('\n');
        }
        return b.toString();
    }

    /**
     * A filter with SCMP_ACT_NOTIFY rules: the monitor connects to listenerPath before clone and sends
     * the container process state with the notify fd once the process has loaded the filter.
     * {@code state} is the OCI state; when {@code fillStatePid}, its pid is the process's own.
     */
    private static void listener(Plan.Builder plan, SeccompCompiler.Filter seccomp, Map<String, Object> state,
            boolean fillStatePid) {
        if (seccomp == null || !seccomp.notifies()) {
            return;
        }
        List<String> parts = listenerMessage(seccomp.listenerMetadata(),
                state == null ? Map.of("ociVersion", Spec.RUNTIME_SPEC_VERSION, "status", "creating") : state, fillStatePid);
        Object[] args = new Object[parts.size() + 1];
        args[0] = seccomp.listenerPath();
        for (int k = 0; k < parts.size(); k++) {
            args[k + 1] = parts.get(k);
        }
        plan.add("send the seccomp notify fd to listenerPath " + seccomp.listenerPath(), StageOp.SECCOMP_LISTENER,
                args);
    }

    /**
     * The container process state of the runtime-spec ({@code ociVersion}, {@code fds}, {@code pid},
     * {@code metadata}, {@code state}) as JSON cut where the process's pid goes: the stage joins the
     * parts with it.
     */
    static List<String> listenerMessage(String metadata, Map<String, Object> state, boolean fillStatePid) {
        Map<String, Object> st = new LinkedHashMap<>(state);
        if (fillStatePid) {
            st.remove("pid");
        }
        StringBuilder rest = new StringBuilder();
        if (metadata != null) {
            rest.append(",\"metadata\":").append(JsonWriter.write(metadata));
        }
        rest.append(",\"state\":").append(JsonWriter.write(st));
        if (!fillStatePid) {
            return List.of("{\"ociVersion\":\"" + Spec.RUNTIME_SPEC_VERSION + "\",\"fds\":[\"seccompFd\"],\"pid\":",
                    rest.append('}').toString());
        }
        rest.setLength(rest.length() - 1); // the state's closing brace: its pid goes last
        return List.of("{\"ociVersion\":\"" + Spec.RUNTIME_SPEC_VERSION + "\",\"fds\":[\"seccompFd\"],\"pid\":",
                rest.append(st.isEmpty() ? "\"pid\":" : ",\"pid\":").toString(), "}}");
    }

    /** The steps of the process itself, after the container's set-up: limits, ids, capabilities, cwd, exec. */
    private static void processSteps(Plan.Builder plan, Spec.Process proc, boolean waitOnFifo,
            SeccompCompiler.Filter seccomp, Spec.Personality personality) {
        if (personality != null) {
            // before any filter: profiles such as Docker's allow personality(2) for a few values only
            long persona = SpecValidator.PERSONALITY_DOMAINS.get(personality.domain());
            plan.add("set personality " + personality.domain(), StageOp.PERSONALITY, persona);
        }
        if (proc.oomScoreAdj() != null) {
            plan.add("set oom_score_adj " + proc.oomScoreAdj(), StageOp.OOM_SCORE_ADJ, proc.oomScoreAdj());
        }
        for (Spec.Rlimit r : proc.rlimits()) {
            plan.add("set rlimit " + r.type() + " soft " + r.soft() + " hard " + r.hard(), StageOp.RLIMIT,
                    (long) Rlimits.number(r.type()), r.soft(), r.hard());
        }
        scheduling(plan, proc);
        Spec.User user = proc.user();
        if (user.umask() != null) {
            plan.add("set umask " + Long.toOctalString(user.umask()), StageOp.UMASK, user.umask());
        }
        if (proc.terminal()) {
            // as runc: the process's pty is its own (runc chowns any stdio; jrun leaves the caller's alone)
            plan.add("chown the console to uid " + user.uid(), StageOp.STDIO_OWNER, user.uid());
        }
        // as runc: without no_new_privs the filter needs CAP_SYS_ADMIN, so it goes in before the drop, after
        // the oom score, rlimits, I/O priority and scheduler (a profile may refuse those to the program);
        // with no_new_privs, as late as can be, right before execve
        if (seccomp != null && !proc.noNewPrivileges()) {
            seccompStep(plan, seccomp);
        }
        identitySteps(plan, proc);
        for (String a : proc.args()) {
            plan.add("argument", StageOp.ARG, a);
        }
        String path = DEFAULT_PATH;
        for (String e : proc.env()) {
            plan.add("environment", StageOp.ENV, e);
            if (e.startsWith("PATH=")) {
                path = e.substring(5);
            }
        }
        String exe = "exec \"" + proc.args().get(0) + "\"";
        plan.add(exe, StageOp.LOOKUP, path);
        // a listener gets its fd from the monitor, which a created container's init outlives: the
        // filter goes in before the wait for start then (where runc always loads it)
        boolean lateSeccomp = seccomp != null && proc.noNewPrivileges();
        if (lateSeccomp && seccomp.notifies()) {
            seccompStep(plan, seccomp);
            lateSeccomp = false;
        }
        if (waitOnFifo) {
            plan.add("wait for jrun start on the exec fifo", StageOp.WAIT_FIFO);
        } else {
            plan.add("wait for start", StageOp.WAIT_START);
        }
        if (lateSeccomp) {
            seccompStep(plan, seccomp);
        }
        plan.add(exe, StageOp.EXEC);
    }

    /**
     * A startContainer hook's process takes the container process's state, as runc's init has it when
     * it runs the hook: rlimits, umask, the bounding set, groups and ids, capabilities, cwd,
     * no_new_privs; without no_new_privs the filter goes in before the drop (it needs CAP_SYS_ADMIN).
     */
    private static void hookAsProcess(Plan.Builder plan, Spec.Process proc, SeccompCompiler.Filter filter) {
        for (Spec.Rlimit r : proc.rlimits()) {
            plan.add("set rlimit " + r.type() + " soft " + r.soft() + " hard " + r.hard(), StageOp.RLIMIT,
                    (long) Rlimits.number(r.type()), r.soft(), r.hard());
        }
        Spec.User user = proc.user();
        if (user.umask() != null) {
            plan.add("set umask " + Long.toOctalString(user.umask()), StageOp.UMASK, user.umask());
        }
        if (filter != null && !proc.noNewPrivileges()) {
            seccompStep(plan, filter);
        }
        identitySteps(plan, proc);
    }

    /**
     * The process's identity, from the bounding set to no_new_privs: what the program and a
     * startContainer hook (which runs as the program would) both get.
     */
    private static void identitySteps(Plan.Builder plan, Spec.Process proc) {
        Spec.User user = proc.user();
        Spec.Capabilities caps = proc.capabilities();
        if (caps != null) {
            plan.add("drop from the bounding set all but " + caps.bounding(), StageOp.CAPS_BOUNDING,
                    Capabilities.mask(caps.bounding()));
        }
        // as runc: cwd first with the runtime's ids (the process's may not reach it: a directory of mode
        // 0700); where those cannot (EACCES, EPERM: root squashed on NFS, say), with the process's, below
        plan.add("chdir to cwd " + proc.cwd(), StageOp.CHDIR, proc.cwd(), 1L);
        plan.add("setgroups " + user.additionalGids(), StageOp.SETGROUPS, user.additionalGids().toArray());
        plan.add("setgid " + user.gid(), StageOp.SETGID, user.gid());
        plan.add("setuid " + user.uid(), StageOp.SETUID, user.uid());
        if (caps != null) {
            long permitted = Capabilities.mask(caps.permitted());
            long inheritable = Capabilities.mask(caps.inheritable());
            // the kernel raises an ambient capability only if it is permitted and inheritable; runc
            // skips the others with a warning (its own default spec asks for them), and so does jrun
            long ambient = Capabilities.mask(caps.ambient()) & permitted & inheritable;
            plan.add("set capabilities (effective " + caps.effective() + ", permitted " + caps.permitted()
                    + ", inheritable " + caps.inheritable() + ", ambient " + caps.ambient() + ")", StageOp.CAPS,
                    Capabilities.mask(caps.effective()), permitted, inheritable, ambient);
        }
        plan.add("chdir to cwd " + proc.cwd(), StageOp.CHDIR, proc.cwd(), 2L);
        if (proc.noNewPrivileges()) {
            plan.add("set no_new_privs", StageOp.NO_NEW_PRIVS);
        }
    }

    /** runtime-spec 1.2's process.ioPriority and process.scheduler, while the process still is root. */
    private static void scheduling(Plan.Builder plan, Spec.Process proc) {
        Spec.IoPriority io = proc.ioPriority();
        if (io != null) {
            plan.add("set the I/O priority " + io.ioClass() + " " + io.priority(), StageOp.IOPRIO,
                    Scheduling.ioprio(io.ioClass(), io.priority()));
        }
        Spec.Scheduler sc = proc.scheduler();
        if (sc != null) {
            long flags = 0;
            for (String f : sc.flags()) {
                flags |= Scheduling.FLAGS.get(f);
            }
            plan.add("set the scheduler " + sc.policy() + (sc.nice() == null ? "" : " nice " + sc.nice())
                    + (sc.priority() == null ? "" : " priority " + sc.priority()), StageOp.SCHED,
                    Scheduling.POLICIES.get(sc.policy()), flags, sc.nice() == null ? 0L : sc.nice(),
                    sc.priority() == null ? 0L : sc.priority(), sc.runtime() == null ? 0L : sc.runtime(),
                    sc.deadline() == null ? 0L : sc.deadline(), sc.period() == null ? 0L : sc.period());
        }
    }

    /** A CPU list as the u64 words of a mask (validated already). */
    private static Object[] cpuMask(String list, String field) throws JrunException {
        long[] words = Scheduling.cpuMask(list, field);
        Object[] args = new Object[words.length];
        for (int k = 0; k < words.length; k++) {
            args[k] = words[k];
        }
        return args;
    }

    private static SeccompCompiler.Filter seccomp(Spec spec) throws JrunException {
        return spec.linux().seccomp() == null ? null : SeccompCompiler.compile(spec.linux().seccomp());
    }

    private static void seccompStep(Plan.Builder plan, SeccompCompiler.Filter f) {
        Object[] args = new Object[f.instructions().size() + 1];
        args[0] = f.flags();
        for (int i = 0; i < f.instructions().size(); i++) {
            args[i + 1] = f.instructions().get(i);
        }
        plan.add("load the seccomp filter (" + f.instructions().size() + " instructions)", StageOp.SECCOMP, args);
    }

    /**
     * {@code jrun exec}: a process that joins every namespace of the container whose init is
     * {@code initPid} (types as its config lists them), then runs as {@code process} says.
     */
    public static Plan compileExec(Spec container, Spec.Process process, long initPid, int preserveFds,
            boolean detached, ContainerCgroup cgroup, Path consoleSocket) throws JrunException {
        return compileExec(container, process, initPid, preserveFds, detached, cgroup, consoleSocket, null);
    }

    /** As above; {@code state} is the container's OCI state, sent to a seccomp listener with the fd. */
    public static Plan compileExec(Spec container, Spec.Process process, long initPid, int preserveFds,
            boolean detached, ContainerCgroup cgroup, Path consoleSocket, Map<String, Object> state)
            throws JrunException {
        Plan.Builder plan = new Plan.Builder();
        SeccompCompiler.Filter seccomp = seccomp(container);
        enterCgroup(plan, cgroup, false); // the container's namespaces are joined before clone
        consoleSocket(plan, process, consoleSocket); // connected before the mount namespace is joined
        listener(plan, seccomp, state, false);
        Spec.CpuAffinity affinity = process.execCPUAffinity();
        if (affinity != null && affinity.initial() != null && !affinity.initial().isBlank()) {
            plan.add("set the CPU affinity " + affinity.initial() + " (execCPUAffinity.initial)",
                    StageOp.CPU_AFFINITY_INITIAL, cpuMask(affinity.initial(), "process.execCPUAffinity.initial"));
        }
        joinContainer(plan, container, initPid);
        plan.add("clone the exec'd process", StageOp.CLONE, 0L, (long) preserveFds, detached ? 0L : 1L);
        if (affinity != null && affinity.finalList() != null && !affinity.finalList().isBlank()) {
            // the process is in the container's cgroup already: the monitor put it there after clone
            plan.add("set the CPU affinity " + affinity.finalList() + " (execCPUAffinity.final)",
                    StageOp.CPU_AFFINITY, cpuMask(affinity.finalList(), "process.execCPUAffinity.final"));
        }
        console(plan, process, false); // the init's /dev/console is the container's: left alone
        processSteps(plan, process, false, seccomp, container.linux().personality());
        return plan.build();
    }

    /**
     * A terminal's socket, which the monitor opens before any namespace is joined: the caller's
     * --console-socket, or (none given) its own, to copy the pty to its stdio (jrun run, exec).
     */
    private static void consoleSocket(Plan.Builder plan, Spec.Process p, Path socket) {
        if (p.terminal()) {
            plan.add(socket == null ? "connect the console to jrun" : "connect console socket " + socket,
                    StageOp.CONSOLE_SOCKET, socket == null ? "" : socket.toString());
        }
    }

    private static void console(Plan.Builder plan, Spec.Process p, boolean devConsole) {
        if (p.terminal()) {
            long rows = p.consoleSize() == null ? 0 : p.consoleSize().height();
            long cols = p.consoleSize() == null ? 0 : p.consoleSize().width();
            plan.add("make the console (a pty in the container's devpts)", StageOp.CONSOLE, rows, cols,
                    devConsole ? 1L : 0L);
        }
    }

    private static void enterCgroup(Plan.Builder plan, ContainerCgroup cgroup, boolean cloneInto) {
        if (cgroup != null && cgroup.isV2() && cloneInto) {
            String dir = cgroup.dirs().get(0).toString();
            plan.add("clone into cgroup " + dir, StageOp.CGROUP_INTO, dir);
        } else if (cgroup != null) {
            for (String procs : cgroup.procsFiles()) {
                plan.add("enter cgroup " + procs, StageOp.CGROUP_ENTER, procs);
            }
        }
    }

    /**
     * On cgroup v2, linux.resources.devices (with jrun's own devices allowed after a deny-all) as
     * an eBPF program the monitor loads before clone and attaches once the init has made its
     * device nodes, as the v1 rules are written then. None when the rules allow everything.
     */
    private static void deviceRules(Plan.Builder plan, Spec spec, ContainerCgroup cgroup) throws JrunException {
        if (cgroup == null || !cgroup.isV2() || spec.linux().resources() == null) {
            return;
        }
        DeviceProgram prog = DeviceProgram.compile(DeviceDefaults.withDefaults(spec).devices());
        boolean joinsUser = false; // a loop, not a lambda: this is on every start's path (BENCHMARKS.md)
        for (Spec.Namespace ns : spec.linux().namespaces()) {
            joinsUser |= "user".equals(ns.type()) && ns.path() != null;
        }
        if (prog != null && joinsUser) {
            // the monitor attaches the program after it joined the namespaces, where bpf() is not allowed
            throw new JrunException("linux.resources.devices: device rules on cgroup v2 are not supported with a"
                    + " joined user namespace (linux.namespaces user with a path)");
        }
        if (prog != null) {
            String dir = cgroup.dirs().get(0).toString();
            Object[] args = new Object[prog.instructions().size() + 1];
            args[0] = dir;
            for (int i = 0; i < prog.instructions().size(); i++) {
                args[i + 1] = prog.instructions().get(i);
            }
            plan.add("attach the device rules (an eBPF program of " + prog.instructions().size()
                    + " instructions) to cgroup " + dir, StageOp.CGROUP_DEVICES, args);
        }
    }

    /**
     * A mount of type cgroup: on v2 a cgroup2 filesystem (rooted at the container's cgroup by its
     * cgroup namespace); on v1 a tmpfs with the container's own directory of each hierarchy bound in.
     */
    private static void cgroupMount(Plan.Builder plan, Spec.Mount m, ContainerCgroup cgroup,
            List<String> readonlyAfterPivot) throws JrunException {
        if (cgroup == null) {
            throw new JrunException("mount cgroup on " + m.destination() + ": the container has no cgroup");
        }
        MountOptions o = MountOptions.parse(m.options());
        long flags = o.flags() & ~(MS_BIND | MS_REC);
        String dest = normalize(m.destination());
        if (cgroup.isV2()) {
            plan.add("mount cgroup2 on " + dest, StageOp.MOUNT, "cgroup", dest, "cgroup2", flags, "", 0L, 0L, 0L, 0L, 0L);
            return;
        }
        plan.add("mount tmpfs on " + dest + " for the cgroup hierarchies", StageOp.MOUNT, "tmpfs", dest, "tmpfs",
                MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755", 0L, 0L, 0L, 0L, 0L);
        for (Path dir : cgroup.dirs()) {
            String name = cgroup.hierarchyName(dir);
            plan.add("bind cgroup " + dir + " on " + dest + "/" + name, StageOp.MOUNT, dir.toString(),
                    dest + "/" + name, "", MS_BIND | MS_REC, "", flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0L, 0L, 0L,
                    0L);
        }
        if ((flags & MS_RDONLY) != 0) {
            readonlyAfterPivot.add(dest);
        }
    }

    /**
     * Every namespace the container's config lists, joined through /proc/{@code initPid}/ns, mount last;
     * the time namespace through time_for_children, which is the container's before the init's execve too.
     */
    private static void joinContainer(Plan.Builder plan, Spec container, long initPid) {
        for (String type : JOIN_ORDER) {
            for (Spec.Namespace ns : container.linux().namespaces()) {
                if (ns.type().equals(type)) {
                    String path = "/proc/" + initPid + "/ns/" + PROC_NAMES.get(type)
                            + (type.equals("time") ? "_for_children" : "");
                    plan.add("join the container's " + PROC_NAMES.get(type) + " namespace " + path, StageOp.SETNS,
                            CLONE_FLAGS.get(type), path);
                }
            }
        }
    }

    /**
     * A hook run in the container's namespaces (createContainer, startContainer): a process that
     * joins them through /proc/{@code initPid}/ns/* and execs {@code hook.path} as root.
     */
    public static Plan compileHook(Spec container, Spec.Hook hook, long initPid) {
        try {
            return compileHook(container, hook, initPid, false);
        } catch (JrunException e) {
            throw new IllegalStateException(e); // no filter: nothing to compile
        }
    }

    /**
     * As above; {@code underSeccomp} (startContainer): the hook runs as runc's init runs it, from
     * the process's own state once its set-up is done: its rlimits, umask, user and groups,
     * capabilities, cwd and no_new_privs, under its seccomp filter. A filter with notify rules is
     * left out: its listener has no fd for the hook.
     */
    public static Plan compileHook(Spec container, Spec.Hook hook, long initPid, boolean underSeccomp)
            throws JrunException {
        Plan.Builder plan = new Plan.Builder();
        joinContainer(plan, container, initPid);
        plan.add("clone the hook", StageOp.CLONE, 0L, 0L, 1L);
        List<String> args = hook.args().isEmpty() ? List.of(hook.path()) : hook.args();
        for (String a : args) {
            plan.add("argument", StageOp.ARG, a);
        }
        for (String e : hook.env()) {
            plan.add("environment", StageOp.ENV, e);
        }
        String exe = "hook \"" + hook.path() + "\"";
        SeccompCompiler.Filter filter = underSeccomp ? seccomp(container) : null;
        if (filter != null && filter.notifies()) {
            filter = null;
        }
        Spec.Process proc = container.process();
        boolean asProcess = underSeccomp && proc != null;
        if (asProcess) {
            hookAsProcess(plan, proc, filter);
        }
        plan.add(exe, StageOp.LOOKUP, hook.path().substring(0, Math.max(1, hook.path().lastIndexOf('/'))));
        plan.add("wait for start", StageOp.WAIT_START);
        if (filter != null && (!asProcess || proc.noNewPrivileges())) {
            seccompStep(plan, filter); // as root without the process's identity: CAP_SYS_ADMIN loads it
        }
        plan.add(exe, StageOp.EXEC);
        return plan.build();
    }

    /**
     * The bind mounts whose source the monitor opens (open_tree) before clone, each with its index
     * among those: with a new user namespace, whose root may not reach the source (a directory of
     * mode 0700 on the way), and idmapped mounts (runtime-spec 1.2 mounts[].uidMappings), which are
     * idmapped there.
     */
    private static Map<Spec.Mount, Long> bindTrees(Plan.Builder plan, Spec spec, Path bundle, boolean newUser)
            throws JrunException {
        Map<Spec.Mount, Long> trees = new java.util.IdentityHashMap<>();
        for (Spec.Mount m : spec.mounts()) {
            MountOptions o = MountOptions.parse(m.options());
            boolean bind = o.isBind() || "bind".equals(m.type());
            boolean idmapped = o.idmap() != MountOptions.NO_IDMAP;
            if (!bind || (!newUser && !idmapped)) {
                continue;
            }
            Path src = bindSource(m, bundle);
            long flags = ((o.flags() & MS_REC) != 0 ? 1L : 0L) | (o.idmap() == MountOptions.RIDMAP ? 2L : 0L);
            // runtime-spec 1.2: an idmapped mount without maps of its own takes the user namespace's
            boolean own = !m.uidMappings().isEmpty() || !m.gidMappings().isEmpty();
            String uids = !idmapped ? "" : idMap(own ? m.uidMappings() : spec.linux().uidMappings());
            String gids = !idmapped ? "" : idMap(own ? m.gidMappings() : spec.linux().gidMappings());
            plan.add((idmapped ? "make an idmapped bind mount of " : "open bind mount source ") + src,
                    StageOp.BIND_TREE, src.toString(), flags, uids, gids);
            trees.put(m, (long) trees.size());
        }
        return trees;
    }

    private static Path bindSource(Spec.Mount m, Path bundle) throws JrunException {
        String source = m.source() == null ? "" : m.source();
        Path src = bundle.resolve(source.isEmpty() ? "." : source);
        if (!Files.exists(src)) {
            throw new JrunException("mount " + src + " on " + m.destination()
                    + ": source: No such file or directory (ENOENT)");
        }
        return src.toAbsolutePath().normalize();
    }

    /**
     * Adds one config mount; returns true when it bind-mounts the host's /dev (then no device nodes
     * are made). {@code tree}: the index of the detached tree the monitor made of its source, or null.
     */
    private static boolean mount(Plan.Builder plan, Spec.Mount m, Path bundle, Long tree,
            List<String> readonlyAfterPivot) throws JrunException {
        MountOptions o = MountOptions.parse(m.options());
        String type = m.type() == null ? "" : m.type();
        String dest = m.destination();
        long kind = 0;
        String source = m.source() == null ? type : m.source();
        long flags = o.flags();
        long remount = 0;
        if (o.isBind() || "bind".equals(type)) {
            flags |= MS_BIND;
            Path src = bindSource(m, bundle);
            source = src.toString();
            kind = Files.isDirectory(src) ? 0 : 1;
            remount = o.bindRemountFlags();
            flags &= MS_BIND | MS_REC;
            type = "";
            if (tree != null) {
                kind |= 4 | (tree << 8);
            }
        } else if ("tmpfs".equals(type) && (flags & MS_RDONLY) != 0) {
            // as runc: a read-only tmpfs (a /dev, say) is filled first (device nodes, tmpcopyup) and made
            // read-only with the root, after pivot_root
            flags &= ~MS_RDONLY;
            readonlyAfterPivot.add(normalize(dest));
        }
        if (o.copyUp()) {
            kind |= 2;
        }
        plan.add("mount " + (source.isEmpty() ? type : source) + " on " + dest, StageOp.MOUNT,
                source, dest, type, flags, o.data(), remount, o.propagation(), kind, o.attrSet(), o.attrClear());
        return (flags & MS_BIND) != 0 && normalize(dest).equals("/dev");
    }

    private static String normalize(String dest) {
        return Path.of("/").resolve(dest).normalize().toString();
    }

    /**
     * Whether the user namespace maps the owner of the rootfs. A rootfs prepared for the namespace
     * (chowned to the mapped ids) is used as it is; one the host's root owns, as images unpack, is
     * shown through an idmapped mount, so that its files belong to the container's root.
     */
    private static boolean ownerIsMapped(Path rootfs, List<Spec.IdMapping> maps) throws JrunException {
        long uid;
        try {
            uid = ((Number) Files.getAttribute(rootfs, "unix:uid")).longValue();
        } catch (IOException e) {
            throw new JrunException("rootfs " + rootfs + ": stat: " + e.getMessage());
        }
        for (Spec.IdMapping m : maps) {
            if (uid >= m.hostId() && uid < m.hostId() + m.size()) {
                return true;
            }
        }
        return false;
    }

    private static String idMap(List<Spec.IdMapping> maps) {
        StringBuilder b = new StringBuilder();
        for (Spec.IdMapping m : maps) {
            b.append(m.containerId()).append(' ').append(m.hostId()).append(' ').append(m.size()).append('\n');
        }
        return b.toString();
    }

    private static void devices(Plan.Builder plan, List<Spec.Device> configured, boolean bind) {
        Map<String, Spec.Device> all = new LinkedHashMap<>();
        for (DefaultDevice d : DEFAULT_DEVICES) {
            all.put(d.path(), new Spec.Device(d.path(), "c", d.major(), d.minor(), 0666L, 0L, 0L));
        }
        for (Spec.Device d : configured) {
            all.put(normalize(d.path()), d);
        }
        for (Spec.Device d : all.values()) {
            long type = switch (d.type()) {
                case "b" -> S_IFBLK;
                case "p" -> S_IFIFO;
                default -> S_IFCHR;
            };
            long mode = type | (d.fileMode() == null ? 0666 : d.fileMode());
            if (bind) {
                plan.add("bind device " + d.path() + " from the host", StageOp.MOUNT, d.path(), d.path(), "",
                        MS_BIND, "", 0L, 0L, 1L, 0L, 0L);
                continue;
            }
            plan.add("create device " + d.path() + " (" + d.type() + " " + d.major() + ":" + d.minor() + ")",
                    StageOp.MKNOD, d.path(), mode, d.major(), d.minor(),
                    d.uid() == null ? 0L : d.uid(), d.gid() == null ? 0L : d.gid());
        }
        for (Map.Entry<String, String> l : DEV_LINKS.entrySet()) {
            if (!all.containsKey(l.getKey())) {
                plan.add("link " + l.getKey() + " to " + l.getValue(), StageOp.SYMLINK, l.getValue(), l.getKey());
            }
        }
    }
}
