package io.jrun.micro;

import io.jrun.image.ImageException;
import io.jrun.image.Images;
import io.jrun.image.bundle.BundleConfig;
import io.jrun.image.bundle.BundleOptions;
import io.jrun.image.json.ImageJson.ConfigJson;
import io.jrun.image.json.ImageJson.ContainerConfigJson;
import io.jrun.image.store.Errors;
import io.jrun.image.store.StoredImage;
import io.jrun.image.unpack.Unpacker;
import io.jrun.micro.closure.Closure;
import io.jrun.micro.closure.SourceRoot;
import io.jrun.micro.etc.EtcFiles;
import io.jrun.micro.manifest.Manifest;
import io.jrun.micro.output.OciWriter;
import io.jrun.micro.output.RootfsWriter;
import io.jrun.micro.trace.Tracer;
import io.jrun.runtime.json.JsonWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code jrun micro}: the smallest image that still runs the app. From the source root it takes
 * the programs named, the ELF closure over every ELF kept, the files the user adds, a generated
 * /etc, and with a workload the files the workload touched in a traced container over the full
 * root, re-running it over the result until it needs nothing new and does what it did over the
 * full root. Writes an OCI layout, an oci-archive or a bundle, with a manifest of why each file
 * is in and a size table.
 */
public final class Micro {
    /** Paths the runtime provides in every container: never taken from the source. */
    private static final List<String> RUNTIME_PATHS = List.of("/proc", "/sys", "/dev", "/tmp", "/run");
    /** Files of the host a container gets from its runtime or engine (MICRO.md's failure 9): never baked in. */
    private static final List<String> HOST_FILES = List.of("/etc/resolv.conf", "/etc/hostname", "/etc/mtab");
    private static final int MAX_ROUNDS = 6;

    private final MicroOptions o;
    private final PrintStream log;

    public Micro(MicroOptions options, PrintStream log) {
        this.o = options;
        this.log = log;
    }

    /** The outcome: the manifest, the sizes, the trace rounds run. */
    public record Report(Manifest manifest, RootfsWriter.Size source, RootfsWriter.Size result, int rounds,
            String sizeTable) {}

    public Report build() throws MicroException {
        if (o.ociLayout() == null && o.ociArchive() == null && o.bundle() == null) {
            throw new MicroException("micro: no output: give --oci DIR, --oci-archive FILE[:TAG] or --bundle DIR");
        }
        if ((o.image() == null) == !o.fromHost()) {
            throw new MicroException("micro: give either an image reference or --from-host");
        }
        for (Path out : new Path[] {o.ociLayout(), o.bundle()}) {
            if (out != null && Files.exists(out, LinkOption.NOFOLLOW_LINKS) && !emptyDir(out)) {
                throw new MicroException("micro: write " + out + ": File exists (EEXIST)");
            }
        }
        Path work;
        try {
            Path near = (o.bundle() != null ? o.bundle() : o.ociLayout() != null ? o.ociLayout() : o.ociArchive())
                    .toAbsolutePath().getParent();
            Files.createDirectories(near);
            work = Files.createTempDirectory(near, ".jrun-micro-");
            Files.setAttribute(work, "unix:mode", 0700);
        } catch (IOException e) {
            throw MicroException.io("micro: make a work directory beside the output", e);
        }
        try {
            return build(work);
        } finally {
            try {
                Unpacker.deleteTree(work);
            } catch (IOException e) {
                log.println("jrun: remove " + work + ": " + e.getMessage());
            }
        }
    }

    private Report build(Path work) throws MicroException {
        // the source and what its image says about the process
        SourceRoot src;
        ContainerConfigJson image = null;
        if (o.fromHost()) {
            src = new SourceRoot(Path.of("/"));
        } else {
            Path b = work.resolve("source");
            try {
                Images images = Images.open(o.imageRoot());
                List<String> cmd = new ArrayList<>(o.entrypoint());
                cmd.addAll(o.args());
                StoredImage stored = images.unpack(o.image(), b, new BundleOptions(cmd.isEmpty() ? null : cmd,
                        List.of(), null, false));
                ConfigJson c = Unpacker.config(images.store(), stored);
                image = c.config();
            } catch (ImageException e) {
                throw new MicroException(e.getMessage());
            }
            src = new SourceRoot(b.resolve("rootfs"));
        }
        List<String> entrypoint = !o.entrypoint().isEmpty() ? o.entrypoint()
                : image != null && image.entrypoint() != null && o.args().isEmpty() ? image.entrypoint() : List.of();
        List<String> cmd = !o.args().isEmpty() ? o.args()
                : o.entrypoint().isEmpty() && image != null && image.cmd() != null ? image.cmd() : List.of();
        List<String> command = new ArrayList<>(entrypoint);
        command.addAll(cmd);
        if (command.isEmpty()) {
            throw new MicroException("micro: no command: give --entrypoint (the source image has none)");
        }
        List<String> env = BundleConfigEnv.merge(image != null ? image.env() : null, o.env());
        String userSpec = o.user() != null ? o.user() : image != null ? image.user() : null;
        String workdir = o.workdir() != null ? o.workdir()
                : image != null && image.workingDir() != null && !image.workingDir().isEmpty() ? image.workingDir() : "/";

        Manifest m = new Manifest();
        Closure closure = new Closure(src, m);
        EtcFiles.User user = EtcFiles.resolve(src, userSpec);
        String program = program(src, command.get(0), env);
        if (program == null) {
            throw new MicroException("micro: exec \"" + command.get(0) + "\": executable file not found in "
                    + src.root() + (command.get(0).contains("/") ? " (ENOENT)" : " (searched $PATH)"));
        }
        closure.add(program, "the program (" + (o.entrypoint().isEmpty() && image != null ? "the image's command"
                : "named by the user") + ")", false);
        for (String a : command.subList(1, command.size())) {
            if (a.startsWith("/") && !underRuntime(a) && src.resolve(a).exists()) {
                closure.add(a, "named in the command line", false);
            }
        }
        for (String a : o.add()) {
            if (addGlob(src, closure, a) == 0) {
                throw new MicroException("micro: --add " + a + ": No such file or directory in " + src.root()
                        + " (ENOENT)");
            }
        }
        if (workdir != null && !workdir.equals("/")) {
            closure.add(workdir, "the working directory", false);
        }
        if (m.items().values().stream().anyMatch(i -> i.reasons().stream().anyMatch(r -> r.contains("PT_INTERP")))) {
            closure.add("/etc/ld.so.cache", "read by the dynamic loader", false);
        }
        EtcFiles.generate(m, user);
        m.generate("/tmp", null, 01777, "generated: a writable place (a tmpfs in the bundle)");
        for (String d : List.of("/proc", "/sys", "/dev")) {
            m.generate(d, null, 0755, "generated: mount point");
        }

        Path rootfs = work.resolve("rootfs");
        RootfsWriter.write(src, m, rootfs);
        int rounds = 0;
        if (o.trace() != null) {
            rounds = trace(src, closure, m, rootfs, work, env, user, workdir);
        }
        for (String missing : closure.missing()) {
            log.println("jrun micro: warning: " + missing + ": not found in the source");
        }

        // sizes, outputs
        RootfsWriter.Size source = sourceSize(src, m);
        RootfsWriter.Size result;
        try {
            result = RootfsWriter.size(rootfs);
        } catch (IOException e) {
            throw MicroException.io("micro: size of " + rootfs, e);
        }
        String table = table(src, source, result, m, rounds);
        OciWriter.ImageConfig ic = new OciWriter.ImageConfig(entrypoint, cmd, env,
                user.uid() + ":" + user.gid(), workdir);
        if (o.ociLayout() != null || o.ociArchive() != null) {
            Path layout = o.ociLayout() != null ? o.ociLayout() : work.resolve("layout");
            try {
                OciWriter.writeLayout(rootfs, ic, o.tag() != null ? o.tag() : "latest", layout);
            } catch (MicroException e) {
                try {
                    if (Files.exists(layout, LinkOption.NOFOLLOW_LINKS)) {
                        Unpacker.deleteTree(layout);
                    }
                } catch (IOException ignored) {
                    // the first error is the one to report
                }
                throw e;
            }
            writeBeside(o.ociLayout() != null ? o.ociLayout().resolveSibling(o.ociLayout().getFileName() + ".manifest.tsv")
                    : null, m.text(), table);
            if (o.ociArchive() != null) {
                OciWriter.writeArchive(layout, o.ociArchive());
                writeBeside(o.ociArchive().resolveSibling(o.ociArchive().getFileName() + ".manifest.tsv"), m.text(), table);
            }
        }
        if (o.bundle() != null) {
            writeBundle(rootfs, ic, o.bundle(), m, table);
        }
        log.print(table);
        return new Report(m, source, result, rounds, table);
    }

    private int trace(SourceRoot src, Closure closure, Manifest m, Path rootfs, Path work, List<String> env,
            EtcFiles.User user, String workdir) throws MicroException {
        Tracer tracer = new Tracer(o.stateRoot(), work);
        log.println("jrun micro: tracing the workload over the full root " + src.root());
        Tracer.Result full;
        if (o.fromHost()) {
            List<String> binds = new ArrayList<>();
            Path view = hostView(work.resolve("host-view"), binds);
            full = tracer.run(view, binds, o.trace(), env, user.uid(), user.gid(), workdir);
        } else {
            full = tracer.run(src.root(), o.trace(), env, user.uid(), user.gid(), workdir);
        }
        addTouched(src, closure, m, full.paths(), "opened by the workload");
        RootfsWriter.write(src, m, rootfs);
        for (int round = 1; round <= MAX_ROUNDS; round++) {
            log.println("jrun micro: round " + round + ": the workload over the result (" + m.items().size() + " paths)");
            Tracer.Result min = tracer.run(rootfs, o.trace(), env, user.uid(), user.gid(), workdir);
            int added = addTouched(src, closure, m, min.paths(), "opened by the workload over the result (round "
                    + round + ")");
            if (added == 0) {
                if (!min.sameOutcome(full)) {
                    throw new MicroException("micro: the workload does not do over the result what it did over the full"
                            + " root, and it touched nothing more the source has: " + difference(full, min));
                }
                return round + 1;
            }
            RootfsWriter.write(src, m, rootfs);
        }
        throw new MicroException("micro: the workload still needed new files after " + MAX_ROUNDS + " rounds");
    }

    /**
     * The host's / for a traced container (jrun refuses the host's root directory itself): a
     * directory with the host's top-level symlinks, and its top-level directories bound at the
     * same paths (the runtime's own /proc, /sys, /dev, /tmp, /run left to the container).
     */
    private static Path hostView(Path view, List<String> binds) throws MicroException {
        try {
            Files.createDirectories(view);
            try (var s = Files.list(Path.of("/"))) {
                for (Path p : (Iterable<Path>) s.sorted()::iterator) {
                    String name = p.getFileName().toString();
                    if (Files.isSymbolicLink(p)) {
                        Files.createSymbolicLink(view.resolve(name), Files.readSymbolicLink(p));
                    } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        Files.createDirectory(view.resolve(name));
                        if (!underRuntime("/" + name) && !name.equals("lost+found")) {
                            binds.add("/" + name);
                        }
                    }
                }
            }
            Files.setAttribute(view, "unix:mode", 0755);
        } catch (IOException e) {
            throw MicroException.io("micro: make the host's view in " + view, e);
        }
        return view;
    }

    static String difference(Tracer.Result full, Tracer.Result min) {
        StringBuilder sb = new StringBuilder();
        if (full.status() != min.status()) {
            sb.append("exit status ").append(full.status()).append(" over the full root, ").append(min.status())
                    .append(" over the result");
        }
        if (!full.stdout().equals(min.stdout())) {
            if (sb.length() > 0) {
                sb.append("; ");
            }
            sb.append("stdout ").append(quote(full.stdout())).append(" over the full root, ")
                    .append(quote(min.stdout())).append(" over the result");
        }
        if (!min.stderr().isEmpty()) {
            sb.append("; stderr over the result: ").append(quote(min.stderr()));
        }
        return sb.toString();
    }

    private static String quote(String s) {
        String t = s.length() > 300 ? s.substring(0, 300) + "..." : s;
        return "\"" + t.replace("\\", "\\\\").replace("\n", "\\n").replace("\"", "\\\"") + "\"";
    }

    /** Adds the traced paths the source has; returns how many were new. */
    private static int addTouched(SourceRoot src, Closure closure, Manifest m, Set<String> paths, String reason)
            throws MicroException {
        int before = m.items().size();
        for (String p : new TreeSet<>(paths)) {
            String n = SourceRoot.normalize(p);
            if (underRuntime(n) || n.equals("/") || HOST_FILES.contains(n)) {
                continue;
            }
            SourceRoot.Resolved r = src.resolve(n);
            if (!r.exists() && r.links().isEmpty()) {
                continue; // looked up in vain: absent in the source too
            }
            if (r.exists() && m.contains(r.path()) && r.links().stream().allMatch(m::contains)) {
                continue;
            }
            if (r.exists() && underRuntime(r.path())) {
                continue;
            }
            closure.add(n, reason, false);
        }
        return m.items().size() - before;
    }

    private static boolean underRuntime(String path) {
        for (String r : RUNTIME_PATHS) {
            if (path.equals(r) || path.startsWith(r + "/")) {
                return true;
            }
        }
        return false;
    }

    /** The program's in-root path: as given with a slash, else the first match in $PATH. */
    private static String program(SourceRoot src, String name, List<String> env) {
        if (name.contains("/")) {
            return name.startsWith("/") && src.resolve(name).exists() ? name : null;
        }
        String path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        for (String kv : env) {
            if (kv.startsWith("PATH=")) {
                path = kv.substring(5);
            }
        }
        for (String dir : path.split(":")) {
            if (dir.startsWith("/")) {
                SourceRoot.Resolved r = src.resolve(dir + "/" + name);
                if (r.exists() && r.attrs().isRegularFile()) {
                    return SourceRoot.normalize(dir + "/" + name);
                }
            }
        }
        return null;
    }

    /** --add PATH|GLOB: a path, or every path matching a glob (wildcards anywhere; ** crosses directories). */
    private static int addGlob(SourceRoot src, Closure closure, String spec) throws MicroException {
        String reason = "named by the user (--add " + spec + ")";
        if (!spec.startsWith("/")) {
            throw new MicroException("micro: --add " + spec + ": an absolute path or glob in the source is expected");
        }
        if (spec.chars().noneMatch(ch -> ch == '*' || ch == '?' || ch == '[' || ch == '{')) {
            return closure.add(spec, reason, true) ? 1 : 0;
        }
        int wild = spec.length();
        for (char ch : new char[] {'*', '?', '[', '{'}) {
            int i = spec.indexOf(ch);
            if (i >= 0 && i < wild) {
                wild = i;
            }
        }
        String base = SourceRoot.parent(spec.substring(0, wild) + "x");
        SourceRoot.Resolved r = src.resolve(base);
        if (!r.exists() || !r.attrs().isDirectory()) {
            return 0;
        }
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + spec);
        Path hostBase = src.host(r.path());
        List<String> matches = new ArrayList<>();
        try {
            Files.walkFileTree(hostBase, new SimpleFileVisitor<>() {
                private void check(Path p) {
                    String rel = hostBase.relativize(p).toString();
                    String inRoot = SourceRoot.normalize(base + "/" + rel);
                    if (matcher.matches(Path.of(inRoot))) {
                        matches.add(inRoot);
                    }
                }

                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) {
                    if (!d.equals(hostBase)) {
                        check(d);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                    check(f);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw MicroException.io("micro: --add " + spec, e);
        }
        for (String p : matches) {
            closure.add(p, reason, true);
        }
        return matches.size();
    }

    /** The source's size: an image's whole rootfs; the host's top-level directories a kept file is under. */
    private RootfsWriter.Size sourceSize(SourceRoot src, Manifest m) throws MicroException {
        try {
            if (!o.fromHost()) {
                return RootfsWriter.size(src.root());
            }
            Set<String> tops = new TreeSet<>();
            for (String p : m.items().keySet()) {
                String[] c = p.split("/");
                if (c.length > 1 && src.attrs("/" + c[1]) != null && src.attrs("/" + c[1]).isDirectory()) {
                    tops.add("/" + c[1]);
                }
            }
            RootfsWriter.Size s = new RootfsWriter.Size(0, 0);
            for (String t : tops) {
                if (!underRuntime(t)) {
                    s = s.plus(RootfsWriter.size(src.host(t)));
                }
            }
            return s;
        } catch (IOException e) {
            throw MicroException.io("micro: size of " + src.root(), e);
        }
    }

    private String table(SourceRoot src, RootfsWriter.Size source, RootfsWriter.Size result, Manifest m, int rounds) {
        Map<String, long[]> why = new LinkedHashMap<>();
        for (Map.Entry<String, Manifest.Item> e : m.items().entrySet()) {
            String first = e.getValue().reasons().isEmpty() ? "" : e.getValue().reasons().get(0);
            if (first.startsWith("symlink on the way: ")) {
                first = first.substring("symlink on the way: ".length());
            }
            String kind = first.startsWith("ELF dependency") || first.startsWith("interpreter") ? "ELF closure"
                    : first.startsWith("opened by") ? "traced" : first.startsWith("named") || first.startsWith("the program")
                    ? "named" : first.startsWith("generated") ? "generated" : "other";
            long[] n = why.computeIfAbsent(kind, k -> new long[2]);
            n[0]++;
            BasicFileAttributes a = e.getValue().kind() == Manifest.Kind.FILE ? src.attrs(e.getKey()) : null;
            if (a != null && a.isRegularFile()) {
                n[1] += a.size();
            } else if (e.getValue().content() != null) {
                n[1] += e.getValue().content().length;
            }
        }
        StringBuilder sb = new StringBuilder();
        String from = o.fromHost() ? "host " + src.root() + " (the top-level directories used)" : o.image();
        sb.append(String.format("%-28s %10s %14s%n", "", "files", "bytes"));
        sb.append(String.format("%-28s %10d %14d  %s%n", "source", source.files(), source.bytes(), from));
        sb.append(String.format("%-28s %10d %14d  %.1f%% of the bytes%n", "result", result.files(), result.bytes(),
                source.bytes() == 0 ? 0.0 : 100.0 * result.bytes() / source.bytes()));
        for (Map.Entry<String, long[]> e : why.entrySet()) {
            sb.append(String.format("  %-26s %10d %14d%n", e.getKey(), e.getValue()[0], e.getValue()[1]));
        }
        if (rounds > 0) {
            sb.append("trace: ").append(rounds).append(" runs, the last over the result doing what the full root did\n");
        }
        return sb.toString();
    }

    private static void writeBeside(Path manifestFile, String manifest, String table) throws MicroException {
        if (manifestFile == null) {
            return;
        }
        String name = manifestFile.getFileName().toString();
        Path sizes = manifestFile.resolveSibling(name.substring(0, name.length() - ".manifest.tsv".length())
                + ".sizes.txt");
        try {
            Files.writeString(manifestFile, manifest);
            Files.writeString(sizes, table);
        } catch (IOException e) {
            throw MicroException.io("micro: write " + manifestFile, e);
        }
    }

    @SuppressWarnings("unchecked")
    private void writeBundle(Path rootfs, OciWriter.ImageConfig ic, Path bundle, Manifest m, String table)
            throws MicroException {
        Path target = bundle.toAbsolutePath().normalize();
        Path tmp = target.resolveSibling("." + target.getFileName() + ".jrun-micro");
        boolean done = false;
        try {
            Files.createDirectories(tmp);
            Files.setAttribute(tmp, "unix:mode", 0700);
            Files.move(rootfs, tmp.resolve("rootfs"));
            ConfigJson c = new ConfigJson(null, null, "linux", null, new ContainerConfigJson(ic.user(), null, ic.env(),
                    ic.entrypoint(), ic.cmd(), ic.workingDir(), null, null), null);
            Map<String, Object> spec = BundleConfig.create(c, tmp.resolve("rootfs"), BundleOptions.NONE);
            List<Object> mounts = new ArrayList<>((List<Object>) spec.get("mounts"));
            mounts.add(Map.of("destination", "/tmp", "type", "tmpfs", "source", "tmpfs",
                    "options", List.of("nosuid", "nodev", "mode=1777", "size=65536k")));
            spec.put("mounts", mounts);
            Files.writeString(tmp.resolve("config.json"), JsonWriter.pretty(spec));
            Files.writeString(tmp.resolve("manifest.tsv"), m.text());
            Files.writeString(tmp.resolve("sizes.txt"), table);
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.delete(target);
            }
            Files.move(tmp, target);
            done = true;
        } catch (ImageException e) {
            throw new MicroException("micro: the bundle's config.json: " + e.getMessage());
        } catch (IOException e) {
            throw MicroException.io("micro: write the bundle " + bundle, e);
        } finally {
            if (!done && Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Unpacker.deleteTree(tmp);
                } catch (IOException e) {
                    log.println("jrun: remove " + tmp + " after a failed write: " + Errors.reason(e));
                }
            }
        }
    }

    private static boolean emptyDir(Path p) {
        try (var s = Files.list(p)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    /** The image's Env with the user's on top, PATH first when neither sets it. */
    static final class BundleConfigEnv {
        private BundleConfigEnv() {}

        static List<String> merge(List<String> image, List<String> overrides) {
            Map<String, String> env = new LinkedHashMap<>();
            env.put("PATH", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
            for (List<String> l : List.of(image == null ? List.<String>of() : image, overrides)) {
                for (String kv : l) {
                    int eq = kv.indexOf('=');
                    env.put(eq < 0 ? kv : kv.substring(0, eq), kv);
                }
            }
            return new ArrayList<>(env.values());
        }
    }
}
