package io.jrun.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What to run, as an immutable value: where the root filesystem comes from (an image, a rootfs
 * directory, a bundle) and what to change of its process and isolation.  Every {@code with*}
 * returns a new spec; {@link #toBuilder()} edits several at once.
 *
 * <pre>{@code
 * ContainerSpec web = ContainerSpec.fromImage("docker-archive:busybox.tar")
 *         .withCommand("httpd", "-f", "-p", "80")
 *         .waitingFor(Wait.forPort(80));
 * try (Container c = web.start()) {
 *     Socket s = c.connect(80);
 * }
 * }</pre>
 */
public final class ContainerSpec {
    /** Where the root filesystem (and, for images and bundles, the default process) comes from. */
    public sealed interface Source {
        /** An image reference: {@code oci:}, {@code oci-archive:}, {@code docker-archive:}, {@code docker://} or a stored name. */
        record Image(String reference) implements Source {}

        /** A root filesystem directory; the process is {@code sh} unless a command is given. */
        record Rootfs(Path path) implements Source {}

        /** An OCI bundle: its config.json is the base, its rootfs the lower layer. */
        record Bundle(Path path) implements Source {}
    }

    /** A bind mount of a host path. */
    public record Bind(Path hostPath, String containerPath, boolean readOnly) {}

    /** A tmpfs mount; {@code options} as mount(8) takes them, e.g. {@code size=64m,mode=1777}. */
    public record Tmpfs(String containerPath, String options) {}

    private final Builder b;

    private ContainerSpec(Builder b) {
        this.b = b;
    }

    public static ContainerSpec fromImage(String reference) {
        return new Builder(new Source.Image(Objects.requireNonNull(reference, "reference"))).build();
    }

    public static ContainerSpec fromRootfs(Path rootfs) {
        return new Builder(new Source.Rootfs(rootfs.toAbsolutePath().normalize())).build();
    }

    public static ContainerSpec fromBundle(Path bundle) {
        return new Builder(new Source.Bundle(bundle.toAbsolutePath().normalize())).build();
    }

    public static ContainerSpec from(Source source) {
        return new Builder(source).build();
    }

    public Builder toBuilder() {
        return new Builder(b);
    }

    // --- what it is ---

    public Source source() {
        return b.source;
    }

    /** The process's arguments; null: the image's or bundle's (for a rootfs, {@code sh}). */
    public List<String> command() {
        return b.command;
    }

    /** Variables added to (or replacing those of) the image's environment, in order. */
    public Map<String, String> env() {
        return b.env;
    }

    public String workdir() {
        return b.workdir;
    }

    /** {@code UID} or {@code UID:GID}; null: the image's. */
    public String user() {
        return b.user;
    }

    public String hostname() {
        return b.hostname;
    }

    public List<Bind> binds() {
        return b.binds;
    }

    public List<Tmpfs> tmpfs() {
        return b.tmpfs;
    }

    public boolean readOnlyRoot() {
        return b.readOnlyRoot;
    }

    /** Bytes; null: no limit. */
    public Long memoryLimit() {
        return b.memoryLimit;
    }

    public Network network() {
        return b.network;
    }

    /** Whether the root filesystem is a fresh copy-on-write layer over the source (always for images). */
    public boolean overlay() {
        return b.overlay;
    }

    public List<Consumer<String>> stdoutConsumers() {
        return b.stdoutConsumers;
    }

    public List<Consumer<String>> stderrConsumers() {
        return b.stderrConsumers;
    }

    public Path stdoutFile() {
        return b.stdoutFile;
    }

    public Path stderrFile() {
        return b.stderrFile;
    }

    /** What the container reads on stdin; null: /dev/null. */
    public byte[] stdin() {
        return b.stdin == null ? null : b.stdin.clone();
    }

    public boolean inheritIo() {
        return b.inheritIo;
    }

    public WaitStrategy waitStrategy() {
        return b.wait;
    }

    public Duration startupTimeout() {
        return b.startupTimeout;
    }

    /** A name for reports (the JUnit extension uses the field's); null: the container id. */
    public String name() {
        return b.name;
    }

    // --- withers: each a new spec ---

    public ContainerSpec withCommand(String... args) {
        return toBuilder().command(args).build();
    }

    public ContainerSpec withCommand(List<String> args) {
        return toBuilder().command(args).build();
    }

    public ContainerSpec withEnv(String name, String value) {
        return toBuilder().env(name, value).build();
    }

    public ContainerSpec withEnv(Map<String, String> vars) {
        Builder n = toBuilder();
        vars.forEach(n::env);
        return n.build();
    }

    public ContainerSpec withWorkdir(String dir) {
        return toBuilder().workdir(dir).build();
    }

    public ContainerSpec withUser(String user) {
        return toBuilder().user(user).build();
    }

    public ContainerSpec withHostname(String hostname) {
        return toBuilder().hostname(hostname).build();
    }

    public ContainerSpec withBind(Path hostPath, String containerPath) {
        return toBuilder().bind(hostPath, containerPath, false).build();
    }

    public ContainerSpec withReadOnlyBind(Path hostPath, String containerPath) {
        return toBuilder().bind(hostPath, containerPath, true).build();
    }

    public ContainerSpec withTmpfs(String containerPath) {
        return toBuilder().tmpfs(containerPath, "mode=1777").build();
    }

    public ContainerSpec withTmpfs(String containerPath, String options) {
        return toBuilder().tmpfs(containerPath, options).build();
    }

    public ContainerSpec withReadOnlyRoot() {
        return toBuilder().readOnlyRoot(true).build();
    }

    public ContainerSpec withMemoryLimit(long bytes) {
        return toBuilder().memoryLimit(bytes).build();
    }

    public ContainerSpec withNetwork(Network network) {
        return toBuilder().network(network).build();
    }

    /** Runs on the source's rootfs itself, with no copy-on-write layer (a rootfs or bundle only). */
    public ContainerSpec withoutOverlay() {
        return toBuilder().overlay(false).build();
    }

    /** Each line the container writes to stdout or stderr, e.g. {@code logger::info}. */
    public ContainerSpec withLogConsumer(Consumer<String> lines) {
        return toBuilder().stdoutConsumer(lines).stderrConsumer(lines).build();
    }

    public ContainerSpec withStdoutConsumer(Consumer<String> lines) {
        return toBuilder().stdoutConsumer(lines).build();
    }

    public ContainerSpec withStderrConsumer(Consumer<String> lines) {
        return toBuilder().stderrConsumer(lines).build();
    }

    /** Also writes stdout, as it comes, to {@code file}. */
    public ContainerSpec withStdoutTo(Path file) {
        return toBuilder().stdoutFile(file).build();
    }

    public ContainerSpec withStderrTo(Path file) {
        return toBuilder().stderrFile(file).build();
    }

    public ContainerSpec withStdin(byte[] input) {
        return toBuilder().stdin(input).build();
    }

    public ContainerSpec withStdin(String input) {
        return toBuilder().stdin(input.getBytes(java.nio.charset.StandardCharsets.UTF_8)).build();
    }

    /** The container writes to this JVM's own stdout and stderr (nothing is captured): for debugging. */
    public ContainerSpec withInheritedIo() {
        return toBuilder().inheritIo(true).build();
    }

    /** {@link Container#start()} returns once this wait is met (within {@link #withStartupTimeout}). */
    public ContainerSpec waitingFor(WaitStrategy wait) {
        return toBuilder().waitingFor(wait).build();
    }

    public ContainerSpec withStartupTimeout(Duration timeout) {
        return toBuilder().startupTimeout(timeout).build();
    }

    public ContainerSpec withName(String name) {
        return toBuilder().name(name).build();
    }

    // --- running it ---

    /** A container of this spec, not started yet (as a JUnit {@code @Container} field holds it). */
    public Container container() {
        return new Container(this, Engine.shared());
    }

    /** Starts a container of this spec with the shared engine; close it when done. */
    public Container start() {
        Container c = container();
        c.start();
        return c;
    }

    /** A container of this spec on {@code engine} (another root than the shared one), not started. */
    public Container container(Engine engine) {
        return new Container(this, engine);
    }

    /** Starts a container of this spec on {@code engine}. */
    public Container start(Engine engine) {
        Container c = container(engine);
        c.start();
        return c;
    }

    /**
     * What decides the container a spec creates (source, process, mounts, limits, network), and
     * only that: two specs with equal keys make the same container, whatever their consumers,
     * files, wait or name.  Null when the spec cannot be prepared ahead: stdin written by the
     * caller, the JVM's own stdio, or another container's network namespace (joined at start).
     */
    PreparationKey preparationKey() {
        if (b.stdin != null || b.inheritIo || b.network instanceof Network.Join) {
            return null;
        }
        List<String> env = new ArrayList<>();
        b.env.forEach((k, v) -> env.add(k + "=" + v));
        return new PreparationKey(b.source, b.command, env, b.workdir, b.user, b.hostname, b.binds, b.tmpfs,
                b.readOnlyRoot, b.memoryLimit, b.network, b.overlay);
    }

    /** See {@link #preparationKey()}. */
    record PreparationKey(Source source, List<String> command, List<String> env, String workdir, String user,
            String hostname, List<Bind> binds, List<Tmpfs> tmpfs, boolean readOnlyRoot, Long memoryLimit,
            Network network, boolean overlay) {}

    @Override
    public String toString() {
        return "ContainerSpec[" + b.source + (b.command != null ? ", command=" + b.command : "") + "]";
    }

    /** A mutable copy of a spec's fields; {@link #build()} makes the immutable spec. */
    public static final class Builder {
        private Source source;
        private List<String> command;
        private Map<String, String> env = new LinkedHashMap<>();
        private String workdir;
        private String user;
        private String hostname;
        private List<Bind> binds = new ArrayList<>();
        private List<Tmpfs> tmpfs = new ArrayList<>();
        private boolean readOnlyRoot;
        private Long memoryLimit;
        private Network network = Network.LOOPBACK_ONLY;
        private boolean overlay = true;
        private List<Consumer<String>> stdoutConsumers = new ArrayList<>();
        private List<Consumer<String>> stderrConsumers = new ArrayList<>();
        private Path stdoutFile;
        private Path stderrFile;
        private byte[] stdin;
        private boolean inheritIo;
        private WaitStrategy wait;
        private Duration startupTimeout = Duration.ofSeconds(60);
        private String name;

        Builder(Source source) {
            this.source = Objects.requireNonNull(source, "source");
        }

        Builder(Builder o) {
            source = o.source;
            command = o.command;
            env = new LinkedHashMap<>(o.env);
            workdir = o.workdir;
            user = o.user;
            hostname = o.hostname;
            binds = new ArrayList<>(o.binds);
            tmpfs = new ArrayList<>(o.tmpfs);
            readOnlyRoot = o.readOnlyRoot;
            memoryLimit = o.memoryLimit;
            network = o.network;
            overlay = o.overlay;
            stdoutConsumers = new ArrayList<>(o.stdoutConsumers);
            stderrConsumers = new ArrayList<>(o.stderrConsumers);
            stdoutFile = o.stdoutFile;
            stderrFile = o.stderrFile;
            stdin = o.stdin;
            inheritIo = o.inheritIo;
            wait = o.wait;
            startupTimeout = o.startupTimeout;
            name = o.name;
        }

        public Builder source(Source s) {
            source = Objects.requireNonNull(s, "source");
            return this;
        }

        public Builder command(String... args) {
            return command(Arrays.asList(args));
        }

        public Builder command(List<String> args) {
            if (args.isEmpty()) {
                throw new IllegalArgumentException("command: at least the program is needed");
            }
            for (String a : args) {
                Objects.requireNonNull(a, "command argument");
            }
            command = List.copyOf(args);
            return this;
        }

        public Builder env(String name, String value) {
            if (name.isEmpty() || name.indexOf('=') >= 0) {
                throw new IllegalArgumentException("env " + name + ": a name without '='");
            }
            env.remove(name);
            env.put(name, Objects.requireNonNull(value, "value"));
            return this;
        }

        public Builder workdir(String dir) {
            requireAbsolute("workdir", dir);
            workdir = dir;
            return this;
        }

        public Builder user(String u) {
            if (!u.matches("[0-9]+(:[0-9]+)?")) {
                throw new IllegalArgumentException("user " + u + ": UID or UID:GID, numbers");
            }
            user = u;
            return this;
        }

        public Builder hostname(String h) {
            hostname = Objects.requireNonNull(h, "hostname");
            return this;
        }

        public Builder bind(Path hostPath, String containerPath, boolean readOnly) {
            requireAbsolute("bind", containerPath);
            binds.add(new Bind(hostPath.toAbsolutePath().normalize(), containerPath, readOnly));
            return this;
        }

        public Builder tmpfs(String containerPath, String options) {
            requireAbsolute("tmpfs", containerPath);
            tmpfs.add(new Tmpfs(containerPath, options == null ? "" : options));
            return this;
        }

        public Builder readOnlyRoot(boolean v) {
            readOnlyRoot = v;
            return this;
        }

        public Builder memoryLimit(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("memory limit " + bytes + ": a number of bytes above 0");
            }
            memoryLimit = bytes;
            return this;
        }

        public Builder network(Network n) {
            network = Objects.requireNonNull(n, "network");
            return this;
        }

        public Builder overlay(boolean v) {
            overlay = v;
            return this;
        }

        public Builder stdoutConsumer(Consumer<String> c) {
            stdoutConsumers.add(Objects.requireNonNull(c));
            return this;
        }

        public Builder stderrConsumer(Consumer<String> c) {
            stderrConsumers.add(Objects.requireNonNull(c));
            return this;
        }

        public Builder stdoutFile(Path f) {
            stdoutFile = f;
            return this;
        }

        public Builder stderrFile(Path f) {
            stderrFile = f;
            return this;
        }

        public Builder stdin(byte[] in) {
            stdin = in == null ? null : in.clone();
            return this;
        }

        public Builder inheritIo(boolean v) {
            inheritIo = v;
            return this;
        }

        public Builder waitingFor(WaitStrategy w) {
            wait = w;
            return this;
        }

        public Builder startupTimeout(Duration d) {
            startupTimeout = Objects.requireNonNull(d);
            return this;
        }

        public Builder name(String n) {
            name = n;
            return this;
        }

        public ContainerSpec build() {
            if (source instanceof Source.Image && !overlay) {
                throw new IllegalArgumentException("an image's rootfs is shared by its containers: it needs the overlay");
            }
            Builder frozen = new Builder(this);
            frozen.env = java.util.Collections.unmodifiableMap(frozen.env);
            frozen.binds = List.copyOf(frozen.binds);
            frozen.tmpfs = List.copyOf(frozen.tmpfs);
            frozen.stdoutConsumers = List.copyOf(frozen.stdoutConsumers);
            frozen.stderrConsumers = List.copyOf(frozen.stderrConsumers);
            return new ContainerSpec(frozen);
        }

        private static void requireAbsolute(String what, String p) {
            if (p == null || !p.startsWith("/")) {
                throw new IllegalArgumentException(what + " " + p + ": an absolute path in the container");
            }
        }
    }
}
