package io.jrun.runtime.plancache;

import io.jrun.nativebind.PlanEncoder;
import io.jrun.nativebind.StageOp;
import io.jrun.runtime.JrunException;
import io.jrun.runtime.LaunchOptions;
import io.jrun.runtime.cgroups.CgroupFiles;
import io.jrun.runtime.cgroups.CgroupHost;
import io.jrun.runtime.cgroups.ContainerCgroup;
import io.jrun.runtime.cgroups.DeviceDefaults;
import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.plan.Errno;
import io.jrun.runtime.plan.Plan;
import io.jrun.runtime.plan.PlanCompiler;
import io.jrun.runtime.spec.Spec;
import io.jrun.runtime.spec.SpecReader;
import io.jrun.runtime.state.ContainerState;
import io.jrun.runtime.state.NativeRecords;
import io.jrun.runtime.state.StateDir;
import io.jrun.runtime.validate.SpecValidator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The compiled-plan cache of {@code jrun run} and {@code jrun create}: {@code <root>/.plan-cache/<build>/<key>}, root-only
 * (0700). An entry holds the {@link CompileInputs} a plan was compiled from and what the launcher
 * needs to run it without a JVM (plancache.c): the plan with the container id as a sentinel, the
 * cgroup directories and the writes of the limits, the state files, the step descriptions, and an FNV-1a 64
 * checksum of all that. Written
 * by the JVM after a run it compiled itself; any difference in the inputs makes the launcher start
 * the JVM instead. Bounded: {@link #MAX_ENTRIES} entries and {@link #MAX_BYTES} bytes per build,
 * the oldest dropped first; another build's entries are dropped when this build stores one.
 */
public final class PlanCache {
    public static final String DIR = ".plan-cache";
    /** What stands for the container id in a stored plan: a valid id no config or path holds. */
    public static final String SENTINEL = "jrun0plan0cache0sentinel";
    static final long PID = 1999999999L;
    static final long START = 1999999998L;
    static final String CREATED = "@@CREATED@@";
    static final String CGROUP = "@@CGROUP@@";
    /** In the records of a create: the cgroup directories jrun made, a list only the launcher knows. */
    static final String MADE = "@@MADE@@";
    static final byte[] MAGIC = "JRUNPC01".getBytes(StandardCharsets.US_ASCII);
    public static final int MAX_ENTRIES = 64;
    public static final long MAX_BYTES = 16L << 20;

    private PlanCache() {}

    /**
     * Why a run of this config cannot be cached (null: it can): the launcher runs only a container
     * whose whole run is the plan, the cgroup and the state files, with nothing Java decides on the way.
     */
    public static String uncacheable(Spec spec, LaunchOptions options) {
        Spec.Hooks h = spec.hooks();
        if (!h.prestart().isEmpty() || !h.createRuntime().isEmpty() || !h.createContainer().isEmpty()
                || !h.startContainer().isEmpty() || !h.poststart().isEmpty() || !h.poststop().isEmpty()) {
            return "hooks";
        }
        if (spec.process().terminal() || options.consoleSocket() != null) {
            return "a terminal";
        }
        if (options.noPivot() || options.preserveFds() != 0) {
            return "--no-pivot or --preserve-fds";
        }
        Spec.Linux l = spec.linux();
        if (l.cgroupsPath() != null && !l.cgroupsPath().isEmpty()) {
            return "linux.cgroupsPath";
        }
        if (l.seccomp() != null && l.seccomp().listenerPath() != null) {
            return "a seccomp listener";
        }
        if (!l.timeOffsets().isEmpty() || !l.uidMappings().isEmpty() || !l.gidMappings().isEmpty()) {
            return "a time or user namespace";
        }
        boolean ownPid = false;
        for (Spec.Namespace n : l.namespaces()) {
            if (n.type().equals("user") || n.type().equals("time")) {
                return "a time or user namespace";
            }
            ownPid |= n.type().equals("pid") && (n.path() == null || n.path().isEmpty());
        }
        if (!ownPid) {
            return "no new pid namespace"; // its processes might outlive the init
        }
        Spec.Resources r = l.resources();
        if (r != null && r.memory() != null && r.memory().swap() != null) {
            return "memory.swap"; // applied after a look at the host
        }
        return null;
    }

    /**
     * After a {@code jrun run} that compiled {@code used} for container {@code id}: stores what a later
     * run of the same inputs needs, if the config is cacheable and compiles to the same plan again
     * (the config unchanged meanwhile, the id nowhere but where the id goes). Never fails the run:
     * returns why nothing was stored, or null.
     */
    public static String store(Path stateRoot, String buildId, String id, Path bundle, Plan used,
            ContainerCgroup usedCgroup, LaunchOptions options) {
        return store(stateRoot, buildId, id, bundle, used, usedCgroup, options, null);
    }

    /**
     * {@link #store(Path, String, String, Path, Plan, ContainerCgroup, LaunchOptions)}; with {@code created}
     * (the state of a {@code jrun create} this JVM just wrote), an entry for {@code create}, holding its
     * records (native.rec) with slots for the id, the init's pid and start time, the time and the cgroup
     * directories made: stored only when filling them with this create's values gives byte for byte the
     * native.rec, state.json and cgroup.json written.
     */
    public static String store(Path stateRoot, String buildId, String id, Path bundle, Plan used,
            ContainerCgroup usedCgroup, LaunchOptions options, ContainerState created) {
        try {
            return storeOrSay(stateRoot, buildId, id, bundle, used, usedCgroup, options, created);
        } catch (JrunException | IOException | RuntimeException e) {
            return e.getMessage();
        }
    }

    private static String storeOrSay(Path stateRoot, String buildId, String id, Path bundle, Plan used,
            ContainerCgroup usedCgroup, LaunchOptions options, ContainerState created)
            throws JrunException, IOException {
        boolean detached = created != null;
        String command = detached ? "create" : "run";
        if (buildId == null || buildId.isEmpty() || id.contains(SENTINEL)) {
            return "no build id";
        }
        Path configPath = bundle.resolve("config.json");
        byte[] config = Files.readAllBytes(configPath);
        String text = new String(config, StandardCharsets.UTF_8);
        if (!Arrays.equals(text.getBytes(StandardCharsets.UTF_8), config)) {
            return "config.json is not UTF-8";
        }
        Spec spec = SpecReader.parse(text, configPath.toString());
        SpecValidator.validate(spec, configPath.toString());
        CgroupHost host = CgroupHost.detect();
        String why = uncacheable(spec, options);
        if (why != null) {
            return why;
        }
        List<Path> sources = new ArrayList<>();
        for (Spec.Mount m : spec.mounts()) {
            if (m.source() != null) {
                sources.add(bundle.resolve(m.source().isEmpty() ? "." : m.source()));
            }
        }
        ContainerCgroup cg = ContainerCgroup.place(host, spec.linux().cgroupsPath(), SENTINEL);
        List<CompileInputs.Fact> facts = CompileInputs.gather(bundle.resolve(spec.root().path()), sources);
        facts.addAll(CompileInputs.cgroupParents(cg.hostParents())); // v2: what the enabling of controllers reads
        CompileInputs inputs = new CompileInputs(buildId, command, stateRoot.toString(), bundle.toString(), config,
                facts);
        byte[] encoded = inputs.encode();
        if (contains(encoded, SENTINEL.getBytes(StandardCharsets.UTF_8))) {
            return "the sentinel id is in the inputs";
        }
        Path rootfs = PlanCompiler.rootfs(spec, bundle);
        // create: the init waits on the exec fifo in its state directory (StateDir.execFifo)
        Path fifo = detached ? stateRoot.resolve(SENTINEL).resolve("exec.fifo") : null;
        Plan template = PlanCompiler.compile(spec, bundle, new PlanCompiler.Options(false, 0, fifo, cg, null, null));
        if (!Arrays.equals(PlanEncoder.encode(substitute(template.steps(), id)), used.encode())) {
            return "the plan depends on more than the inputs (the config changed meanwhile?)";
        }
        List<String> usedDirs = new ArrayList<>();
        for (Path d : usedCgroup.dirs()) {
            usedDirs.add(d.toString());
        }
        List<String> dirs = new ArrayList<>();
        for (Path d : cg.dirs()) {
            dirs.add(d.toString().replace(SENTINEL, id));
            if (needsEscape(d.toString()) || cg.mountOf(d) == null) {
                return "a cgroup path JSON would escape";
            }
        }
        if (!dirs.equals(usedDirs)) {
            return "the cgroup depends on more than the inputs";
        }
        CgroupFiles.startRecording();
        List<String[]> writes;
        try {
            cg.apply(DeviceDefaults.withDefaults(spec));
        } finally {
            writes = CgroupFiles.stopRecording();
        }
        if (!inputs.factsHold()) {
            return "the host changed while this was compiled";
        }

        ByteArrayOutputStream out = new ByteArrayOutputStream(8192 + encoded.length);
        out.writeBytes(MAGIC);
        CompileInputs.str(out, encoded);
        CompileInputs.str(out, SENTINEL);
        CompileInputs.str(out, template.encode());
        writeSteps(out, template);
        out.write(cg.isV2() ? 1 : 0);
        out.write(cg.defaultPlacement() ? 1 : 0);
        CompileInputs.u32(out, cg.dirs().size());
        for (Path d : cg.dirs()) {
            CompileInputs.str(out, d.toString());
            CompileInputs.str(out, cg.mountOf(d).toString());
            out.write(cg.isCpuset(d) ? 1 : 0);
        }
        CompileInputs.u32(out, writes.size());
        for (String[] w : writes) {
            CompileInputs.str(out, w[0]);
            CompileInputs.str(out, w[1]);
            CompileInputs.str(out, w[2]);
        }
        ContainerState s = new ContainerState(SENTINEL, PID, START, bundle.toString(), rootfs.toString(), CREATED,
                spec.annotations(), false, null);
        CompileInputs.str(out, state(s, "created"));
        CompileInputs.str(out, state(s, "running"));
        // create: the records, in the plan's encoding, with the slots the launcher fills (empty for run)
        byte[] records = new byte[0];
        if (detached) {
            if (created.cgroup() == null || !created.id().equals(id)) {
                return "a create without a cgroup record";
            }
            List<String> templateDirs = new ArrayList<>();
            for (Path d : cg.dirs()) {
                templateDirs.add(d.toString());
            }
            ContainerState t = new ContainerState(SENTINEL, PID, START, bundle.toString(), rootfs.toString(), CREATED,
                    spec.annotations(), false, new ContainerState.CgroupRecord(cg.isV2(), templateDirs, List.of(MADE)));
            List<PlanEncoder.Step> recTemplate = NativeRecords.steps(t, config, spec.hooks(),
                    spec.process().terminal());
            List<PlanEncoder.Step> filled = fillRecords(recTemplate, id, created.pid(), created.pidStartTime(),
                    created.created(), created.cgroup().created());
            if (filled == null || !Arrays.equals(PlanEncoder.encode(filled),
                    NativeRecords.encode(created, config, spec.hooks(), spec.process().terminal()))) {
                return "the records depend on more than the slots";
            }
            // what the launcher writes as state.json and cgroup.json: the records' texts, which must be Java's
            String stateText = null;
            String cgroupText = null;
            for (PlanEncoder.Step st : filled) {
                if (st.op() == StageOp.REC_STATE_TEXT && Long.valueOf(0L).equals(st.args().get(0))) {
                    stateText = (String) st.args().get(1);
                } else if (st.op() == StageOp.REC_CGROUP_TEXT) {
                    cgroupText = (String) st.args().get(0);
                }
            }
            if (!StateDir.text(created).equals(stateText) || !StateDir.cgroupText(created.cgroup()).equals(cgroupText)
                    || !launcherCgroupText(created.cgroup()).equals(cgroupText)) {
                return "the state files depend on more than the slots";
            }
            records = PlanEncoder.encode(recTemplate);
        }
        CompileInputs.str(out, records);
        byte[] body = out.toByteArray();
        long sum = fnv(body);
        for (int i = 0; i < 8; i++) {
            out.write((int) (sum >>> (8 * i)) & 0xff); // a damaged entry is no entry
        }
        write(stateRoot, buildId, key(command, bundle.toString()), out.toByteArray());
        return null;
    }

    /**
     * The records with their slots filled, as plancache_create.c fills them: in every string, in one pass, the
     * sentinel id, the pid and start-time placeholders, the creation time and {@code "@@MADE@@"} (the made
     * directories as JSON strings, comma-separated); a u64 equal to a placeholder; the REC_CGROUP_MADE step
     * of {@code @@MADE@@} once per made directory. Null when a value would need JSON escaping.
     */
    static List<PlanEncoder.Step> fillRecords(List<PlanEncoder.Step> template, String id, long pid, long start,
            String created, List<String> made) {
        StringBuilder list = new StringBuilder();
        for (String m : made) {
            if (needsEscape(m)) {
                return null;
            }
            list.append(list.length() == 0 ? "\"" : ",\"").append(m).append('"');
        }
        if (needsEscape(created) || needsEscape(id)) {
            return null;
        }
        String[] from = {SENTINEL, Long.toString(PID), Long.toString(START), CREATED, "\"" + MADE + "\""};
        String[] to = {id, Long.toString(pid), Long.toString(start), created, list.toString()};
        List<PlanEncoder.Step> out = new ArrayList<>();
        for (PlanEncoder.Step s : template) {
            if (s.op() == StageOp.REC_CGROUP_MADE && s.args().size() == 1 && MADE.equals(s.args().get(0))) {
                for (String m : made) {
                    out.add(new PlanEncoder.Step(StageOp.REC_CGROUP_MADE, List.of(m)));
                }
                continue;
            }
            List<Object> args = new ArrayList<>(s.args().size());
            for (Object a : s.args()) {
                if (a instanceof String str) {
                    args.add(replaceAll(str, from, to));
                } else if (a instanceof Long n) {
                    args.add(n == PID ? pid : n == START ? start : n);
                } else {
                    args.add(a);
                }
            }
            out.add(new PlanEncoder.Step(s.op(), args));
        }
        return out;
    }

    /** Each of {@code from} replaced by its {@code to}, left to right in one pass (what is put in is not looked at again). */
    static String replaceAll(String s, String[] from, String[] to) {
        StringBuilder b = new StringBuilder(s.length() + 64);
        int i = 0;
        outer:
        while (i < s.length()) {
            for (int k = 0; k < from.length; k++) {
                if (s.startsWith(from[k], i)) {
                    b.append(to[k]);
                    i += from[k].length();
                    continue outer;
                }
            }
            b.append(s.charAt(i++));
        }
        return b.toString();
    }

    /** cgroup.json as plancache.c's cgroup_json writes it. */
    private static String launcherCgroupText(ContainerState.CgroupRecord r) {
        StringBuilder b = new StringBuilder("{\"v2\":").append(r.v2()).append(",\"dirs\":[");
        for (int i = 0; i < r.dirs().size(); i++) {
            b.append(i == 0 ? "\"" : ",\"").append(r.dirs().get(i)).append('"');
        }
        b.append("],\"created\":[");
        for (int i = 0; i < r.created().size(); i++) {
            b.append(i == 0 ? "\"" : ",\"").append(r.created().get(i)).append('"');
        }
        return b.append("]}").toString();
    }

    /** state.json as StateDir writes it, with the sentinels the launcher fills in. */
    private static String state(ContainerState s, String status) {
        Map<String, Object> m = s.toOci(status);
        m.put("jrun.pidStartTime", s.pidStartTime());
        m.put("jrun.cgroup", CGROUP);
        return JsonWriter.write(m);
    }

    /** The steps with the sentinel replaced by {@code id} in every string: what plancache.c does. */
    static List<PlanEncoder.Step> substitute(List<PlanEncoder.Step> steps, String id) {
        List<PlanEncoder.Step> out = new ArrayList<>(steps.size());
        for (PlanEncoder.Step s : steps) {
            List<Object> args = new ArrayList<>(s.args().size());
            for (Object a : s.args()) {
                args.add(a instanceof String str ? str.replace(SENTINEL, id) : a);
            }
            out.add(new PlanEncoder.Step(s.op(), args));
        }
        return out;
    }

    private static boolean needsEscape(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\' || c > 0x7e) {
                return true;
            }
        }
        return false;
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (hay[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** The entry's file name: FNV-1a 64 of "COMMAND BUNDLE", in hex (plancache.c computes the same). */
    public static String key(String command, String bundle) {
        String hex = Long.toHexString(fnv((command + " " + bundle).getBytes(StandardCharsets.UTF_8)));
        return "0".repeat(16 - hex.length()) + hex;
    }

    /** FNV-1a 64. */
    static long fnv(byte[] bytes) {
        long h = 0xcbf29ce484222325L;
        for (byte b : bytes) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** The directory of this build's entries under {@code stateRoot}. */
    public static Path dir(Path stateRoot, String buildId) {
        return stateRoot.resolve(DIR).resolve(buildId);
    }

    static void write(Path stateRoot, String buildId, String key, byte[] entry) throws IOException {
        Path top = stateRoot.resolve(DIR);
        Path dir = top.resolve(buildId);
        for (Path d : List.of(stateRoot, top, dir)) {
            if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(d);
            }
        }
        Files.setPosixFilePermissions(top, PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        try (DirectoryStream<Path> builds = Files.newDirectoryStream(top)) {
            for (Path other : builds) {
                if (!other.equals(dir)) {
                    removeTree(other); // a new build: the old one's plans are of no use
                }
            }
        }
        Path tmp = dir.resolve("." + key + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            Files.write(tmp, entry);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            Files.move(tmp, dir.resolve(key), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp); // a full filesystem or a failed move: no half-written file stays (evict skips ".")
        }
        evict(dir);
    }

    /** Drops the oldest entries (by modification time: the launcher touches an entry it uses) past the bounds. */
    static void evict(Path dir) throws IOException {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> d = Files.newDirectoryStream(dir)) {
            for (Path p : d) {
                if (!p.getFileName().toString().startsWith(".")) {
                    entries.add(p);
                }
            }
        }
        List<FileTime> times = new ArrayList<>();
        long total = 0;
        for (Path p : entries) {
            times.add(Files.getLastModifiedTime(p));
            total += Files.size(p);
        }
        while (!entries.isEmpty() && (entries.size() > MAX_ENTRIES || total > MAX_BYTES)) {
            int oldest = 0;
            for (int i = 1; i < entries.size(); i++) {
                if (times.get(i).compareTo(times.get(oldest)) < 0) {
                    oldest = i;
                }
            }
            total -= Files.size(entries.get(oldest));
            Files.deleteIfExists(entries.get(oldest));
            entries.remove(oldest);
            times.remove(oldest);
        }
    }

    private static void removeTree(Path p) throws IOException {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> d = Files.newDirectoryStream(p)) {
                for (Path c : d) {
                    removeTree(c);
                }
            }
        }
        Files.deleteIfExists(p);
    }

    /**
     * What the launcher says about a failed step without a JVM, as Java says it: each step's
     * description and the path a LOOKUP step resolves, then the errno descriptions (an entry's part,
     * for run/create and exec alike).
     */
    static void writeSteps(ByteArrayOutputStream out, Plan plan) {
        CompileInputs.u32(out, plan.steps().size());
        for (int i = 0; i < plan.steps().size(); i++) {
            PlanEncoder.Step s = plan.steps().get(i);
            CompileInputs.str(out, plan.description(i));
            boolean lookup = s.op() == StageOp.LOOKUP && !s.args().isEmpty();
            out.write(lookup ? 1 : 0);
            CompileInputs.str(out, lookup ? String.valueOf(s.args().get(0)) : "");
        }
        CompileInputs.u32(out, 134);
        for (int e = 0; e < 134; e++) {
            CompileInputs.str(out, Errno.describe(e));
        }
    }
}
