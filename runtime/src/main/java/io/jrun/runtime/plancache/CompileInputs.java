package io.jrun.runtime.plancache;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a cached compile of {@code jrun run} or {@code create} depends on, as one value: the build,
 * the command, the state root, the bundle's path, config.json's bytes, and the host facts the compile reads, each as the
 * launcher (C) gathers it again before it reuses a plan ({@code plancache.c}). Two values whose
 * {@link #encode()} bytes are equal compile to the same plan but for the container id.
 */
public record CompileInputs(String buildId, String command, String stateRoot, String bundle, byte[] config,
        List<Fact> facts) {

    /** The realpath of a path ("" when it cannot be resolved). */
    public static final int REALPATH = 1;
    /** A file's bytes ("" when it cannot be read). */
    public static final int FILE = 2;
    /** "d" a directory, "f" something else, "n" nothing there (symlinks followed). */
    public static final int KIND = 3;

    /** One host fact: its kind, what it is about, and its value when the plan was compiled. */
    public record Fact(int kind, String arg, byte[] value) {}

    public CompileInputs {
        facts = List.copyOf(facts);
    }

    /** Reads one fact of this host now, as plancache.c reads it. */
    public static Fact fact(int kind, String arg) {
        Path p = Path.of(arg);
        byte[] v;
        try {
            v = switch (kind) {
                case REALPATH -> p.toRealPath().toString().getBytes(StandardCharsets.UTF_8);
                case FILE -> Files.readAllBytes(p);
                case KIND -> (Files.isDirectory(p) ? "d" : Files.exists(p) ? "f" : "n").getBytes(StandardCharsets.UTF_8);
                default -> throw new IllegalArgumentException("fact kind " + kind);
            };
        } catch (IOException e) {
            v = new byte[0];
        }
        return new Fact(kind, arg, v);
    }

    /** Whether the host still shows every fact as recorded. */
    public boolean factsHold() {
        for (Fact f : facts) {
            if (!java.util.Arrays.equals(fact(f.kind(), f.arg()).value(), f.value())) {
                return false;
            }
        }
        return true;
    }

    /** The facts of a plain (no user namespace) run's compile; see PlanCache#cacheable for the rest. */
    public static List<Fact> gather(Path rootfsAsWritten, List<Path> bindSources) {
        List<Fact> facts = new ArrayList<>();
        facts.add(fact(REALPATH, rootfsAsWritten.toString()));
        facts.add(fact(FILE, "/proc/self/cgroup"));      // the caller's cgroup: where jrun/<id> goes
        facts.add(fact(FILE, "/proc/self/mountinfo"));   // the cgroup hierarchies
        for (Path s : bindSources) {
            facts.add(fact(KIND, s.toString()));
        }
        return facts;
    }

    /**
     * On cgroup v2, the files of the parents a container's cgroup is made under and that jrun does not make
     * (ContainerCgroup#hostParents): which controllers each has and enables for its children, as the compile
     * read them to decide which to enable; another value (a controller disabled or enabled meanwhile) is
     * another compile.
     */
    public static List<Fact> cgroupParents(List<Path> parents) {
        List<Fact> facts = new ArrayList<>();
        for (Path p : parents) {
            facts.add(fact(FILE, p.resolve("cgroup.controllers").toString()));
            facts.add(fact(FILE, p.resolve("cgroup.subtree_control").toString()));
        }
        return facts;
    }

    /** The exact bytes plancache.c builds from what it reads and compares. */
    public byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096 + config.length);
        str(out, buildId.getBytes(StandardCharsets.UTF_8));
        str(out, command.getBytes(StandardCharsets.UTF_8));
        str(out, stateRoot.getBytes(StandardCharsets.UTF_8));
        str(out, bundle.getBytes(StandardCharsets.UTF_8));
        str(out, config);
        u32(out, facts.size());
        for (Fact f : facts) {
            out.write(f.kind());
            str(out, f.arg().getBytes(StandardCharsets.UTF_8));
            str(out, f.value());
        }
        return out.toByteArray();
    }

    static void u32(ByteArrayOutputStream out, long v) {
        out.write((int) v & 0xff);
        out.write((int) (v >>> 8) & 0xff);
        out.write((int) (v >>> 16) & 0xff);
        out.write((int) (v >>> 24) & 0xff);
    }

    static void str(ByteArrayOutputStream out, byte[] b) {
        u32(out, b.length);
        out.writeBytes(b);
    }

    static void str(ByteArrayOutputStream out, String s) {
        str(out, s.getBytes(StandardCharsets.UTF_8));
    }

}
