package io.jrun.image.source;

import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;

/**
 * The files of an image layout or archive by their relative names ("index.json",
 * "blobs/sha256/..."), whether they lie in a directory or in an (uncompressed, seekable) tar file.
 */
interface Entries extends Closeable {
    /** The file's bytes from {@code offset} on, or null when there is no such file. */
    InputStream open(String name, long offset) throws IOException;

    /** The file's size, or -1 when there is no such file. */
    long size(String name) throws IOException;

    /** What is read whole (index.json, manifest.json, a manifest, a config): far more than any real one. */
    long MAX_READ = 16L << 20;

    default byte[] read(String name) throws IOException {
        try (InputStream in = open(name, 0)) {
            if (in == null) {
                return null;
            }
            byte[] b = in.readNBytes((int) MAX_READ + 1);
            if (b.length > MAX_READ) {
                throw new IOException(name + ": more than " + MAX_READ + " bytes");
            }
            return b;
        }
    }

    /** A directory: names are resolved under it, and only regular files count (a symlink is not followed). */
    static Entries directory(Path dir) {
        return new Entries() {
            @Override
            public InputStream open(String name, long offset) throws IOException {
                Path p = dir.resolve(name).normalize();
                if (!p.startsWith(dir.normalize()) || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    return null;
                }
                FileChannel ch;
                try {
                    ch = FileChannel.open(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException e) {
                    return null;
                }
                ch.position(offset);
                return Channels.newInputStream(ch);
            }

            @Override
            public long size(String name) throws IOException {
                Path p = dir.resolve(name).normalize();
                return p.startsWith(dir.normalize()) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Files.size(p) : -1;
            }

            @Override
            public void close() {}
        };
    }

    /** A tar archive, read in place: its entries are indexed once and read by seeking. */
    static Entries tar(Path file) throws IOException {
        TarFile tar = new TarFile(file);
        Map<String, TarArchiveEntry> byName = new HashMap<>();
        for (TarArchiveEntry e : tar.getEntries()) {
            String n = e.getName();
            while (n.startsWith("./")) {
                n = n.substring(2);
            }
            if (e.isFile()) {
                byName.put(n, e);
            }
        }
        return new Entries() {
            @Override
            public InputStream open(String name, long offset) throws IOException {
                TarArchiveEntry e = byName.get(name);
                if (e == null) {
                    return null;
                }
                // TarFile's entry streams share one channel (position, then read): the pull reads
                // blobs in parallel, so every read holds the archive's lock
                InputStream in;
                synchronized (tar) {
                    in = tar.getInputStream(e);
                    try {
                        in.skipNBytes(offset);
                    } catch (IOException | UncheckedIOException ex) {
                        in.close();
                        throw ex;
                    }
                }
                InputStream entry = in;
                return new FilterInputStream(entry) {
                    @Override
                    public int read() throws IOException {
                        synchronized (tar) {
                            return entry.read();
                        }
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        synchronized (tar) {
                            return entry.read(b, off, len);
                        }
                    }

                    @Override
                    public long skip(long n) throws IOException {
                        synchronized (tar) {
                            return entry.skip(n);
                        }
                    }
                };
            }

            @Override
            public long size(String name) {
                TarArchiveEntry e = byName.get(name);
                return e == null ? -1 : e.getSize();
            }

            @Override
            public void close() throws IOException {
                tar.close();
            }
        };
    }
}
