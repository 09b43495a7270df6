package io.jrun.testing;

import io.jrun.nativebind.StageProcess;
import io.jrun.runtime.Jrun;
import io.jrun.runtime.LaunchOptions;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stage monitors spawned ahead, connected and idle, with piped stdio, so a container's start
 * does not pay the spawn (~5 ms here); each one taken is replaced in the background when a
 * container or exec ends (or at once when the pool ran dry), so the spawn does not compete with
 * a start for the cpus.  Only for
 * containers and execs whose stdio is piped (stdin piped or /dev/null: then its pipe is closed
 * at once), which is how this library runs them all unless the spec inherits the JVM's.
 */
final class MonitorPool implements Jrun.StageSource {
    private static final System.Logger LOG = System.getLogger(MonitorPool.class.getName());
    private static final Redirect DEV_NULL = Redirect.from(new File("/dev/null"));

    private final Path stage;
    private final Path socketDir;
    private final int size;
    private final ExecutorService threads;
    private final LinkedBlockingQueue<StageProcess> ready = new LinkedBlockingQueue<>();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile boolean closed;

    MonitorPool(Path stage, Path socketDir, int size, ExecutorService threads) {
        this.stage = stage;
        this.socketDir = socketDir;
        this.size = size;
        this.threads = threads;
        try {
            Files.createDirectories(socketDir);
        } catch (IOException e) {
            throw new ContainerException("create " + socketDir + ": " + e.getMessage());
        }
        refill();
    }

    @Override
    public StageProcess open(Path stageBinary, LaunchOptions options) {
        boolean devNullIn = options.stdin().equals(DEV_NULL);
        if (closed || !stageBinary.equals(stage) || options.stdout() != Redirect.PIPE
                || options.stderr() != Redirect.PIPE || !(devNullIn || options.stdin() == Redirect.PIPE)) {
            return null;
        }
        StageProcess p = ready.poll();
        if (ready.isEmpty()) {
            refill(); // a burst: spawn now; else when a container ends, not while this one starts (2 cpus here)
        }
        if (p != null && devNullIn) {
            try {
                OutputStream in = p.stdinOrNull();
                in.close(); // the container reads end-of-file, as from /dev/null
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "close a pooled monitor's stdin: " + e.getMessage());
            }
        }
        return p;
    }

    /** Spawns, in the background, the monitors that bring the pool back to its size. */
    void refill() {
        while (true) {
            // counted before the look at closed: close() either waits for this spawn (which ends the
            // monitor it makes) or has set closed before this looks; looked at first, a refill that
            // raced a close spawned a monitor after close() had returned (a leaked process)
            int counted = pending.incrementAndGet();
            if (closed || ready.size() + counted > size) {
                pending.decrementAndGet();
                return;
            }
            threads.submit(this::spawnOne);
        }
    }

    private void spawnOne() {
        try {
            StageProcess p = StageProcess.spawn(stage, socketDir, new ProcessBuilder().redirectInput(Redirect.PIPE)
                    .redirectOutput(Redirect.PIPE).redirectError(Redirect.PIPE));
            if (closed) {
                p.close();
            } else {
                ready.add(p);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "spawn a monitor for the pool: " + e.getMessage());
        } finally {
            pending.decrementAndGet();
        }
    }

    /** Ends the idle monitors (closing its channel ends one); containers already started keep theirs. */
    void close() {
        closed = true;
        while (pending.get() > 0) {
            Thread.onSpinWait();
        }
        for (StageProcess p = ready.poll(); p != null; p = ready.poll()) {
            try {
                p.close();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "close a pooled monitor: " + e.getMessage());
            }
        }
    }
}
