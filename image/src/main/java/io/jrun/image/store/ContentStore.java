package io.jrun.image.store;

import io.jrun.image.Descriptor;
import io.jrun.image.ImageException;
import io.jrun.image.json.ImageJson;
import io.jrun.image.json.ImageJson.DescriptorJson;
import io.jrun.image.json.ImageJson.IndexJson;
import io.jrun.image.json.ImageJson.ManifestJson;
import io.jrun.image.reference.ImageReference;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

/**
 * jrun's local image store: blobs by digest ({@code blobs/sha256/HEX}), shared by every image that
 * uses them and written only after their size and sha256 were checked (temp file, then an atomic
 * rename); downloads in progress in {@code ingest/}, kept when interrupted so a later pull goes on
 * where it stopped; image names in {@code images.json}. Safe for concurrent jrun processes: a pull
 * holds {@code gc.lock} shared, garbage collection exclusive; {@code images.json} changes under
 * {@code images.lock}; one process at a time downloads a given blob.
 */
public final class ContentStore {
    /** The default root, as {@code --image-root} gives another. */
    public static final Path DEFAULT_ROOT = Path.of("/var/lib/jrun");

    private static final ConcurrentHashMap<Path, ReentrantLock> INGESTING = new ConcurrentHashMap<>();

    private final Path root;
    private final Path blobs;
    private final Path ingest;

    private ContentStore(Path root) {
        this.root = root;
        this.blobs = root.resolve("blobs").resolve("sha256");
        this.ingest = root.resolve("ingest");
    }

    /** Opens the store at {@code root}, creating its directories when missing. */
    public static ContentStore open(Path root) throws ImageException {
        ContentStore s = new ContentStore(root.toAbsolutePath().normalize());
        try {
            Files.createDirectories(s.blobs);
            Files.createDirectories(s.ingest);
        } catch (IOException e) {
            throw new ImageException("open image store " + root + ": " + Errors.reason(e));
        }
        return s;
    }

    public Path root() {
        return root;
    }

    /** Where the blob {@code digest} lies once stored. */
    public Path blobPath(String digest) throws ImageException {
        if (digest == null || !ImageReference.DIGEST.matcher(digest).matches()) {
            throw new ImageException("image store: unsupported digest \"" + digest + "\" (only sha256)");
        }
        return blobs.resolve(digest.substring(7));
    }

    /** Whether the blob is stored with the descriptor's size. */
    public boolean has(Descriptor d) throws ImageException {
        Path p = blobPath(d.digest());
        try {
            return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && (d.size() < 0 || Files.size(p) == d.size());
        } catch (IOException e) {
            return false;
        }
    }

    public InputStream open(String digest) throws ImageException {
        Path p = blobPath(digest);
        try {
            return Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new ImageException("image store " + root + ": blob " + digest + " is missing");
        } catch (IOException e) {
            throw new ImageException("open " + p + ": " + Errors.reason(e));
        }
    }

    public byte[] read(String digest) throws ImageException {
        try (InputStream in = open(digest)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new ImageException("read " + blobPath(digest) + ": " + Errors.reason(e));
        }
    }

    /** Stores small bytes (a manifest) after checking them against {@code digest}. */
    public void put(String digest, byte[] bytes) throws ImageException {
        String actual = sha256(bytes);
        if (!actual.equals(digest)) {
            throw new ImageException("store " + digest + ": digest mismatch: the bytes are " + actual);
        }
        Path target = blobPath(digest);
        if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path tmp = null;
        try {
            tmp = Files.createTempFile(ingest, "put-", ".tmp");
            Files.write(tmp, bytes);
            moveIntoPlace(tmp, target);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new ImageException("store " + digest + " in " + blobs + ": " + Errors.reason(e));
        }
    }

    /** Opens a blob's bytes from an offset: how {@link #ingest} asks a source for them. */
    @FunctionalInterface
    public interface BlobOpener {
        InputStream open(long offset) throws IOException, ImageException;
    }

    /**
     * Downloads the blob {@code d} into the store unless it is there: continues a partial download
     * kept in {@code ingest/}, checks size and sha256 while streaming, and renames it into place.
     * {@code progress} gets the bytes this blob has so far (the kept part first).
     */
    public void ingest(Descriptor d, BlobOpener opener, LongConsumer progress) throws ImageException {
        Path target = blobPath(d.digest());
        if (has(d)) {
            progress.accept(d.size());
            return;
        }
        Path partial = ingest.resolve("sha256-" + d.digest().substring(7));
        ReentrantLock jvm = INGESTING.computeIfAbsent(partial, p -> new ReentrantLock());
        jvm.lock();
        // the lock is on a file of its own, never renamed: a lock on the partial file would, once
        // that is renamed into place, let the next process write into the stored blob
        Path lockFile = ingest.resolve("sha256-" + d.digest().substring(7) + ".lock");
        try (FileChannel lock = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock held = lock.lock(); // another jrun downloading the same blob: wait, then find it stored
                FileChannel ch = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE)) {
            if (has(d)) {
                progress.accept(d.size());
                Files.deleteIfExists(partial);
                Files.deleteIfExists(lockFile);
                return;
            }
            MessageDigest md = sha256();
            long have = ch.size();
            if (d.size() >= 0 && have > d.size()) {
                ch.truncate(0);
                have = 0;
            }
            // the kept part counts towards the digest: read it again
            ch.position(0);
            InputStream kept = Channels.newInputStream(ch);
            byte[] buf = new byte[1 << 16];
            long left = have;
            while (left > 0) {
                int n = kept.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    break;
                }
                md.update(buf, 0, n);
                left -= n;
            }
            progress.accept(have);
            long total = have;
            ch.position(have);
            OutputStream out = Channels.newOutputStream(ch);
            try (InputStream in = opener.open(have)) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    total += n;
                    if (d.size() >= 0 && total > d.size()) {
                        ch.truncate(0);
                        throw new ImageException("pull blob " + d.digest() + ": more than the " + d.size()
                                + " bytes its descriptor gives");
                    }
                    md.update(buf, 0, n);
                    out.write(buf, 0, n);
                    progress.accept(total);
                }
            } catch (IOException e) {
                throw new ImageException("pull blob " + d.digest() + ": " + Errors.reason(e) + " (" + total + " of "
                        + d.size() + " bytes kept in " + ingest + "; pull again to resume)");
            }
            if (d.size() >= 0 && total != d.size()) {
                throw new ImageException("pull blob " + d.digest() + ": the source ended after " + total + " of "
                        + d.size() + " bytes (kept in " + ingest + "; pull again to resume)");
            }
            String actual = "sha256:" + HexFormat.of().formatHex(md.digest());
            if (!actual.equals(d.digest())) {
                ch.truncate(0);
                throw new ImageException("pull blob " + d.digest() + ": digest mismatch: the " + total
                        + " bytes received are " + actual);
            }
            ch.force(false);
            moveIntoPlace(partial, target);
            // stored: whoever waits on this lock, or makes a new one, finds the blob and writes nothing
            Files.deleteIfExists(lockFile);
        } catch (IOException e) {
            throw new ImageException("pull blob " + d.digest() + " into " + ingest + ": " + Errors.reason(e));
        } finally {
            jvm.unlock();
        }
    }

    private static void moveIntoPlace(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Held while a pull adds blobs and names, so that garbage collection does not take them away meanwhile. */
    public AutoCloseable pulling() throws ImageException {
        try {
            return StoreLock.of(root.resolve("gc.lock")).shared();
        } catch (IOException e) {
            throw new ImageException("lock " + root.resolve("gc.lock") + ": " + Errors.reason(e));
        }
    }

    /** Names an image, replacing what the name named before (whose blobs stay until {@code gc}). */
    public void tag(StoredImage image) throws ImageException {
        try (StoreLock.Held l = StoreLock.of(root.resolve("images.lock")).exclusive()) {
            List<StoredImage> all = new ArrayList<>(readImages());
            all.removeIf(i -> i.name().equals(image.name()));
            all.add(image);
            writeImages(all);
        } catch (IOException e) {
            throw new ImageException("name image " + image.name() + " in " + root + ": " + Errors.reason(e));
        }
    }

    /** The stored images, sorted by name. */
    public List<StoredImage> images() throws ImageException {
        try (StoreLock.Held l = StoreLock.of(root.resolve("images.lock")).shared()) {
            List<StoredImage> all = new ArrayList<>(readImages());
            all.sort((a, b) -> a.name().compareTo(b.name()));
            return all;
        } catch (IOException e) {
            throw new ImageException("read " + root.resolve("images.json") + ": " + Errors.reason(e));
        }
    }

    /** The image named {@code name} (also with ":latest" added, or by its manifest digest). */
    public Optional<StoredImage> image(String name) throws ImageException {
        List<StoredImage> all = images();
        for (String n : List.of(name, name + ":latest")) {
            for (StoredImage i : all) {
                if (i.name().equals(n)) {
                    return Optional.of(i);
                }
            }
        }
        for (StoredImage i : all) {
            if (i.digest().equals(name)) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    /**
     * Removes the name {@code name} and then every blob no remaining image uses; returns the
     * digests removed.
     */
    public List<String> remove(String name) throws ImageException {
        StoredImage image = image(name).orElseThrow(() -> new ImageException("rmi " + name + ": no such image in "
                + root));
        try (StoreLock.Held l = StoreLock.of(root.resolve("images.lock")).exclusive()) {
            List<StoredImage> all = new ArrayList<>(readImages());
            all.removeIf(i -> i.name().equals(image.name()));
            writeImages(all);
        } catch (IOException e) {
            throw new ImageException("rmi " + name + ": write " + root.resolve("images.json") + ": " + Errors.reason(e));
        }
        return gc();
    }

    /** Deletes the blobs that no named image reaches (manifest, config, layers); returns their digests. */
    public List<String> gc() throws ImageException {
        try (StoreLock.Held g = StoreLock.of(root.resolve("gc.lock")).exclusive()) {
            Set<String> keep = new HashSet<>();
            for (StoredImage i : images()) {
                reach(i.digest(), keep, 0);
            }
            List<String> removed = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(blobs)) {
                for (Path p : ds) {
                    String digest = "sha256:" + p.getFileName();
                    if (!keep.contains(digest)) {
                        Files.deleteIfExists(p);
                        removed.add(digest);
                    }
                }
            }
            return removed;
        } catch (IOException e) {
            throw new ImageException("garbage-collect " + blobs + ": " + Errors.reason(e));
        }
    }

    private void reach(String digest, Set<String> keep, int depth) throws ImageException {
        if (!keep.add(digest) || depth > 4 || !Files.isRegularFile(blobPath(digest))) {
            return;
        }
        byte[] b = read(digest);
        IndexJson idx = ImageJson.read(b, IndexJson.class, "manifest " + digest);
        if (idx.manifests() != null) {
            for (DescriptorJson d : idx.manifests()) {
                reach(d.digest(), keep, depth + 1);
            }
            return;
        }
        ManifestJson m = ImageJson.read(b, ManifestJson.class, "manifest " + digest);
        if (m.config() != null) {
            keep.add(m.config().digest());
        }
        if (m.layers() != null) {
            for (DescriptorJson d : m.layers()) {
                keep.add(d.digest());
            }
        }
    }

    private List<StoredImage> readImages() throws IOException {
        Path p = root.resolve("images.json");
        if (!Files.exists(p)) {
            return List.of();
        }
        try {
            return Arrays.asList(ImageJson.read(Files.readAllBytes(p), StoredImage[].class, p.toString()));
        } catch (ImageException e) {
            throw new IOException(e.getMessage());
        }
    }

    private void writeImages(List<StoredImage> images) throws IOException {
        Path tmp = Files.createTempFile(root, "images-", ".tmp");
        try {
            Files.write(tmp, ImageJson.write(images));
            moveIntoPlace(tmp, root.resolve("images.json"));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static String sha256(byte[] bytes) {
        return "sha256:" + HexFormat.of().formatHex(sha256().digest(bytes));
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a temp file in ingest/: harmless
            }
        }
    }
}
