package io.jrun.image.unpack;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A layer's sha256 (its diff ID), computed beside the unpack on a thread of its own, fed in 256 KB
 * pieces. The CLI's JVM runs only the C1 compiler (for start-up), which has no SHA intrinsic:
 * MessageDigest there hashes ~130 MB/s, as much time as the unpack itself; so the thread pipes the
 * bytes to coreutils' {@code sha256sum} (~4 times faster) and falls back to MessageDigest where
 * that cannot be started. Measured on a 316 MB layer: inline 4.5 s, MessageDigest beside the
 * unpack 3.1-3.7 s, sha256sum 2.6-2.8 s. A sha256sum that stops taking input, or gives no
 * result once it has all, for {@value #STALL_MS} ms is killed and the layer's unpack fails.
 */
final class Sha256Pipe implements AutoCloseable {
    private static final int PIECE = 256 << 10;
    private static final byte[] END = new byte[0];
    static final long STALL_MS = 60_000;
    private static final List<String> SHA256SUM = List.of("/usr/bin/sha256sum");

    private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(16);
    private final Thread thread;
    private final List<String> command;
    private final long stallMs;
    private volatile Process process;
    private byte[] piece = new byte[PIECE];
    private int filled;
    private volatile String result;
    private volatile String failure;

    Sha256Pipe() {
        this(SHA256SUM, STALL_MS);
    }

    /** With another hashing command (printing the hex digest first) and how long it may stall: for tests. */
    Sha256Pipe(List<String> command, long stallMs) {
        this.command = command;
        this.stallMs = stallMs;
        thread = new Thread(this::hash, "jrun-diff-id");
        thread.setDaemon(true);
        thread.start();
    }

    private void hash() {
        Process p = null;
        try {
            try {
                p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
                process = p;
            } catch (IOException e) {
                hashInJava();
                return;
            }
            try (OutputStream out = p.getOutputStream()) {
                for (byte[] b; (b = queue.take()) != END; ) {
                    out.write(b, 0, b.length);
                }
            }
            String line;
            try (InputStream in = p.getInputStream()) {
                line = new String(in.readNBytes(200), StandardCharsets.US_ASCII);
            }
            int status = p.waitFor();
            if (status != 0 || line.length() < 64 || !line.substring(0, 64).matches("[0-9a-f]{64}")) {
                failure = command.get(0) + " exited with status " + status;
                return;
            }
            result = "sha256:" + line.substring(0, 64);
        } catch (IOException e) {
            failure = command.get(0) + ": " + io.jrun.runtime.plan.Errno.describe(e);
            queue.clear();
        } catch (InterruptedException e) {
            // closed before the end: nobody waits for the result
        } finally {
            if (p != null) {
                p.destroy();
            }
        }
    }

    private void hashInJava() {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (byte[] b; (b = queue.take()) != END; ) {
                digest.update(b, 0, b.length);
            }
            result = "sha256:" + HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            failure = "no SHA-256 in this JVM";
        } catch (InterruptedException e) {
            // closed before the end
        }
    }

    void update(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = Math.min(len, PIECE - filled);
            System.arraycopy(b, off, piece, filled, n);
            filled += n;
            off += n;
            len -= n;
            if (filled == PIECE) {
                put(piece);
                piece = new byte[PIECE];
                filled = 0;
            }
        }
    }

    /** The sha256 of everything given ("sha256:HEX"), once the hashing has caught up. */
    String finish() throws IOException {
        if (result == null && failure == null) {
            byte[] last = new byte[filled];
            System.arraycopy(piece, 0, last, 0, filled);
            put(last);
            put(END);
            try {
                thread.join(stallMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while hashing the layer");
            }
            if (thread.isAlive()) {
                throw stalled("gave no result");
            }
        }
        if (result == null) {
            throw new IOException("hash the layer: " + (failure != null ? failure : "no result"));
        }
        return result;
    }

    private void put(byte[] b) throws IOException {
        try {
            // a failed hashing thread takes nothing more: do not wait for it; a stalled one is killed
            long waited = 0;
            while (!queue.offer(b, 100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                if (!thread.isAlive()) {
                    throw new IOException("hash the layer: " + (failure != null ? failure : "the hashing thread ended"));
                }
                waited += 100;
                if (waited >= stallMs) {
                    throw stalled("took no input");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while hashing the layer");
        }
    }

    private IOException stalled(String what) {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
        }
        thread.interrupt();
        return new IOException("hash the layer: " + String.join(" ", command) + " " + what + " for " + stallMs
                + " ms: killed (Connection timed out, ETIMEDOUT)");
    }

    @Override
    public void close() {
        thread.interrupt();
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
        }
    }
}
