package io.jrun.image.unpack;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A sha256 computed on a thread of its own, fed in 256 KB pieces: the CLI's JVM runs only the C1
 * compiler (for start-up), which has no SHA intrinsic, so hashing a layer inline would cost about
 * as much as unpacking it; beside the unpack it costs the unpack nothing on a second core.
 */
final class Sha256Pipe implements AutoCloseable {
    private static final int PIECE = 256 << 10;
    private static final byte[] END = new byte[0];

    private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(16);
    private final MessageDigest digest;
    private final Thread thread;
    private byte[] piece = new byte[PIECE];
    private int filled;
    private volatile String result;

    Sha256Pipe() {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        thread = new Thread(this::hash, "jrun-diff-id");
        thread.setDaemon(true);
        thread.start();
    }

    private void hash() {
        try {
            for (byte[] b; (b = queue.take()) != END; ) {
                digest.update(b, 0, b.length);
            }
            result = "sha256:" + HexFormat.of().formatHex(digest.digest());
        } catch (InterruptedException e) {
            // closed before the end: nobody waits for the result
        }
    }

    void update(byte[] b, int off, int len) {
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

    /** The sha256 of everything given, once the hashing thread has caught up. */
    String finish() {
        if (result == null) {
            byte[] last = new byte[filled];
            System.arraycopy(piece, 0, last, 0, filled);
            put(last);
            put(END);
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while hashing a layer", e);
            }
        }
        return result;
    }

    private void put(byte[] b) {
        try {
            queue.put(b);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while hashing a layer", e);
        }
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
