package io.jrun.runtime;

import io.jrun.nativebind.StageBinary;
import io.jrun.nativebind.StageEvent;
import io.jrun.nativebind.StageProcess;
import io.jrun.runtime.cgroups.CgroupHost;
import io.jrun.runtime.cgroups.ContainerCgroup;
import io.jrun.runtime.cgroups.DeviceDefaults;
import io.jrun.runtime.hooks.HookRunner;
import io.jrun.runtime.plan.Plan;
import io.jrun.runtime.plan.PlanCompiler;
import io.jrun.runtime.plancache.ExecPlanCache;
import io.jrun.runtime.plancache.PlanCache;
import io.jrun.runtime.proc.ProcFs;
import io.jrun.runtime.proc.Signals;
import io.jrun.runtime.spec.Spec;
import io.jrun.runtime.spec.SpecReader;
import io.jrun.runtime.state.ContainerState;
import io.jrun.runtime.state.Rfc3339;
import io.jrun.runtime.state.StateDir;
import io.jrun.runtime.validate.SpecValidator;
import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * jrun as a library: runs OCI bundles from this JVM, no daemon, and the OCI lifecycle
 * (create, start, state, kill, delete) on the containers under one state root.
 *
 * <pre>{@code
 * Jrun jrun = Jrun.withStateRoot(Path.of("/run/jrun"));
 * int status = jrun.run("web-1", Path.of("bundle"), LaunchOptions.defaults());
 * }</pre>
 */
public final class Jrun {
    public static final Path DEFAULT_STATE_ROOT = Path.of("/run/jrun");
    private final Path stateRoot;
    private final StageSource stages; // null: a stage spawned for each container and exec

    private Jrun(Path stateRoot, StageSource stages) {
        this.stateRoot = stateRoot.toAbsolutePath().normalize();
        this.stages = stages;
    }

    public static Jrun withStateRoot(Path root) {
        return new Jrun(root, null);
    }

    /**
     * Where a JVM that embeds jrun gets the stage monitor of a container or exec, e.g. a pool of
     * monitors spawned ahead: {@link StageSource#open} returns one whose stdio matches the
     * options, or null to have one spawned as usual.
     */
    public interface StageSource {
        StageProcess open(Path stageBinary, LaunchOptions options) throws IOException;
    }

    /** This runtime with its monitors from {@code source} (not used under the CLI launcher). */
    public Jrun withStageSource(StageSource source) {
        return new Jrun(stateRoot, source);
    }

    public Path stateRoot() {
        return stateRoot;
    }

    /** A fresh container id, for {@code jrun run ./bundle}: unique on this host (pid and clock; no SecureRandom, ~10 ms cold). */
    public static String newId() {
        return "jrun-" + Long.toHexString(ProcessHandle.current().pid()) + Long.toHexString(System.nanoTime());
    }

    /** Reads and validates {@code bundle/config.json}. */
    public static Spec load(Path bundle) throws JrunException {
        if (!Files.isDirectory(bundle)) {
            throw new JrunException("bundle " + bundle + ": " + (Files.exists(bundle)
                    ? "Not a directory (ENOTDIR)" : "No such file or directory (ENOENT)"));
        }
        Path config = bundle.resolve("config.json");
        Spec spec = SpecReader.read(config);
        Debug.log("config: read " + config);
        SpecValidator.validate(spec, config.toString());
        Debug.log("config: validated");
        return spec;
    }

    /** Sets a container up, monitored by this JVM; its init waits before the user program until {@link Container#start()}. */
    public Container create(String id, Path bundle, LaunchOptions options) throws JrunException {
        Launched l = launch(id, bundle, options, false);
        try {
            l.stateDir.write(l.state);
        } catch (JrunException e) {
            abandon(l.stage, l.stateDir);
            removeCgroup(cgroupOf(l.state));
            throw e;
        }
        return new Container(l.state, l.stateDir, l.stage, l.plan, false, l.spec, hooks(l.stateDir));
    }

    /**
     * Creates, starts and waits: returns the container's status as a shell shows it.
     * The state is written while the program starts, off the path between set-up and start.
     */
    public int run(String id, Path bundle, LaunchOptions options) throws JrunException {
        return run(id, bundle, options, false);
    }

    /** {@link #run(String, Path, LaunchOptions)}; with {@code keep}, the stopped container's state stays for delete. */
    public int run(String id, Path bundle, LaunchOptions options, boolean keep) throws JrunException {
        return run(id, bundle, options, keep, null);
    }

    /** {@link #run(String, Path, LaunchOptions, boolean)}, writing the init's pid to {@code pidFile} before it starts. */
    public int run(String id, Path bundle, LaunchOptions options, boolean keep, Path pidFile) throws JrunException {
        return run(id, bundle, options, keep, pidFile, null);
    }

    /**
     * {@link #run(String, Path, LaunchOptions, boolean, Path)}; with {@code planCacheBuild} (the
     * launcher's build id), the plan is stored in the plan cache while the container runs, when
     * the config is cacheable, so the launcher runs the same inputs again without a JVM.
     */
    public int run(String id, Path bundle, LaunchOptions options, boolean keep, Path pidFile, String planCacheBuild)
            throws JrunException {
        Launched l = launch(id, bundle, options, false);
        try (Container c = new Container(l.state, l.stateDir, l.stage, l.plan, keep, l.spec, hooks(l.stateDir))) {
            if (pidFile != null) {
                writePidFile(pidFile, l.state.pid());
            }
            c.start();
            if (planCacheBuild != null && !keep) { // the launcher writes the pid file as above
                planCacheSaid(PlanCache.store(stateRoot, planCacheBuild, id, bundle.toAbsolutePath().normalize(),
                        l.plan, cgroupOf(l.state), options));
            }
            return c.waitFor();
        }
    }

    /** {@code --debug}: why the plan cache took no entry from this command (null: it took one). */
    private static void planCacheSaid(String whyNotStored) {
        if (Debug.on()) {
            Debug.log(whyNotStored == null ? "plan cache: entry stored" : "plan cache: not stored: " + whyNotStored);
        }
    }

    /**
     * {@code jrun create}: sets a container up that outlives this process; its init waits on the
     * exec fifo until {@link #start(String)} and is re-parented to the caller's subreaper.
     * Writes the init's pid to {@code pidFile} when given.  Returns the init's pid.
     */
    public long createDetached(String id, Path bundle, LaunchOptions options, Path pidFile) throws JrunException {
        return createDetached(id, bundle, options, pidFile, null);
    }

    /**
     * {@link #createDetached(String, Path, LaunchOptions, Path)}; with {@code planCacheBuild} (the launcher's
     * build id), the plan is stored in the plan cache when the config is cacheable, so the launcher creates
     * the same inputs again without a JVM.
     */
    public long createDetached(String id, Path bundle, LaunchOptions options, Path pidFile, String planCacheBuild)
            throws JrunException {
        Launched l = launch(id, bundle, options, true);
        try {
            l.stateDir.write(l.state);
            // the launcher's records (state, start, kill, delete ... without a JVM); written last, so a
            // create that fails before this leaves none
            io.jrun.runtime.state.NativeRecords.write(l.stateDir, l.state, l.spec.hooks(), l.spec.process().terminal());
            if (pidFile != null) {
                writePidFile(pidFile, l.state.pid());
            }
            l.stage.channel().detach();
            l.stage.close();
            if (planCacheBuild != null) {
                // with the records: the launcher fills in their slots, so the start, state, kill and delete
                // after a create from the cache need no JVM either
                planCacheSaid(PlanCache.store(stateRoot, planCacheBuild, id, bundle.toAbsolutePath().normalize(),
                        l.plan, cgroupOf(l.state), options, l.state));
            }
            return l.state.pid();
        } catch (IOException | JrunException | RuntimeException e) {
            abandon(l.stage, l.stateDir);
            removeCgroup(cgroupOf(l.state)); // a state that could not be written (a full filesystem)
            if (e instanceof JrunException j) {
                throw j;
            }
            throw new JrunException("create " + id + ": " + e.getMessage(), e);
        }
    }

    private record Launched(ContainerState state, StateDir stateDir, StageProcess stage, Plan plan, Spec spec) {}

    private Launched launch(String id, Path bundle, LaunchOptions options, boolean detached) throws JrunException {
        Path b = bundle.toAbsolutePath().normalize();
        StateDir.checkId(id);
        Spec spec = load(b);
        checkConsoleSocket("create " + id, spec.process(), options);
        Path rootfs = PlanCompiler.rootfs(spec, b);
        requireRoot();
        StateDir state = StateDir.create(stateRoot, id);
        StageProcess stage = null;
        ContainerCgroup cgroup = null;
        Undo undo = new Undo(state);
        Runtime.getRuntime().addShutdownHook(undo);
        try {
            cgroup = ContainerCgroup.place(CgroupHost.detect(), spec.linux().cgroupsPath(), id);
            undo.cgroup = cgroup;
            cgroup.create();
            state.writeCgroupRecord(record(cgroup)); // before anything is placed in it: delete --force finds it
            if (Debug.on()) {
                Debug.log("cgroup: created " + String.join(" ", record(cgroup).dirs()));
            }
            if (detached && spec.process().terminal() && options.consoleSocket() == null) {
                throw new JrunException("create " + id + ": process.terminal is true: a detached container needs"
                        + " --console-socket to hand its terminal to");
            }
            // what a seccomp listener receives (the stage fills in the pid)
            Map<String, Object> listenerState = spec.linux().seccomp() == null
                    || spec.linux().seccomp().listenerPath() == null ? null : new ContainerState(id, 0, 0,
                            b.toString(), rootfs.toString(), Rfc3339.now(), spec.annotations(), false, null)
                            .toOci("creating");
            Plan plan = PlanCompiler.compile(spec, b, new PlanCompiler.Options(options.noPivot(),
                    options.preserveFds(), detached ? state.execFifo() : null, cgroup, options.consoleSocket(),
                    listenerState));
            if (Debug.on()) {
                Debug.log("plan: " + plan.steps().size() + " steps for the stage");
                for (int i = 0; i < plan.steps().size(); i++) {
                    Debug.log("plan step " + i + ": " + plan.description(i));
                }
            }
            stage = openStage(state, options);
            stage.channel().sendPlan(plan.encode());
            Debug.log("stage: plan sent, running its steps");
            StageEvent e = stage.channel().read();
            if (e instanceof StageEvent.Paused paused) { // at the hook point, before pivot_root
                Debug.log("stage: paused before pivot_root for hooks, init pid " + paused.pid());
                Map<String, Object> creating = new ContainerState(id, paused.pid(), 0, b.toString(),
                        rootfs.toString(), Rfc3339.now(), spec.annotations(), false, null).toOci("creating");
                HookRunner hooks = hooks(state);
                hooks.runInRuntime("prestart", spec.hooks().prestart(), creating);
                hooks.runInRuntime("createRuntime", spec.hooks().createRuntime(), creating);
                hooks.runInContainer("createContainer", spec.hooks().createContainer(), creating, spec, paused.pid());
                stage.channel().resume();
                e = stage.channel().read();
            }
            if (e instanceof StageEvent.Failed f) {
                throw new JrunException(plan.describe(f));
            }
            if (!(e instanceof StageEvent.Created c)) {
                throw new JrunException("create " + id + ": unexpected message from the stage: " + e);
            }
            Debug.log("stage: created, init pid " + c.pid() + " waits for start");
            cgroup.apply(DeviceDefaults.withDefaults(spec));
            Debug.log("cgroup: resources and device rules written");
            ContainerState cs = new ContainerState(id, c.pid(), ProcFs.startTime(c.pid()), b.toString(),
                    rootfs.toString(), Rfc3339.now(), spec.annotations(), false, record(cgroup));
            // exec reads the config as it was at create, not as the bundle may be now
            Files.copy(b.resolve("config.json"), state.path().resolve(StateDir.CONFIG));
            return new Launched(cs, state, stage, plan, spec);
        } catch (IOException | JrunException | RuntimeException e) {
            abandon(stage, state);
            removeCgroup(cgroup);
            if (e instanceof JrunException j) {
                throw j;
            }
            throw new JrunException("create " + id + ": " + e.getMessage(), e);
        } finally {
            // from "created" on, the monitor passes SIGINT/SIGTERM to the container, not to this JVM
            try {
                Runtime.getRuntime().removeShutdownHook(undo);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or ran: it cleans up
            }
        }
    }

    /**
     * Until the container is created, SIGINT, SIGTERM and SIGHUP stop this JVM (the launcher passes them on
     * while there is no container to give them to): then this removes what the create made so far. The
     * launcher kills the init once the JVM is gone; the cgroup's processes are killed here too.
     * A class, not a lambda: ~5 ms cold on every create.
     */
    private static final class Undo extends Thread {
        private final StateDir state;
        volatile ContainerCgroup cgroup;

        Undo(StateDir state) {
            super("jrun-undo-create");
            this.state = state;
        }

        @Override
        public void run() {
            try {
                if (cgroup != null) {
                    cgroup.remove();
                }
            } catch (JrunException | RuntimeException e) {
                System.err.println("jrun: " + e.getMessage());
            }
            try {
                state.remove();
            } catch (JrunException | RuntimeException e) {
                System.err.println("jrun: " + e.getMessage());
            }
        }
    }

    /** As runc: a console socket is for a terminal's pty master, refused when there is no terminal to send. */
    private static void checkConsoleSocket(String op, Spec.Process p, LaunchOptions options) throws JrunException {
        if (options.consoleSocket() != null && !p.terminal()) {
            throw new JrunException(op + ": cannot use console socket if jrun will not detach or allocate tty"
                    + " (process.terminal is false)");
        }
    }

    /** After a failed create or exec: closing the channel makes the monitor kill what it cloned; then the state goes. */
    private static void abandon(StageProcess stage, StateDir state) throws JrunException {
        if (stage != null) {
            try {
                stage.close();
            } catch (IOException | RuntimeException ignored) {
                // the first error is the one to report
            }
        }
        if (state != null) {
            state.remove();
        }
    }

    /**
     * {@code jrun exec} without --detach: runs {@code process} in every namespace of a running
     * container, monitored by this JVM (or the CLI launcher); the caller waits for it.
     */
    public Container exec(String id, Spec.Process process, LaunchOptions options) throws JrunException {
        return exec(id, process, options, ExecOptions.NONE);
    }

    /** {@link #exec(String, Spec.Process, LaunchOptions)} with runc's other exec flags. */
    public Container exec(String id, Spec.Process process, LaunchOptions options, ExecOptions exec)
            throws JrunException {
        return exec(id, process, options, exec, null);
    }

    /**
     * {@link #exec(String, Spec.Process, LaunchOptions, ExecOptions)}; with {@code cache} (the CLI's
     * command line and the launcher's build), the plan is stored in the plan cache once the process
     * started, when the exec is cacheable, so the launcher runs the same exec again without a JVM.
     */
    public Container exec(String id, Spec.Process process, LaunchOptions options, ExecOptions exec,
            ExecPlanCache.Request cache) throws JrunException {
        Launched l = launchExec(id, process, options, false, exec);
        Container c = new Container(l.state, null, l.stage, l.plan, false, null, null);
        try {
            if (exec.pidFile() != null) {
                writePidFile(exec.pidFile(), l.state.pid());
            }
            c.start();
            storeExecPlan(id, process, options, exec, l.plan, cache);
            return c;
        } catch (JrunException e) {
            c.close();
            throw e;
        }
    }

    /** {@code jrun exec --detach}: starts the process, writes its pid file, and leaves it to the caller. */
    public long execDetached(String id, Spec.Process process, LaunchOptions options, Path pidFile)
            throws JrunException {
        return execDetached(id, process, options, new ExecOptions(pidFile, Map.of(), false));
    }

    /** {@link #execDetached(String, Spec.Process, LaunchOptions, Path)} with runc's other exec flags. */
    public long execDetached(String id, Spec.Process process, LaunchOptions options, ExecOptions exec)
            throws JrunException {
        return execDetached(id, process, options, exec, null);
    }

    /** {@link #execDetached(String, Spec.Process, LaunchOptions, ExecOptions)}, stored as {@link #exec} stores it. */
    public long execDetached(String id, Spec.Process process, LaunchOptions options, ExecOptions exec,
            ExecPlanCache.Request cache) throws JrunException {
        Launched l = launchExec(id, process, options, true, exec);
        try {
            if (exec.pidFile() != null) {
                writePidFile(exec.pidFile(), l.state.pid());
            }
            l.stage.channel().start();
            StageEvent e = l.stage.channel().read();
            if (e instanceof StageEvent.Failed f) {
                throw new JrunException(l.plan.describe(f));
            }
            l.stage.channel().detach();
            l.stage.close();
            storeExecPlan(id, process, options, exec, l.plan, cache);
            return l.state.pid();
        } catch (IOException | JrunException | RuntimeException e) {
            abandon(l.stage, null);
            if (e instanceof JrunException j) {
                throw j;
            }
            throw new JrunException("exec " + id + ": " + e.getMessage(), e);
        }
    }

    private Launched launchExec(String id, Spec.Process process, LaunchOptions options, boolean detached,
            ExecOptions exec) throws JrunException {
        StateDir sd = existing(id);
        ContainerState s = sd.read();
        String status = status(sd, s);
        // as runc: a created container's namespaces are there to join; a paused one would hold the process
        if (status.equals("paused") && !exec.ignorePaused()) {
            throw new JrunException("exec " + id + ": cannot exec in a paused container (use --ignore-paused to"
                    + " override)");
        }
        if (!status.equals("running") && !status.equals("created") && !status.equals("paused")) {
            throw new JrunException("exec " + id + ": cannot exec in a " + status + " container");
        }
        ContainerCgroup cgroup = cgroupOf(s);
        if (!exec.subCgroups().isEmpty()) {
            if (cgroup == null) {
                throw new JrunException("exec " + id + ": --cgroup: the container has no cgroup");
            }
            cgroup = cgroup.below(exec.subCgroups(), CgroupHost.detect(), "exec " + id + ": --cgroup");
        }
        Spec container = SpecReader.read(sd.path().resolve(StateDir.CONFIG));
        SpecValidator.validateProcess(process, "exec process");
        checkConsoleSocket("exec " + id, process, options);
        if (detached && process.terminal() && options.consoleSocket() == null) {
            throw new JrunException("exec " + id + ": a detached process with a terminal needs --console-socket");
        }
        Plan plan = PlanCompiler.compileExec(container, process, s.pid(), options.preserveFds(), detached,
                cgroup, options.consoleSocket(), s.toOci(status));
        requireRoot();
        StageProcess stage = null;
        try {
            stage = openStage(sd, options);
            stage.channel().sendPlan(plan.encode());
            StageEvent e = stage.channel().read();
            if (e instanceof StageEvent.Failed f) {
                throw new JrunException(plan.describe(f));
            }
            if (!(e instanceof StageEvent.Created c)) {
                throw new JrunException("exec " + id + ": unexpected message from the stage: " + e);
            }
            ContainerState ps = new ContainerState(id, c.pid(), ProcFs.startTime(c.pid()), s.bundle(), s.rootfs(),
                    Rfc3339.now(), Map.of(), false, null);
            return new Launched(ps, null, stage, plan, null);
        } catch (IOException | JrunException | RuntimeException e) {
            abandon(stage, null);
            if (e instanceof JrunException j) {
                throw j;
            }
            throw new JrunException("exec " + id + ": " + e.getMessage(), e);
        }
    }

    /** The exec's plan into the plan cache (see ExecPlanCache); never fails the exec. */
    private void storeExecPlan(String id, Spec.Process process, LaunchOptions options, ExecOptions exec, Plan used,
            ExecPlanCache.Request cache) {
        if (cache == null) {
            return;
        }
        try {
            StateDir sd = existing(id);
            byte[] config = Files.readAllBytes(sd.path().resolve(StateDir.CONFIG));
            String why = ExecPlanCache.store(stateRoot, cache, sd.read(), config, process, options, exec, used);
            if (why != null) {
                Debug.log("plan cache: exec not stored: " + why);
            }
        } catch (JrunException | IOException | RuntimeException e) {
            Debug.log("plan cache: exec not stored: " + e.getMessage());
        }
    }

    /** The config a container was created with (exec's defaults come from its process). */
    public Spec config(String id) throws JrunException {
        return SpecReader.read(existing(id).path().resolve(StateDir.CONFIG));
    }

    /** {@code jrun start}: releases a created container's init into the user program. */
    public void start(String id) throws JrunException {
        StateDir sd = existing(id);
        try (FileLock lock = sd.lock()) {
            ContainerState s = sd.read();
            String status = status(sd, s);
            if (!status.equals("created")) {
                throw new JrunException("start " + id + ": cannot start a container that is " + status);
            }
            Spec config = SpecReader.read(sd.path().resolve(StateDir.CONFIG));
            hooks(sd).runInContainer("startContainer", config.hooks().startContainer(), s.toOci("created"), config,
                    s.pid());
            // "running" is recorded before the program is let go: a start that cannot record it (a full state
            // filesystem) does not start it, and the init keeps waiting for a start that can
            sd.write(s.asStarted());
            Debug.log("state: running recorded in " + sd.path());
            try {
                ExecFifo.release(sd.execFifo(), s);
                Debug.log("start: exec fifo opened, init pid " + s.pid() + " let go");
            } catch (JrunException | IOException | RuntimeException e) {
                try {
                    sd.write(s);
                } catch (JrunException ignored) {
                    // the init ended: the status is asked of the kernel, "stopped" whatever the file says
                }
                throw e;
            }
            hooks(sd).runWarning("poststart", config.hooks().poststart(), s.toOci("running"));
        } catch (IOException e) {
            throw new JrunException("start " + id + ": " + e.getMessage());
        }
    }

    /** stopped when the init is gone (asked of the kernel), paused when frozen, else created or running as recorded. */
    private static String status(StateDir sd, ContainerState s) {
        if (!ProcFs.alive(s.pid(), s.pidStartTime())) {
            return "stopped";
        }
        ContainerCgroup cg = cgroupOf(s);
        if (cg != null && cg.isFrozen()) {
            return "paused";
        }
        return s.started() ? "running" : "created";
    }

    /** {@code jrun pause}: freezes every process of a running container. */
    public void pause(String id) throws JrunException {
        ContainerCgroup cg = cgroupFor(id, "pause", "running");
        cg.freeze();
    }

    /** {@code jrun resume}: thaws a paused container. */
    public void resume(String id) throws JrunException {
        ContainerCgroup cg = cgroupFor(id, "resume", "paused");
        cg.thaw();
    }

    /** {@code jrun update}: changes the limits of a running (or paused) container. */
    public void update(String id, Spec.Resources r) throws JrunException {
        StateDir sd = existing(id);
        ContainerState s = sd.read();
        String status = status(sd, s);
        if (status.equals("stopped")) {
            throw new JrunException("update " + id + ": container not running");
        }
        ContainerCgroup cg = cgroupOf(s);
        if (cg == null) {
            throw new JrunException("update " + id + ": the container has no cgroup");
        }
        List<Spec.Device> devices = r.devices().isEmpty() ? List.of()
                : SpecReader.read(sd.path().resolve(StateDir.CONFIG)).linux().devices();
        Path stage = null;
        if (!r.devices().isEmpty() && cg.isV2()) {
            try {
                stage = StageBinary.installedIn(stateRoot.resolve(".stage"));
            } catch (IOException e) {
                throw new JrunException("update " + id + ": install the stage: " + e.getMessage());
            }
        }
        cg.update(r, devices, stage);
    }

    /** The container's runc-shaped stats ({@code events --stats}). */
    public Map<String, Object> stats(String id) throws JrunException {
        ContainerCgroup cg = cgroupOf(existing(id).read());
        return cg == null ? Map.of() : cg.stats();
    }

    /** How many OOM kills the container's cgroup has seen (for {@code events}). */
    public long oomKills(String id) throws JrunException {
        ContainerCgroup cg = cgroupOf(existing(id).read());
        return cg == null ? 0 : cg.oomKills();
    }

    private ContainerCgroup cgroupFor(String id, String op, String wanted) throws JrunException {
        StateDir sd = existing(id);
        ContainerState s = sd.read();
        String status = status(sd, s);
        if (!status.equals(wanted)) {
            throw new JrunException(op + " " + id + ": the container is " + status + ", not " + wanted);
        }
        ContainerCgroup cg = cgroupOf(s);
        if (cg == null) {
            throw new JrunException(op + " " + id + ": the container has no cgroup");
        }
        return cg;
    }

    /** {@code jrun state}: the OCI state of a container. */
    public Map<String, Object> state(String id) throws JrunException {
        StateDir sd = existing(id);
        ContainerState s = sd.read();
        return s.toOci(status(sd, s));
    }

    /** {@code jrun list}: the OCI state of every container under the state root. */
    public List<Map<String, Object>> list() throws JrunException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String id : StateDir.ids(stateRoot)) {
            try {
                out.add(state(id));
            } catch (JrunException e) {
                // deleted meanwhile
            }
        }
        return out;
    }

    /** The pids of a container's processes: its init and what shares its pid namespace. */
    public List<Long> pids(String id) throws JrunException {
        StateDir sd = existing(id);
        ContainerState s = sd.read();
        if (status(sd, s).equals("stopped") && s.cgroup() == null) {
            return List.of();
        }
        return processesOf(s);
    }

    /** Every process of a container: its cgroup's, else those in the init's pid namespace. */
    private static List<Long> processesOf(ContainerState s) {
        ContainerCgroup cg = cgroupOf(s);
        if (cg != null) {
            return cg.pids();
        }
        return ProcFs.alive(s.pid(), s.pidStartTime()) ? ProcFs.inPidNamespaceOf(s.pid()) : List.of();
    }

    static ContainerCgroup cgroupOf(ContainerState s) {
        return s.cgroup() == null ? null : ContainerCgroup.recorded(s.cgroup().v2(), s.cgroup().dirs(),
                s.cgroup().created());
    }

    private static ContainerState.CgroupRecord record(ContainerCgroup cg) {
        List<String> dirs = new ArrayList<>();
        for (Path d : cg.dirs()) {
            dirs.add(d.toString());
        }
        List<String> created = new ArrayList<>();
        for (Path d : cg.created()) {
            created.add(d.toString());
        }
        return new ContainerState.CgroupRecord(cg.isV2(), dirs, created);
    }

    /** Kills what is left in a cgroup, then removes the directories jrun made; errors are reported, not thrown. */
    static void removeCgroup(ContainerCgroup cg) {
        if (cg == null) {
            return;
        }
        try {
            cg.remove();
        } catch (JrunException e) {
            Warnings.warn("jrun: " + e.getMessage());
        }
    }

    /** {@code jrun kill [--all] ID SIG}. */
    public void kill(String id, int signal, boolean all) throws JrunException {
        StateDir sd = existing(id);
        ContainerState s = sd.read();
        if (status(sd, s).equals("stopped")) {
            throw new JrunException("kill " + id + ": container not running");
        }
        signal(s, signal, all);
    }

    private void signal(ContainerState s, int signal, boolean all) throws JrunException {
        Debug.log("kill: signal " + signal + (all ? " to every process of the container's cgroup" : " to init pid " + s.pid()));
        Path stageDir = stateRoot.resolve(".stage");
        if (!all) {
            Signals.send(stageDir, s.pid(), s.pidStartTime(), signal);
            return;
        }
        ContainerCgroup cg = cgroupOf(s);
        boolean frozen = false;
        if (cg != null && !cg.isFrozen()) {
            try {
                cg.freeze(); // nothing forks while the list is read and signalled
                frozen = true;
            } catch (JrunException e) {
                // no freezer: signal as they are
            }
        }
        try {
            signalAll(stageDir, s, signal);
        } finally {
            if (frozen) {
                cg.thaw();
            }
        }
    }

    private static void signalAll(Path stageDir, ContainerState s, int signal) throws JrunException {
        for (long pid : processesOf(s)) {
            long start = ProcFs.startTime(pid);
            try {
                Signals.send(stageDir, pid, start, signal);
            } catch (JrunException e) {
                if (pid == s.pid()) {
                    throw e; // others may have ended meanwhile
                }
            }
        }
    }

    /**
     * {@code jrun delete [--force]}: removes a stopped container; with force, kills a running
     * one first, and is content when the container is already gone.
     */
    public void delete(String id, boolean force) throws JrunException {
        StateDir.checkId(id);
        Optional<StateDir> found = StateDir.find(stateRoot, id);
        if (found.isEmpty()) {
            if (force) {
                return;
            }
            throw new JrunException("delete " + id + ": container \"" + id + "\" does not exist");
        }
        StateDir sd = found.get();
        try (FileLock lock = sd.lock()) {
            ContainerState s;
            try {
                s = sd.read();
            } catch (JrunException e) {
                if (!force) {
                    throw new JrunException("delete " + id + ": " + e.getMessage() + "; the state is kept (delete --force"
                            + " kills what is in the container's cgroup and removes it)");
                }
                // a damaged state, or a create that died before writing it: jrun's own record of the cgroup
                // (written before anything was placed in it) finds what is left of the container
                ContainerState.CgroupRecord kept = sd.readCgroupRecord();
                if (kept != null) {
                    ContainerCgroup.checkRecorded(kept.dirs(), kept.created(), "delete " + id);
                    ContainerCgroup cg = ContainerCgroup.recorded(kept.v2(), kept.dirs(), kept.created());
                    try {
                        if (cg.isFrozen()) {
                            cg.thaw(); // a frozen process does not die of SIGKILL until thawed
                        }
                    } catch (JrunException ignored) {
                        // no freezer: nothing is frozen
                    }
                    cg.remove();
                }
                sd.remove();
                return;
            }
            String status = status(sd, s);
            if (!status.equals("stopped")) {
                if (!force) {
                    throw new JrunException("delete " + id + ": cannot delete a container that is " + status
                            + " (stop it, or use --force)");
                }
                Debug.log("delete: " + status + " container: SIGKILL to its processes");
                signal(s, 9, true);
                ContainerCgroup paused = cgroupOf(s);
                if (paused != null && paused.isFrozen()) {
                    paused.thaw(); // a frozen process takes its SIGKILL only when thawed
                }
                awaitDeath(s);
            }
            ContainerCgroup cg = cgroupOf(s);
            if (cg != null) {
                cg.remove(); // without a pid namespace, children may outlive the init: remove() kills them
                if (Debug.on()) {
                    Debug.log("cgroup: removed " + String.join(" ", record(cg).dirs()));
                }
            }
            Spec config = null;
            try {
                config = SpecReader.read(sd.path().resolve(StateDir.CONFIG));
            } catch (JrunException e) {
                // a create that failed early has no config copy: no hooks to run
            }
            sd.remove();
            Debug.log("state: removed " + sd.path());
            if (config != null) {
                hooks(sd).runWarning("poststop", config.hooks().poststop(), s.toOci("stopped"));
            }
        } catch (IOException e) {
            throw new JrunException("delete " + id + ": " + e.getMessage());
        }
    }

    private static void awaitDeath(ContainerState s) throws JrunException {
        for (int i = 0; i < 1000; i++) {
            if (!ProcFs.alive(s.pid(), s.pidStartTime())) {
                return;
            }
            try {
                Thread.sleep(i < 50 ? 1 : 10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new JrunException("delete " + s.id() + ": init " + s.pid() + " still alive after SIGKILL");
    }

    HookRunner hooks(StateDir sd) {
        return new HookRunner(stateRoot.resolve(".stage"), sd.path().getParent());
    }

    private StateDir existing(String id) throws JrunException {
        Optional<StateDir> sd = StateDir.find(stateRoot, id);
        if (sd.isEmpty()) {
            throw new JrunException("container \"" + id + "\" does not exist");
        }
        return sd.get();
    }

    static void writePidFile(Path pidFile, long pid) throws JrunException {
        try {
            Path abs = pidFile.toAbsolutePath();
            Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp");
            Files.writeString(tmp, Long.toString(pid));
            Files.move(tmp, abs, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new JrunException("write pid file " + pidFile + ": " + io.jrun.runtime.plan.Errno.describe(e));
        }
    }

    private StageProcess openStage(StateDir state, LaunchOptions options) throws IOException {
        Optional<StageProcess> launcher = StageProcess.fromLauncher();
        if (launcher.isPresent()) {
            return launcher.get();
        }
        Path stage = StageBinary.installedIn(stateRoot.resolve(".stage"));
        if (stages != null) {
            StageProcess ready = stages.open(stage, options);
            if (ready != null) {
                return ready;
            }
        }
        ProcessBuilder pb = new ProcessBuilder()
                .redirectInput(options.stdin())
                .redirectOutput(options.stdout())
                .redirectError(options.stderr());
        return StageProcess.spawn(stage, state.path(), pb);
    }

    private static void requireRoot() throws JrunException {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    String euid = line.substring(4).trim().split("\t")[1]; // real, effective, saved, fs
                    if (!euid.equals("0")) {
                        throw new JrunException("jrun needs root: running as uid " + euid
                                + " (rootless containers are not supported yet)");
                    }
                    return;
                }
            }
        } catch (IOException e) {
            throw new JrunException("read /proc/self/status: " + e.getMessage());
        }
    }
}
