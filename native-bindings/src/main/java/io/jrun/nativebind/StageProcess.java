package io.jrun.nativebind;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A running stage monitor and the channel to it: either the CLI launcher that
 * started this JVM (fds 3 and 4), or a stage process spawned here.
 */
public final class StageProcess implements AutoCloseable {
    private static final String CONTROL_FDS = "JRUN_CONTROL_FDS";
    private static final AtomicLong SPAWNS = new AtomicLong();
    private static boolean hostUsed;
    private static ControlChannel launcherChannel; // the CLI launcher's, once taken
    private static String launcherOut; // its fd for what Java says, which the JVM keeps open until it exits

    private final ControlChannel channel;
    private final Process process; // null when the launcher hosts the monitor

    private StageProcess(ControlChannel channel, Process process) {
        this.channel = channel;
        this.process = process;
    }

    public ControlChannel channel() {
        return channel;
    }

    /** The spawned monitor's stdin (which its child inherits), when spawned with a piped stdin. */
    public OutputStream stdin() {
        return process.getOutputStream();
    }

    /** {@link #stdin()}, or null when the launcher hosts the monitor. */
    public OutputStream stdinOrNull() {
        return process == null ? null : process.getOutputStream();
    }

    /** The spawned monitor's stdout (which its child inherits) when spawned with a piped stdout; else null. */
    public InputStream stdout() {
        return process == null ? null : process.getInputStream();
    }

    /** The spawned monitor's stderr (which its child inherits) when spawned with a piped stderr; else null. */
    public InputStream stderr() {
        return process == null ? null : process.getErrorStream();
    }

    /**
     * Leaves the launcher's monitor unused: a command that runs several containers one after
     * another ({@code jrun micro --trace}) spawns a stage for each instead, as an embedding JVM does.
     */
    public static synchronized void spawnOnly() {
        hostUsed = true;
    }

    /**
     * The launcher's own monitor, once per JVM, when this JVM runs under the CLI launcher;
     * it then monitors the container in the launcher process, so signals sent to jrun reach it.
     */
    public static synchronized Optional<StageProcess> fromLauncher() throws IOException {
        String fds = System.getenv(CONTROL_FDS);
        if (fds == null || hostUsed) {
            return Optional.empty();
        }
        String[] f = fds.split(",");
        hostUsed = true;
        FileInputStream in = new FileInputStream("/proc/self/fd/" + f[0]);
        FileOutputStream out = new FileOutputStream("/proc/self/fd/" + f[1]);
        launcherChannel = new ControlChannel(in, out, in);
        launcherOut = "/proc/self/fd/" + f[1];
        return Optional.of(new StageProcess(launcherChannel, null)); // no lambda: ~5 ms cold
    }

    /**
     * The CLI's last word before {@code System.exit(status)}: when the launcher's container was detached
     * (create, run --detach), the launcher exits with {@code status} at once instead of waiting for this
     * JVM to end.  Does nothing otherwise, and never fails.
     */
    public static synchronized void exiting(int status) {
        if (launcherChannel != null && launcherChannel.detached()) {
            // the channel's own stream was closed with it (create closes its stage): a new one on the same pipe
            try (FileOutputStream out = new FileOutputStream(launcherOut)) {
                out.write((Protocol.CONTROL_EXIT + " " + status + "\n")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            } catch (IOException e) {
                // the launcher is gone: nobody waits
            }
        }
    }

    /**
     * Spawns a stage from {@code stage}, talking over a unix socket created in the private
     * directory {@code socketDir}; the container's stdio follows {@code builder}'s redirects.
     */
    public static StageProcess spawn(Path stage, Path socketDir, ProcessBuilder builder) throws IOException {
        Path sock = null; // once bound: the name to remove after the stage connected (or failed to)
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             Selector selector = Selector.open()) {
            sock = bind(server, socketIn(socketDir));
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            Process p = start(builder.command(List.of(stage.toString(), "--stage", sock.toString())));
            try {
                SocketChannel ch = null;
                while (ch == null) {
                    selector.select(50);
                    ch = server.accept();
                    if (ch == null && !p.isAlive()) {
                        throw new IOException("stage " + stage + " exited with status " + p.exitValue()
                                + " before connecting to " + sock);
                    }
                }
                ch.configureBlocking(true);
                return new StageProcess(new ControlChannel(inputOf(ch), outputOf(ch), ch), p);
            } catch (IOException | RuntimeException e) {
                p.destroyForcibly();
                throw e;
            }
        } finally {
            if (sock != null) {
                Files.deleteIfExists(sock);
            }
        }
    }

    /** sun_path's size less its terminating NUL: a longer path cannot be bound (Linux unix(7)). */
    static final int MAX_SOCKET_PATH = 107;
    private static Path shortDir;

    /**
     * Where to bind this spawn's socket: in {@code socketDir} when the path fits sun_path, else in
     * a private directory of this JVM under /tmp (a long --root or state root, or a 64-character
     * Podman id, would otherwise fail every spawn with "Unix domain path too long").
     */
    static Path socketIn(Path socketDir) throws IOException {
        Path sock = socketDir.toAbsolutePath().resolve(socketName());
        if (pathBytes(sock) <= MAX_SOCKET_PATH) {
            return sock;
        }
        return privateShortDir().resolve(sock.getFileName());
    }

    // execs run side by side: a name no other spawn of this JVM can have (bind fails rather than take over a
    // socket another thread just bound, whose stage would then talk to the wrong controller); short, as the
    // directory may already be long
    private static String socketName() {
        return "s" + Long.toString(ProcessHandle.current().pid(), 36) + "-" + Long.toString(SPAWNS.incrementAndGet(), 36)
                + ".sock";
    }

    private static int pathBytes(Path p) {
        return p.toString().getBytes(java.nio.charset.Charset.forName(
                System.getProperty("sun.jnu.encoding", "UTF-8"))).length;
    }

    private static synchronized Path privateShortDir() throws IOException {
        if (shortDir == null) {
            Path tmp = Path.of("/tmp");
            // a fresh 0700 directory with a random name: mkdir fails rather than reuse one someone else made
            Path dir = Files.createTempDirectory(Files.isDirectory(tmp) ? tmp : Path.of(System.getProperty("java.io.tmpdir")),
                    "jrun-", java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            dir.toFile().deleteOnExit(); // emptied by each spawn's own delete
            shortDir = dir;
        }
        return shortDir;
    }

    /**
     * Binds {@code sock}, or the next free name in its directory when a socket of that name is
     * left from a crashed JVM that had this pid (never deleted: it may be another live JVM's).
     */
    private static Path bind(ServerSocketChannel server, Path sock) throws IOException {
        for (int tries = 0; ; tries++) {
            try {
                server.bind(UnixDomainSocketAddress.of(sock));
                return sock;
            } catch (java.net.BindException e) {
                if (tries == 100 || !Files.exists(sock, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    throw new IOException("bind " + sock + ": " + e.getMessage(), e);
                }
                sock = sock.resolveSibling(socketName());
            }
        }
    }

    /**
     * Starts the stage, again for a while when exec says ETXTBSY: a child another thread forked while
     * the stage's copy was being written may still hold that write fd until it execs itself (the JDK
     * does not open files close-on-exec), and the kernel refuses to run a file open for writing.
     */
    private static Process start(ProcessBuilder builder) throws IOException {
        for (int attempt = 1;; attempt++) {
            try {
                return builder.start();
            } catch (IOException e) {
                if (attempt == 50 || e.getMessage() == null || !e.getMessage().contains("error=26,")) {
                    throw e;
                }
                try {
                    Thread.sleep(Math.min(attempt, 10));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /* Not Channels.newInputStream: its streams share one lock, so a blocked read would stall "kill". */
    private static InputStream inputOf(SocketChannel ch) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] b = new byte[1];
                return read(b, 0, 1) < 0 ? -1 : b[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = ch.read(ByteBuffer.wrap(b, off, len));
                return n == 0 && len > 0 ? read(b, off, len) : n;
            }
        };
    }

    private static OutputStream outputOf(SocketChannel ch) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
        };
    }

    /**
     * {@link #close()}, waiting at most {@code millis} (negative: without a limit) for a spawned
     * monitor to end: one that has not (its container's init cannot die, e.g. frozen) is killed and
     * reaped.  Returns false
     * when it had to be killed.  An interrupt does not cut the wait short of the reap: the monitor
     * is killed at once, reaped, and the thread's interrupt status is kept.  An error closing the
     * channel is thrown once the monitor is reaped.
     */
    public boolean close(long millis) throws IOException {
        boolean ended = true;
        try {
            channel.close();
        } finally {
            if (process != null) {
                ended = reap(millis);
            }
        }
        return ended;
    }

    /** Closes the channel (which kills a container still running) and reaps a spawned monitor. */
    @Override
    public void close() throws IOException {
        close(-1);
    }

    /**
     * Waits up to {@code millis} (negative: without a limit) for the monitor to end, else (or when
     * interrupted) kills it; reaps it either way.
     */
    private boolean reap(long millis) {
        boolean interrupted = false;
        boolean ended;
        try {
            if (millis < 0) {
                process.waitFor();
                ended = true;
            } else {
                ended = process.waitFor(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            interrupted = true;
            ended = false;
        }
        if (!ended) {
            process.destroyForcibly();
            while (true) {
                try {
                    process.waitFor();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return ended;
    }
}
