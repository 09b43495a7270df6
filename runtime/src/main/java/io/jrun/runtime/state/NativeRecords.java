package io.jrun.runtime.state;

import io.jrun.nativebind.PlanEncoder;
import io.jrun.nativebind.StageOp;
import io.jrun.runtime.JrunException;
import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.spec.Spec;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A container's records for the launcher ({@code native.rec} beside state.json, the plan's
 * encoding, ops {@code REC_*} of plan.h): everything the commands that compile nothing
 * (state, start, kill, delete, list, ps, pause, resume) need, decided here at create, so the
 * launcher runs them without a JVM and only follows them: the exact bytes of state.json before
 * and after start and of cgroup.json (the launcher takes the JVM path when the files say
 * anything else), what {@code state} and {@code list} print for each status, the cgroup
 * directories and those jrun made in removal order, the hooks, a hash of the config copy.
 * Nothing in them changes during the container's life: start swaps the two recorded state texts.
 */
public final class NativeRecords {
    public static final String FILE = "native.rec";
    public static final long VERSION = 1;
    static final String[] STATUSES = {"created", "running", "paused", "stopped"};

    private NativeRecords() {}

    /** Writes the records of a created container; {@code hooks} are its config's. */
    public static void write(StateDir sd, ContainerState s, Spec.Hooks hooks, boolean terminal) throws JrunException {
        byte[] config;
        try {
            config = Files.readAllBytes(sd.path().resolve(StateDir.CONFIG));
        } catch (IOException e) {
            throw new JrunException("read " + sd.path().resolve(StateDir.CONFIG) + ": " + e.getMessage());
        }
        sd.writeAtomically(FILE, encode(s, config, hooks, terminal));
    }

    /** The bytes {@link #write} puts in native.rec. */
    public static byte[] encode(ContainerState s, byte[] config, Spec.Hooks hooks, boolean terminal) {
        return PlanEncoder.encode(steps(s, config, hooks, terminal));
    }

    /** The records as steps: what the plan cache stores with slots for what only the launcher knows at create. */
    public static List<PlanEncoder.Step> steps(ContainerState s, byte[] config, Spec.Hooks hooks, boolean terminal) {
        ContainerState created = s.started() ? new ContainerState(s.id(), s.pid(), s.pidStartTime(), s.bundle(),
                s.rootfs(), s.created(), s.annotations(), false, s.cgroup()) : s;
        List<PlanEncoder.Step> steps = new ArrayList<>();
        steps.add(step(StageOp.REC_VERSION, VERSION));
        steps.add(step(StageOp.REC_CONTAINER, s.id(), s.pid(), s.pidStartTime()));
        steps.add(step(StageOp.REC_STATE_TEXT, 0L, StateDir.text(created)));
        steps.add(step(StageOp.REC_STATE_TEXT, 1L, StateDir.text(created.asStarted())));
        if (s.cgroup() != null) {
            steps.add(step(StageOp.REC_CGROUP_TEXT, StateDir.cgroupText(s.cgroup())));
            steps.add(step(StageOp.REC_CGROUP, s.cgroup().v2() ? 1L : 0L));
            for (String d : s.cgroup().dirs()) {
                steps.add(step(StageOp.REC_CGROUP_DIR, d));
            }
            // deepest first, as ContainerCgroup.remove() takes them
            for (java.nio.file.Path d : io.jrun.runtime.cgroups.ContainerCgroup.recorded(s.cgroup().v2(),
                    s.cgroup().dirs(), s.cgroup().created()).created()) {
                steps.add(step(StageOp.REC_CGROUP_MADE, d.toString()));
            }
        }
        for (int i = 0; i < STATUSES.length; i++) {
            Map<String, Object> oci = s.toOci(STATUSES[i]);
            steps.add(step(StageOp.REC_OCI, (long) i, JsonWriter.pretty(oci), JsonWriter.write(oci)));
        }
        steps.add(step(StageOp.REC_LIST_ROW, s.bundle(), s.created()));
        steps.add(step(StageOp.REC_CONFIG, (long) config.length, fnv1a64(config)));
        long bits = (hooks.startContainer().isEmpty() ? 0 : 1) | (hooks.poststart().isEmpty() ? 0 : 2)
                | (hooks.poststop().isEmpty() ? 0 : 4);
        steps.add(step(StageOp.REC_HOOKS, bits));
        steps.add(step(StageOp.REC_TERMINAL, terminal ? 1L : 0L));
        hooks(steps, 2L, hooks.poststart());
        hooks(steps, 4L, hooks.poststop());
        return steps;
    }

    /** Each hook as HookRunner.runInRuntime starts it: its argv, its whole environment, its timeout. */
    private static void hooks(List<PlanEncoder.Step> steps, long kind, List<Spec.Hook> hooks) {
        for (Spec.Hook h : hooks) {
            List<String> argv = new ArrayList<>();
            argv.add(h.path());
            if (h.args().size() > 1) {
                argv.addAll(h.args().subList(1, h.args().size())); // args[0] is argv[0]
            }
            Map<String, String> env = new java.util.LinkedHashMap<>();
            for (String e : h.env()) {
                int eq = e.indexOf('=');
                if (eq > 0) {
                    env.put(e.substring(0, eq), e.substring(eq + 1));
                }
            }
            List<Object> args = new ArrayList<>();
            args.add(kind);
            args.add(h.timeout() == null ? 3600L : h.timeout());
            args.add(String.valueOf(h.timeout()));
            args.add((long) argv.size());
            args.add((long) env.size());
            args.addAll(argv);
            for (Map.Entry<String, String> e : env.entrySet()) {
                args.add(e.getKey() + "=" + e.getValue());
            }
            steps.add(new PlanEncoder.Step(StageOp.REC_HOOK, args));
        }
    }

    private static PlanEncoder.Step step(StageOp op, Object... args) {
        return new PlanEncoder.Step(op, List.of(args));
    }

    /** FNV-1a, 64 bits: the launcher's check that the config copy is the one recorded. */
    static long fnv1a64(byte[] b) {
        long h = 0xcbf29ce484222325L;
        for (byte x : b) {
            h ^= x & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }
}
