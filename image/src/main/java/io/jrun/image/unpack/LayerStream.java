package io.jrun.image.unpack;

import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * A layer blob as the tar stream it holds: decompressed by what its first bytes say (gzip, zstd or
 * none; a media type can lie), counted and hashed (the diff ID) on the way, and cut off past the
 * limits on size and compression ratio (decompression bombs).
 */
final class LayerStream extends FilterInputStream {
    private final Counting compressed;
    private final Limits limits;
    private final Sha256Pipe digest = new Sha256Pipe();
    private final String compression;
    private long bytes;

    private LayerStream(InputStream decompressed, Counting compressed, Limits limits, String compression) {
        super(decompressed);
        this.compressed = compressed;
        this.limits = limits;
        this.compression = compression;
    }

    static LayerStream open(InputStream blob, Limits limits) throws IOException {
        Counting counting = new Counting(blob);
        BufferedInputStream b = new BufferedInputStream(counting, 1 << 16);
        b.mark(8);
        byte[] m = b.readNBytes(6);
        b.reset();
        InputStream raw;
        String compression;
        if (m.length >= 2 && (m[0] & 0xff) == 0x1f && (m[1] & 0xff) == 0x8b) {
            raw = new GZIPInputStream(b, 1 << 16);
            compression = "gzip";
        } else if (m.length >= 4 && (m[0] & 0xff) == 0x28 && (m[1] & 0xff) == 0xb5 && (m[2] & 0xff) == 0x2f
                && (m[3] & 0xff) == 0xfd) {
            raw = new ZstdInputStream(b);
            compression = "zstd";
        } else if (m.length >= 3 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h') {
            throw new IOException("bzip2-compressed layers are not supported (gzip, zstd or none)");
        } else if (m.length >= 6 && (m[0] & 0xff) == 0xfd && m[1] == '7' && m[2] == 'z' && m[3] == 'X' && m[4] == 'Z') {
            throw new IOException("xz-compressed layers are not supported (gzip, zstd or none)");
        } else {
            raw = b;
            compression = "none";
        }
        return new LayerStream(raw, counting, limits, compression);
    }

    String compression() {
        return compression;
    }

    /** The sha256 of the uncompressed bytes read so far: the diff ID once the stream is drained. */
    String diffId() throws IOException {
        return digest.finish();
    }

    /** Reads what is left (a tar's end blocks and padding), so that the diff ID covers it. */
    void drain() throws IOException {
        byte[] buf = new byte[1 << 16];
        while (read(buf, 0, buf.length) >= 0) {
            // counted and hashed by read
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            digest.update(b, off, n);
            bytes += n;
            if (bytes > limits.maxLayerSize()) {
                throw new LimitException("the layer decompresses to more than " + limits.maxLayerSize()
                        + " bytes (the limit)");
            }
            if (bytes > limits.ratioAfter() && bytes / Math.max(1, compressed.count) > limits.maxRatio()) {
                throw new LimitException("the layer decompresses to more than " + limits.maxRatio()
                        + " times its compressed size (" + bytes + " bytes from " + compressed.count
                        + "): a decompression bomb?");
            }
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buf = new byte[(int) Math.min(n, 1 << 16)];
        long left = n;
        while (left > 0) {
            int r = read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                break;
            }
            left -= r;
        }
        return n - left;
    }

    @Override
    public void close() throws IOException {
        digest.close();
        super.close();
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** Counts the compressed bytes read from the blob. */
    static final class Counting extends FilterInputStream {
        long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int c = in.read();
            if (c >= 0) {
                count++;
            }
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
