package io.jrun.runtime;

import io.jrun.nativebind.StageBinary;
import io.jrun.nativebind.StageEvent;
import io.jrun.nativebind.StageProcess;
import io.jrun.runtime.plan.Plan;
import io.jrun.runtime.plan.PlanCompiler;
import io.jrun.runtime.spec.Spec;
import io.jrun.runtime.spec.SpecReader;
import io.jrun.runtime.state.StateDir;
import io.jrun.runtime.validate.SpecValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * jrun as a library: runs OCI bundles from this JVM, no daemon.
 *
 * <pre>{@code
 * Jrun jrun = Jrun.withStateRoot(Path.of("/run/jrun"));
 * int status = jrun.run("web-1", Path.of("bundle"), LaunchOptions.defaults());
 * }</pre>
 */
public final class Jrun {
    public static final Path DEFAULT_STATE_ROOT = Path.of("/run/jrun");
    private final Path stateRoot;

    private Jrun(Path stateRoot) {
        this.stateRoot = stateRoot.toAbsolutePath().normalize();
    }

    public static Jrun withStateRoot(Path root) {
        return new Jrun(root);
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
        SpecValidator.validate(spec, config.toString());
        return spec;
    }

    /** Sets a container up; its init waits before the user program until {@link Container#start()}. */
    public Container create(String id, Path bundle, LaunchOptions options) throws JrunException {
        return create(id, bundle, options, true);
    }

    private Container create(String id, Path bundle, LaunchOptions options, boolean recordCreated)
            throws JrunException {
        Path b = bundle.toAbsolutePath().normalize();
        StateDir.checkId(id);
        Spec spec = load(b);
        Plan plan = PlanCompiler.compile(spec, b, new PlanCompiler.Options(options.noPivot()));
        requireRoot();
        StateDir state = StateDir.create(stateRoot, id);
        StageProcess stage = null;
        try {
            stage = openStage(state, options);
            stage.channel().sendPlan(plan.encode());
            StageEvent e = stage.channel().read();
            if (e instanceof StageEvent.Failed f) {
                throw new JrunException(plan.describe(f));
            }
            if (!(e instanceof StageEvent.Created c)) {
                throw new JrunException("create " + id + ": unexpected message from the stage: " + e);
            }
            if (recordCreated) {
                state.writeState(id, "created", c.pid(), b, spec.annotations());
            }
            return new Container(id, b, spec.annotations(), state, stage, plan, c.pid());
        } catch (IOException | JrunException | RuntimeException e) {
            if (stage != null) {
                try {
                    stage.close();
                } catch (IOException | RuntimeException ignored) {
                    // closing kills what the stage made; the first error is the one to report
                }
            }
            state.remove();
            if (e instanceof JrunException j) {
                throw j;
            }
            throw new JrunException("create " + id + ": " + e.getMessage(), e);
        }
    }

    /**
     * Creates, starts and waits: returns the container's status as a shell shows it.
     * The state says "running" from the start on; "created" is never written, which
     * keeps a state write off the path between set-up and the user program.
     */
    public int run(String id, Path bundle, LaunchOptions options) throws JrunException {
        try (Container c = create(id, bundle, options, false)) {
            c.start();
            return c.waitFor();
        }
    }

    private StageProcess openStage(StateDir state, LaunchOptions options) throws IOException {
        Optional<StageProcess> launcher = StageProcess.fromLauncher();
        if (launcher.isPresent()) {
            return launcher.get();
        }
        Path stage = StageBinary.installedIn(stateRoot.resolve(".stage"));
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
