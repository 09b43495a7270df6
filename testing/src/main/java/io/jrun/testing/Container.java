package io.jrun.testing;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.LaunchOptions;
import io.jrun.runtime.json.Json;
import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.spec.DefaultSpec;
import io.jrun.runtime.spec.Spec;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A container of this JVM, from a {@link ContainerSpec}: {@link #start()} sets it up on its own
 * copy-on-write layer and runs it, {@link #close()} kills it if it still runs and removes
 * everything made for it (cgroups, state, overlay).  Its stdout and stderr are read from the
 * start into {@link #output()}; nothing reaches this JVM's own stdio unless the spec says so.
 *
 * <p>Thread-safe: exec, connect, copy and waits may run from several threads at once.
 */
public final class Container implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Container.class.getName());
    private static final File DEV_NULL = new File("/dev/null");
    private static final long KILL_WAIT_MS = 10_000;
    /** How long an exec'd process's output may be quiet after it exited before the reading stops. */
    static final long OUTPUT_QUIET_MS = 200;

    private enum State { NEW, RUNNING, CLOSED }

    private final ContainerSpec spec;
    private final Engine engine;
    private final Output output = new Output();
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final List<Future<?>> pumps = new ArrayList<>();
    private final Map<Integer, Forwarder> forwarders = new ConcurrentHashMap<>();
    private State state = State.NEW;
    private String id;
    private Path dir;
    private io.jrun.runtime.Container runtime;
    private volatile Spec.Process execBase;

    Container(ContainerSpec spec, Engine engine) {
        this.spec = spec;
        this.engine = engine;
    }

    /** A container of {@code spec} on {@code engine} (for another root than the shared one), not started. */
    public static Container of(ContainerSpec spec, Engine engine) {
        return new Container(spec, engine);
    }

    public ContainerSpec spec() {
        return spec;
    }

    /** The engine it runs on. */
    public Engine engine() {
        return engine;
    }

    /** The runtime's container id (for {@code jrun --root ROOT/state state ID}); null before start. */
    public synchronized String id() {
        return id;
    }

    /** The spec's name, else the id. */
    public String name() {
        return spec.name() != null ? spec.name() : id();
    }

    /** The container's init as a pid of this JVM's pid namespace. */
    public synchronized long pid() {
        requireStarted("pid");
        return runtime.pid();
    }

    /** What it wrote so far. */
    public Output output() {
        return output;
    }

    public boolean isRunning() {
        synchronized (this) {
            if (state != State.RUNNING) {
                return false;
            }
        }
        return !exit.isDone();
    }

    /** Its status once it ended (128+N for signal N). */
    public OptionalInt exitCode() {
        if (!exit.isDone() || exit.isCompletedExceptionally()) { // a failed start, a monitor gone: no status
            return OptionalInt.empty();
        }
        return OptionalInt.of(exit.join());
    }

    /**
     * Sets it up and starts it; returns once the spec's wait is met.  When its engine holds a
     * container prepared for an equal spec ({@link Engine#prepare(ContainerSpec, int)}), this
     * takes that one (created ahead, on a fresh copy-on-write layer) and only starts it.
     */
    public Container start() {
        synchronized (this) {
            if (state != State.NEW) {
                throw new IllegalStateException("container " + id + " was started already");
            }
            state = State.RUNNING;
        }
        PreparedContainers.Prepared prepared = engine.takePrepared(spec);
        synchronized (this) {
            id = prepared != null ? prepared.id() : Engine.newId();
            dir = prepared != null ? prepared.dir() : engine.containerDir(id);
            if (prepared != null) {
                runtime = prepared.runtime();
            }
        }
        try {
            io.jrun.runtime.Container rc = prepared != null ? prepared.runtime() : create(engine, spec, id, dir);
            synchronized (this) {
                runtime = rc;
            }
            run(rc);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        engine.opened(this);
        if (spec.waitStrategy() != null) {
            try {
                spec.waitStrategy().waitUntilReady(this, spec.startupTimeout());
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }
        return this;
    }

    /** A container of {@code spec} created (its init waiting before the program), for a later start. */
    static PreparedContainers.Prepared prepare(Engine engine, ContainerSpec spec) {
        String id = Engine.newId();
        Path dir = engine.containerDir(id);
        try {
            return new PreparedContainers.Prepared(id, dir, create(engine, spec, id, dir));
        } catch (RuntimeException e) {
            Engine.removeContainerDir(dir);
            throw e;
        }
    }

    /**
     * Makes the container of {@code spec} in {@code dir}: its overlay, its config.json, then the
     * runtime's create (cgroups, namespaces, mounts; the init waits before the user program).
     */
    private static io.jrun.runtime.Container create(Engine engine, ContainerSpec spec, String id, Path dir) {
        Path bundle = dir.resolve("bundle");
        Map<String, Object> config;
        Path lower;
        try {
            ContainerSpec.Source src = spec.source();
            if (src instanceof ContainerSpec.Source.Rootfs r) {
                config = DefaultSpec.create(List.of("sh"));
                lower = r.path();
            } else {
                Path base = src instanceof ContainerSpec.Source.Image i ? engine.unpackedImage(i.reference())
                        : ((ContainerSpec.Source.Bundle) src).path();
                config = asMap(Json.parse(Files.readString(base.resolve("config.json"))), "config.json");
                Object rootPath = asMap(config.get("root"), "root").get("path");
                lower = base.resolve(String.valueOf(rootPath));
            }
            if (!Files.isDirectory(lower)) {
                throw new ContainerException("rootfs " + lower + ": No such file or directory (ENOENT)");
            }
            Path rootfs = lower;
            if (spec.overlay()) {
                rootfs = dir.resolve("rootfs");
                Files.createDirectory(dir.resolve("upper"));
                Files.createDirectory(dir.resolve("work"));
                Files.createDirectory(rootfs);
                Native.mountOverlay(lower.toString(), dir.resolve("upper").toString(), dir.resolve("work").toString(),
                        rootfs.toString());
            }
            ConfigOverrides.apply(config, spec, rootfs, id);
            Files.createDirectory(bundle);
            Files.writeString(bundle.resolve("config.json"), JsonWriter.pretty(config));
        } catch (IOException e) {
            throw new ContainerException("prepare container " + id + " in " + dir + ": " + e.getMessage(), e);
        }
        boolean piped = !spec.inheritIo();
        LaunchOptions options = LaunchOptions.defaults()
                .withStdin(spec.stdin() != null ? Redirect.PIPE : piped ? Redirect.from(DEV_NULL) : Redirect.INHERIT)
                .withStdout(piped ? Redirect.PIPE : Redirect.INHERIT)
                .withStderr(piped ? Redirect.PIPE : Redirect.INHERIT);
        try {
            return engine.jrun().create(id, bundle, options);
        } catch (JrunException e) {
            throw new ContainerException(e.getMessage(), e);
        }
    }

    /**
     * Starts a created container: its output read from here on (nothing was written before the
     * start: the init waited before the user program), its stdin written, its exit awaited.
     */
    private void run(io.jrun.runtime.Container rc) {
        if (!spec.inheritIo()) {
            pumps.add(engine.threads().submit(() -> output.pump(rc.stdout(), false, spec.stdoutConsumers(),
                    spec.stdoutFile())));
            pumps.add(engine.threads().submit(() -> output.pump(rc.stderr(), true, spec.stderrConsumers(),
                    spec.stderrFile())));
        }
        byte[] stdin = spec.stdin();
        if (stdin != null) {
            engine.threads().submit(() -> {
                try (OutputStream in = rc.stdin()) {
                    in.write(stdin);
                } catch (IOException e) {
                    LOG.log(Level.DEBUG, "stdin of " + id + ": " + e.getMessage());
                }
            });
        }
        try {
            rc.start();
        } catch (JrunException e) {
            exit.completeExceptionally(e); // nothing waits for it: close() must not wait for its exit either
            throw new ContainerException(e.getMessage(), e);
        }
        engine.threads().submit(() -> {
            try {
                exit.complete(rc.awaitExit());
            } catch (JrunException | RuntimeException e) {
                exit.completeExceptionally(e);
            }
            // the clean-up (cgroups, state, the monitor) after the status is known, off the waiter's path;
            // close() waits for it (the runtime container's close is synchronized and idempotent)
            closeQuietly(rc);
            engine.exited();
            engine.ended(spec); // the next of its spec is prepared now: not while this one started or ran
        });
    }

    static void closeQuietly(io.jrun.runtime.Container rc) {
        try {
            rc.close();
        } catch (JrunException e) {
            LOG.log(Level.WARNING, e.getMessage()); // names the operation and the container
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object o, String what) {
        if (!(o instanceof Map)) {
            throw new ContainerException(what + ": expected an object");
        }
        return (Map<String, Object>) o;
    }

    /** Sends {@code signal} (e.g. 15) to the container's init. */
    public void signal(int signal) {
        io.jrun.runtime.Container rc = started("kill");
        try {
            rc.signal(signal);
        } catch (JrunException e) {
            if (isRunning()) {
                throw new ContainerException(e.getMessage(), e);
            }
        }
    }

    /** Waits up to {@code timeout} for it to end; true when it has. */
    public boolean waitFor(Duration timeout) {
        started("wait");
        try {
            exit.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true; // the monitor went away: it ended too
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ContainerException("wait for " + id + ": interrupted");
        }
    }

    /** SIGTERM, then SIGKILL if it still runs after {@code grace}; returns its status. */
    public int stop(Duration grace) {
        if (isRunning()) {
            signal(15);
            if (!waitFor(grace)) {
                signal(9);
                if (!waitFor(Duration.ofMillis(KILL_WAIT_MS))) {
                    throw new ContainerException("stop " + id + ": init " + pid() + " still alive "
                            + KILL_WAIT_MS + " ms after SIGKILL");
                }
            }
        }
        return exitCode().orElse(-1);
    }

    // --- exec and copies, all done by processes inside the container ---

    /** Runs {@code args} in the container (its namespaces, cgroup, user, env and cwd); waits for it. */
    public ExecResult exec(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = exec(Arrays.asList(args), null, out, err);
        return new ExecResult(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** What writes an exec'd process's stdin (it is closed afterwards). */
    @FunctionalInterface
    public interface StdinWriter {
        void write(OutputStream stdin) throws IOException;
    }

    /**
     * Runs {@code args} in the container with {@code stdin} (null: /dev/null) and its output
     * streamed to {@code out} and {@code err} as it comes; returns its status.
     */
    public int exec(List<String> args, StdinWriter stdin, OutputStream out, OutputStream err) {
        return exec(args, stdin, out, err, false);
    }

    /** {@link #exec(List, StdinWriter, OutputStream, OutputStream)}, as root (uid 0, gid 0) when {@code asRoot}, as copies are. */
    int exec(List<String> args, StdinWriter stdin, OutputStream out, OutputStream err, boolean asRoot) {
        io.jrun.runtime.Container rc = started("exec");
        if (args.isEmpty()) {
            throw new IllegalArgumentException("exec: at least the program is needed");
        }
        Spec.Process base = execBase();
        Spec.User user = asRoot ? new Spec.User(0, 0, List.of(), base.user().umask()) : base.user();
        Spec.Process p = new Spec.Process(false, user, List.copyOf(args), base.env(), base.cwd(),
                base.capabilities(), base.noNewPrivileges(), base.rlimits(), base.oomScoreAdj(), null);
        LaunchOptions options = LaunchOptions.defaults()
                .withStdin(stdin != null ? Redirect.PIPE : Redirect.from(DEV_NULL))
                .withStdout(Redirect.PIPE).withStderr(Redirect.PIPE);
        io.jrun.runtime.Container x;
        try {
            x = engine.jrun().exec(id, p, options);
        } catch (JrunException e) {
            throw new ContainerException(e.getMessage(), e);
        }
        Drain o = new Drain(x.stdout(), out);
        Drain e = new Drain(x.stderr(), err);
        o.future = engine.threads().submit(o);
        e.future = engine.threads().submit(e);
        Future<?> i = stdin == null ? null : engine.threads().submit(() -> {
            try (OutputStream s = x.stdin()) {
                stdin.write(s);
            }
            return null;
        });
        int status;
        try {
            status = x.waitFor();
        } catch (JrunException ex) {
            closeQuietly(x);
            throw new ContainerException(ex.getMessage(), ex);
        } finally {
            engine.exited();
        }
        try {
            o.awaitEnd();
            e.awaitEnd();
            if (i != null) {
                i.get(KILL_WAIT_MS, TimeUnit.MILLISECONDS);
            }
        } catch (ExecutionException ex) {
            Throwable c = ex.getCause();
            throw new ContainerException("exec " + args.get(0) + " in " + id + ": " + c.getMessage(), c);
        } catch (TimeoutException ex) {
            throw new ContainerException("exec " + args.get(0) + " in " + id + ": its stdin was not written "
                    + KILL_WAIT_MS + " ms after it ended");
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new ContainerException("exec " + args.get(0) + " in " + id + ": interrupted");
        }
        return status;
    }

    /**
     * Reads an exec'd process's stdout or stderr into the caller's stream.  Once the process has
     * exited, what it wrote is in the pipe: the reading ends at end-of-file, or when the reading
     * thread has waited in read(2) on an empty pipe for {@link #OUTPUT_QUIET_MS} (a background
     * process it left holds the pipe, as {@code daemon &} does), or after {@link #KILL_WAIT_MS};
     * what comes later is dropped, and the reading thread ends when the pipe's last writer does (at
     * the latest with the container).  A reading thread that is not inside read(2) (not started
     * yet, or not scheduled between two reads on a busy machine) is never taken for a quiet pipe:
     * what the process wrote before it exited is all read.
     */
    private static final class Drain implements java.util.concurrent.Callable<Void> {
        private final InputStream in;
        private final OutputStream out;
        private volatile long readingSince; // System.nanoTime() when the read(2) under way began; 0: none under way
        private boolean abandoned; // guarded by this
        volatile Future<?> future;

        Drain(InputStream in, OutputStream out) {
            this.in = in;
            this.out = out;
        }

        @Override
        public Void call() throws IOException {
            byte[] buf = new byte[8192];
            try (InputStream src = in) {
                while (true) {
                    readingSince = System.nanoTime() | 1; // never 0
                    int n = src.read(buf);
                    readingSince = 0;
                    if (n < 0) {
                        break;
                    }
                    synchronized (this) {
                        if (!abandoned) {
                            out.write(buf, 0, n);
                        }
                    }
                }
            } finally {
                readingSince = 0;
            }
            return null;
        }

        /** After the process exited: until end-of-file, a quiet pipe, or the cap. */
        void awaitEnd() throws ExecutionException, InterruptedException {
            long cap = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(KILL_WAIT_MS);
            while (true) {
                try {
                    future.get(OUTPUT_QUIET_MS, TimeUnit.MILLISECONDS);
                    return;
                } catch (TimeoutException t) {
                    long now = System.nanoTime();
                    long since = readingSince;
                    if (since != 0 && now - since >= TimeUnit.MILLISECONDS.toNanos(OUTPUT_QUIET_MS) || now > cap) {
                        synchronized (this) {
                            abandoned = true;
                        }
                        return;
                    }
                }
            }
        }
    }

    private Spec.Process execBase() {
        Spec.Process b = execBase;
        if (b == null) {
            try {
                b = engine.jrun().config(id).process();
            } catch (JrunException e) {
                throw new ContainerException(e.getMessage(), e);
            }
            execBase = b;
        }
        return b;
    }

    /**
     * Copies a host file or directory tree to {@code containerPath} (made, with its parents, if
     * missing), by a {@code tar} running in the container: symlinks on the way resolve inside it.
     */
    public void copyIn(Path hostPath, String containerPath) {
        Copies.copyIn(this, hostPath, containerPath);
    }

    /** Writes {@code content} to the file {@code containerPath} with {@code mode} (e.g. 0644). */
    public void copyIn(byte[] content, String containerPath, int mode) {
        Copies.copyIn(this, content, containerPath, mode);
    }

    /** Copies the file or tree at {@code containerPath} (resolved inside the container) to {@code hostPath}. */
    public void copyOut(String containerPath, Path hostPath) {
        Copies.copyOut(this, containerPath, hostPath);
    }

    /** The content of a file in the container. */
    public byte[] readFile(String containerPath) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = exec(List.of("cat", containerPath), null, out, err, true);
        if (status != 0) {
            throw new ContainerException("read " + containerPath + " in " + id + ": " + firstLine(err));
        }
        return out.toByteArray();
    }

    static String firstLine(ByteArrayOutputStream err) {
        String s = err.toString(StandardCharsets.UTF_8).trim();
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    Path workDir() {
        return dir;
    }

    // --- network ---

    /**
     * A TCP connection to {@code port} on the container's loopback, made from inside its network
     * namespace (a short-lived thread enters it, connects and leaves; the socket stays in it): no
     * NAT, no published port.
     */
    public Socket connect(int port) throws IOException {
        started("connect");
        Network n = spec.network();
        if (n instanceof Network.Host) {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            return s;
        }
        String ns = n instanceof Network.Join j ? j.path.toString() : "/proc/" + pid() + "/ns/net";
        CompletableFuture<Socket> result = new CompletableFuture<>();
        Thread t = new Thread(() -> connectIn(ns, port, result), "jrun-connect-" + id);
        t.setDaemon(true);
        t.start();
        try {
            return result.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw new java.net.ConnectException("connect to port " + port + " in container " + id + ": "
                        + io.getMessage());
            }
            if (c instanceof RuntimeException r) {
                throw r;
            }
            throw new ContainerException("connect to port " + port + " in container " + id + ": " + c, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("connect to port " + port + " in container " + id);
        }
    }

    private static void connectIn(String ns, int port, CompletableFuture<Socket> result) {
        int self = -1;
        int target = -1;
        try {
            self = Native.open("/proc/thread-self/ns/net");
            target = Native.open(ns);
            Native.setnsNet(target, ns);
            try {
                Socket s = new Socket();
                try {
                    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
                    result.complete(s);
                } catch (IOException e) {
                    s.close();
                    result.completeExceptionally(e);
                }
            } finally {
                Native.setnsNet(self, "back into this JVM's network namespace"); // else the thread just ends
            }
        } catch (Throwable e) {
            result.completeExceptionally(e);
        } finally {
            if (self >= 0) {
                Native.close(self);
            }
            if (target >= 0) {
                Native.close(target);
            }
        }
    }

    /**
     * A port on this host's loopback that forwards each connection to {@code port} in the
     * container (through {@link #connect(int)}), for clients that need host:port.  Closed with
     * the container.
     */
    public int hostPort(int port) {
        started("hostPort");
        return forwarders.computeIfAbsent(port, p -> new Forwarder(this, p, engine)).localPort();
    }

    // --- the end ---

    /** Kills it if it still runs and removes everything made for it; idempotent. */
    @Override
    public void close() {
        io.jrun.runtime.Container rc;
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            boolean started = state == State.RUNNING;
            state = State.CLOSED;
            if (!started) {
                return;
            }
            rc = runtime;
        }
        engine.closed(this);
        for (Forwarder f : forwarders.values()) {
            f.close();
        }
        if (rc != null) {
            boolean frozen = false;
            if (!exit.isDone()) {
                try {
                    rc.signal(9);
                } catch (JrunException e) {
                    // ended meanwhile
                }
                try {
                    rc.thawIfFrozen(); // paused (through the runtime): the SIGKILL is taken once thawed
                } catch (JrunException e) {
                    frozen = true; // the runtime's close kills its monitor and says why
                }
                try {
                    if (!frozen) {
                        exit.get(KILL_WAIT_MS, TimeUnit.MILLISECONDS);
                    }
                } catch (TimeoutException | ExecutionException e) {
                    // closing the channel below makes the monitor kill it
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            closeQuietly(rc);
            for (Future<?> p : pumps) {
                try {
                    if (frozen) {
                        p.cancel(true); // frozen processes hold the pipes: no end of output to wait for
                    } else {
                        p.get(KILL_WAIT_MS, TimeUnit.MILLISECONDS);
                    }
                } catch (TimeoutException | ExecutionException e) {
                    p.cancel(true);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        if (dir != null) {
            Engine.removeContainerDir(dir);
        }
    }

    private synchronized io.jrun.runtime.Container started(String what) {
        requireStarted(what);
        return runtime;
    }

    private void requireStarted(String what) {
        if (runtime == null || state != State.RUNNING) {
            throw new IllegalStateException(what + ": container " + (id == null ? "" : id + " ")
                    + (state == State.CLOSED ? "is closed" : "is not started"));
        }
    }

    @Override
    public String toString() {
        return "Container[" + name() + ", " + spec.source() + "]";
    }

    /** A loopback listener of this JVM that forwards connections into the container. */
    static final class Forwarder {
        private final ServerSocket server;
        private final Container c;
        private final int port;
        private final List<Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();

        Forwarder(Container c, int port, Engine engine) {
            this.c = c;
            this.port = port;
            try {
                server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new ContainerException("listen on the loopback for port " + port + " of " + c.id() + ": "
                        + e.getMessage());
            }
            engine.threads().submit(() -> accept(engine));
        }

        int localPort() {
            return server.getLocalPort();
        }

        private void accept(Engine engine) {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    sockets.add(client);
                    Socket up;
                    try {
                        up = c.connect(port);
                    } catch (IOException | RuntimeException e) {
                        LOG.log(Level.DEBUG, "forward to port " + port + " of " + c.id() + ": " + e.getMessage());
                        client.close();
                        sockets.remove(client);
                        continue;
                    }
                    sockets.add(up);
                    java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger(2);
                    engine.threads().submit(() -> pipe(client, up, open));
                    engine.threads().submit(() -> pipe(up, client, open));
                } catch (IOException e) {
                    return; // closed
                }
            }
        }

        /** One direction; the second to end (or the first to fail) closes both sockets of the connection. */
        private void pipe(Socket from, Socket to, java.util.concurrent.atomic.AtomicInteger open) {
            boolean failed = false;
            try {
                from.getInputStream().transferTo(to.getOutputStream());
                to.shutdownOutput();
            } catch (IOException e) {
                failed = true;
            }
            if (open.decrementAndGet() == 0 || failed) {
                for (Socket s : List.of(from, to)) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // being torn down
                    }
                    sockets.remove(s);
                }
            }
        }

        void close() {
            try {
                server.close();
            } catch (IOException ignored) {
                // nothing to release
            }
            for (Socket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // already closed
                }
            }
        }
    }
}
