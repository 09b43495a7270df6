package io.jrun.runtime.plancache;

import io.jrun.nativebind.PlanEncoder;
import io.jrun.runtime.ExecOptions;
import io.jrun.runtime.JrunException;
import io.jrun.runtime.LaunchOptions;
import io.jrun.runtime.cgroups.ContainerCgroup;
import io.jrun.runtime.plan.Plan;
import io.jrun.runtime.plan.PlanCompiler;
import io.jrun.runtime.spec.Spec;
import io.jrun.runtime.spec.SpecReader;
import io.jrun.runtime.state.ContainerState;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The compiled-plan cache of {@code jrun exec} (plancache_exec.c): an exec whose command line (but
 * the container id), process file and container config are byte-identical to an earlier one's runs
 * without a JVM. The entry, beside run's under {@code <root>/.plan-cache/<build>/}, holds the exec's
 * plan compiled for a stand-in container: init pid {@link #PID} and cgroup directories
 * {@code @@CGDIR<k>@@}, which the launcher fills in from the container's records (native.rec). Java
 * stores it only after checking that this fill-in gives, byte for byte, the plan it used.
 *
 * <pre>
 *   "JRUNPX01"
 *   str inputs     str build, str "exec", str root, u32 n, n x str the exec's arguments but the id,
 *                  each pid file and process file path left out ("" as an argument, "--pid-file="),
 *                  u32 the id's index, u8 detach, u8 has a pid file, u8 has a process file, str its
 *                  bytes, str the container's config.json, u8 has a cgroup, u8 v2, u32 its directories
 *   str plan       with the stand-ins
 *   u32 n, n x (str description, u8 is a lookup, str its $PATH)
 *   u32 n, n x str                 Java's words for errno 0..n-1
 *   u64 FNV-1a 64 of everything before it
 * </pre>
 */
public final class ExecPlanCache {
    static final byte[] MAGIC = "JRUNPX01".getBytes(StandardCharsets.US_ASCII);
    /** The stand-in init pid: the launcher replaces "/proc/1999999999/" in every string. */
    static final long PID = 1999999999L;

    private ExecPlanCache() {}

    /** How plancache_exec.c reads an exec's arguments: the id's index and the flags it acts on, or null. */
    public record Shape(int idIndex, boolean detach, String pidFile, String process, List<String> masked) {
        public Shape {
            masked = List.copyOf(masked);
        }
    }

    /**
     * What the launcher accepts without a JVM, as plancache_exec.c parses it: flags before the id,
     * each of {@code --env -e --cwd --user -u --additional-gids -g --cap -c --pid-file --process -p}
     * (with a value, as the next argument or after '=') or {@code --detach -d --no-new-privs}
     * (optionally =VALUE), one or two dashes; the first argument not starting with '-' is the id.
     * Anything else (another flag, "--", "-"): null.
     */
    public static Shape shape(List<String> args) {
        boolean detach = false;
        String pidFile = null;
        String process = null;
        List<String> masked = new ArrayList<>(args);
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("-")) {
                masked.remove(i); // the id
                return new Shape(i, detach, pidFile, process, masked);
            }
            String body = a.startsWith("--") ? a.substring(2) : a.substring(1);
            String inline = null;
            int eq = body.indexOf('=');
            if (eq >= 0) {
                inline = body.substring(eq + 1);
                body = body.substring(0, eq);
            }
            switch (body) {
                case "env", "e", "cwd", "user", "u", "additional-gids", "g", "cap", "c", "pid-file", "process", "p" -> {
                    // where the pid file and the process file are: not an input (the process file's bytes are)
                    boolean where = body.equals("pid-file") || body.equals("process") || body.equals("p");
                    if (inline == null) {
                        if (i + 1 >= args.size()) {
                            return null;
                        }
                        inline = args.get(++i);
                        if (where) {
                            masked.set(i, "");
                        }
                    } else if (where) {
                        masked.set(i, a.substring(0, a.indexOf('=') + 1));
                    }
                    if (body.equals("pid-file")) {
                        pidFile = inline;
                    } else if (body.equals("process") || body.equals("p")) {
                        process = inline;
                    }
                }
                case "detach", "d" -> detach = inline == null || !inline.equals("false");
                case "no-new-privs" -> { }
                default -> {
                    return null;
                }
            }
        }
        return null;
    }

    /** An exec the CLI asks to cache: the build, the exec's arguments as given, and the process file's bytes. */
    public record Request(String buildId, String launcherKey, List<String> args, Shape shape, byte[] processFile) {
        public Request {
            args = List.copyOf(args);
        }
    }

    /**
     * The request for an exec whose arguments {@code args} (after "exec") Java parsed into the id
     * and these flags, or null when the launcher would read them otherwise or cannot take them
     * (then every such exec takes the JVM). {@code launcherKey}: the entry's name as the launcher
     * computed it from the same command line (JRUN_EXEC_PLAN_KEY, set only for one it can take).
     */
    public static Request request(String buildId, String launcherKey, List<String> args, String id, boolean detach,
            String pidFile, String processFile) {
        if (buildId == null || buildId.isEmpty() || launcherKey == null) {
            return null;
        }
        Shape s = shape(args);
        if (s == null || !args.get(s.idIndex()).equals(id) || s.detach() != detach
                || !Objects.equals(s.pidFile(), pidFile) || !Objects.equals(s.process(), processFile)) {
            return null;
        }
        for (String a : args) {
            if (!Arrays.equals(a.getBytes(StandardCharsets.UTF_8), utf8RoundTrip(a))) {
                return null;
            }
        }
        if (pidFile != null && pidFile.isEmpty()) {
            return null;
        }
        byte[] bytes = null;
        if (processFile != null) {
            Path p = Path.of(processFile);
            // stdin, an inherited fd: read once; the launcher needs a file it can read again
            if (processFile.equals("-") || processFile.startsWith("/dev/") || processFile.startsWith("/proc/")
                    || !Files.isRegularFile(p)) {
                return null;
            }
            try {
                bytes = Files.readAllBytes(p);
            } catch (IOException e) {
                return null;
            }
        }
        return new Request(buildId, launcherKey, args, s, bytes);
    }

    private static byte[] utf8RoundTrip(String a) {
        return new String(a.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8);
    }

    /** Why an exec of this process into this container cannot be cached (null: it can). */
    static String uncacheable(Spec container, Spec.Process process, LaunchOptions options, ExecOptions exec,
            ContainerState.CgroupRecord cgroup) {
        if (process.terminal() || options.consoleSocket() != null) {
            return "a terminal";
        }
        if (options.preserveFds() != 0 || !exec.subCgroups().isEmpty()) {
            return "--preserve-fds or --cgroup";
        }
        if (container.linux().seccomp() != null && container.linux().seccomp().listenerPath() != null) {
            return "a seccomp listener"; // the container's state goes into the plan
        }
        if (cgroup != null && cgroup.v2()) {
            return "cgroup v2";
        }
        return null;
    }

    /**
     * After an exec the JVM compiled ({@code used}) into container {@code state} (its config copy's
     * bytes {@code config}): stores the entry when the exec is cacheable and the stand-ins filled in
     * with this container's pid and cgroup give {@code used} again. Never fails the exec: returns why
     * nothing was stored, or null.
     */
    public static String store(Path stateRoot, Request request, ContainerState state, byte[] config,
            Spec.Process process, LaunchOptions options, ExecOptions exec, Plan used) {
        try {
            return storeOrSay(stateRoot, request, state, config, process, options, exec, used);
        } catch (JrunException | IOException | RuntimeException e) {
            return e.getMessage();
        }
    }

    private static String storeOrSay(Path stateRoot, Request request, ContainerState state, byte[] config,
            Spec.Process process, LaunchOptions options, ExecOptions exec, Plan used) throws JrunException, IOException {
        Spec container = SpecReader.parse(new String(config, StandardCharsets.UTF_8), "config.json");
        if (!Arrays.equals(new String(config, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8), config)) {
            return "config.json is not UTF-8";
        }
        String why = uncacheable(container, process, options, exec, state.cgroup());
        if (why != null) {
            return why;
        }
        Spec.Process p = process;
        if (request.processFile() != null) {
            // the plan is compiled from the bytes stored, not from what was read before
            p = SpecReader.parseProcess(new String(request.processFile(), StandardCharsets.UTF_8), "process");
        }
        ContainerState.CgroupRecord cg = state.cgroup();
        List<String> stand = new ArrayList<>();
        List<String> dirs = cg == null ? List.of() : cg.dirs();
        for (int k = 0; k < dirs.size(); k++) {
            stand.add(cgDir(k));
        }
        ContainerCgroup template = cg == null ? null : ContainerCgroup.recorded(cg.v2(), stand, List.of());
        Plan plan = PlanCompiler.compileExec(container, p, PID, 0, request.shape().detach(), template, null, null);
        List<PlanEncoder.Step> filled = fill(plan.steps(), state.pid(), dirs);
        if (!Arrays.equals(PlanEncoder.encode(filled), used.encode())) {
            return "the plan depends on more than the inputs";
        }
        for (int i = 0; i < plan.steps().size(); i++) {
            if (!fill(plan.description(i), state.pid(), dirs).equals(used.description(i))) {
                return "a step's words depend on more than the inputs";
            }
        }

        int idIndex = request.shape().idIndex();
        String key = key(request.shape().masked(), idIndex, config);
        if (!key.equals(request.launcherKey())) {
            return "the launcher read the command line otherwise"; // its entry would never be found
        }

        ByteArrayOutputStream in = new ByteArrayOutputStream(4096 + config.length);
        CompileInputs.str(in, request.buildId());
        CompileInputs.str(in, "exec");
        CompileInputs.str(in, stateRoot.toString());
        List<String> masked = request.shape().masked();
        CompileInputs.u32(in, masked.size());
        for (String a : masked) {
            CompileInputs.str(in, a);
        }
        CompileInputs.u32(in, idIndex);
        in.write(request.shape().detach() ? 1 : 0);
        in.write(request.shape().pidFile() != null ? 1 : 0);
        in.write(request.processFile() != null ? 1 : 0);
        CompileInputs.str(in, request.processFile() == null ? new byte[0] : request.processFile());
        CompileInputs.str(in, config);
        in.write(cg != null ? 1 : 0);
        in.write(cg != null && cg.v2() ? 1 : 0);
        CompileInputs.u32(in, dirs.size());

        ByteArrayOutputStream out = new ByteArrayOutputStream(8192 + config.length);
        out.writeBytes(MAGIC);
        CompileInputs.str(out, in.toByteArray());
        CompileInputs.str(out, plan.encode());
        PlanCache.writeSteps(out, plan);
        long sum = PlanCache.fnv(out.toByteArray());
        for (int i = 0; i < 8; i++) {
            out.write((int) (sum >>> (8 * i)) & 0xff); // a damaged entry is no entry
        }
        PlanCache.write(stateRoot, request.buildId(), key, out.toByteArray());
        return null;
    }

    static String cgDir(int k) {
        return "@@CGDIR" + k + "@@";
    }

    /** The stand-ins replaced by the container's pid and cgroup directories: what plancache_exec.c does. */
    static String fill(String s, long pid, List<String> dirs) {
        String out = s.replace("/proc/" + PID + "/", "/proc/" + pid + "/");
        for (int k = 0; k < dirs.size(); k++) {
            out = out.replace(cgDir(k), dirs.get(k));
        }
        return out;
    }

    static List<PlanEncoder.Step> fill(List<PlanEncoder.Step> steps, long pid, List<String> dirs) {
        List<PlanEncoder.Step> out = new ArrayList<>(steps.size());
        for (PlanEncoder.Step s : steps) {
            List<Object> args = new ArrayList<>(s.args().size());
            for (Object a : s.args()) {
                args.add(a instanceof String str ? fill(str, pid, dirs) : a);
            }
            out.add(new PlanEncoder.Step(s.op(), args));
        }
        return out;
    }

    /**
     * The entry's file name: FNV-1a 64, in hex, of "exec", each argument but the id (the paths of
     * the pid file and the process file left out, see {@link Shape#masked()}) after a NUL,
     * "\0#" and the id's index, "\0" and the FNV-1a 64 of the config in hex (plancache_exec.c).
     */
    static String key(List<String> masked, int idIndex, byte[] config) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("exec".getBytes(StandardCharsets.UTF_8));
        for (String a : masked) {
            b.write(0);
            b.writeBytes(a.getBytes(StandardCharsets.UTF_8));
        }
        b.writeBytes(("\0#" + idIndex + "\0" + hex(PlanCache.fnv(config))).getBytes(StandardCharsets.UTF_8));
        return hex(PlanCache.fnv(b.toByteArray()));
    }

    private static String hex(long v) {
        String h = Long.toHexString(v);
        return "0".repeat(16 - h.length()) + h;
    }
}
