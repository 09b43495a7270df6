package io.jrun.image.pull;

import io.jrun.image.Descriptor;
import io.jrun.image.ImageException;
import io.jrun.image.ImageSource;
import io.jrun.image.json.ImageJson;
import io.jrun.image.json.ImageJson.ConfigJson;
import io.jrun.image.json.ImageJson.DescriptorJson;
import io.jrun.image.json.ImageJson.IndexJson;
import io.jrun.image.json.ImageJson.ManifestJson;
import io.jrun.image.json.MediaTypes;
import io.jrun.image.reference.ImageReference;
import io.jrun.image.store.ContentStore;
import io.jrun.image.store.StoredImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The pull pipeline, the same for every {@link ImageSource}: the manifest (through an index or
 * manifest list to the platform's), then config and layers into the content store, a few at a
 * time, each verified while it streams; last, the image's name.
 */
public final class Puller {
    /** How many blobs download at once. */
    static final int PARALLEL = 3;

    private final ContentStore store;
    private final Platform platform;
    private final PullProgress progress;

    public Puller(ContentStore store, Platform platform, PullProgress progress) {
        this.store = store;
        this.platform = platform;
        this.progress = progress;
    }

    /**
     * Pulls the image {@code reference} (a tag, name or digest the source knows; null for its only
     * image) from {@code source} and names it {@code name} in the store.
     */
    public StoredImage pull(ImageSource source, String reference, String name, String what) throws ImageException {
        try (AutoCloseable held = store.pulling()) {
            return pullLocked(source, reference, name, what);
        } catch (ImageException e) {
            throw e;
        } catch (Exception e) {
            throw new ImageException("pull " + what + ": " + e.getMessage(), e);
        }
    }

    private StoredImage pullLocked(ImageSource source, String reference, String name, String what)
            throws ImageException, IOException {
        ImageSource.Manifest m = source.manifest(reference);
        String digest = ContentStore.sha256(m.bytes());
        if (reference != null && ImageReference.DIGEST.matcher(reference).matches() && !reference.equals(digest)) {
            throw new ImageException("pull " + what + ": manifest digest mismatch: asked for " + reference
                    + ", the bytes are " + digest);
        }
        if (MediaTypes.isIndex(m.mediaType())) {
            IndexJson index = ImageJson.read(m.bytes(), IndexJson.class, what + " index " + digest);
            DescriptorJson chosen = choose(index, what);
            m = source.manifest(chosen.digest());
            digest = ContentStore.sha256(m.bytes());
            if (!digest.equals(chosen.digest())) {
                throw new ImageException("pull " + what + ": manifest digest mismatch: the index names "
                        + chosen.digest() + ", the bytes are " + digest);
            }
        } else if (!MediaTypes.isManifest(m.mediaType())) {
            throw new ImageException("pull " + what + ": unsupported manifest media type \"" + m.mediaType()
                    + "\" (OCI or Docker schema 2 manifests and indexes only)");
        }
        ManifestJson manifest = ImageJson.read(m.bytes(), ManifestJson.class, what + " manifest " + digest);
        if (manifest.config() == null || manifest.layers() == null) {
            throw new ImageException("pull " + what + ": manifest " + digest + " has no config or no layers");
        }
        List<Descriptor> blobs = new ArrayList<>();
        blobs.add(check(manifest.config(), what));
        for (DescriptorJson l : manifest.layers()) {
            Descriptor d = check(l, what);
            if (!MediaTypes.isLayer(d.mediaType())) {
                throw new ImageException("pull " + what + ": layer " + d.digest() + " has unsupported media type \""
                        + d.mediaType() + "\"");
            }
            blobs.add(d);
        }
        fetch(source, blobs, what);
        store.put(digest, m.bytes());
        ConfigJson config = ImageJson.read(store.read(manifest.config().digest()), ConfigJson.class,
                what + " config " + manifest.config().digest());
        int diffIds = config.rootfs() == null || config.rootfs().diffIds() == null ? -1 : config.rootfs().diffIds().size();
        if (diffIds != manifest.layers().size()) {
            throw new ImageException("pull " + what + ": the config lists " + Math.max(diffIds, 0)
                    + " diff IDs for " + manifest.layers().size() + " layers");
        }
        long size = m.bytes().length;
        for (Descriptor d : blobs) {
            size += d.size();
        }
        StoredImage image = new StoredImage(name, digest, size, config.created());
        store.tag(image);
        return image;
    }

    private static Descriptor check(DescriptorJson d, String what) throws ImageException {
        if (d.digest() == null || !ImageReference.DIGEST.matcher(d.digest()).matches()) {
            throw new ImageException("pull " + what + ": unsupported digest \"" + d.digest() + "\" (only sha256)");
        }
        if (d.size() < 0) {
            throw new ImageException("pull " + what + ": blob " + d.digest() + " has a negative size");
        }
        return d.toDescriptor();
    }

    private DescriptorJson choose(IndexJson index, String what) throws ImageException {
        List<String> offered = new ArrayList<>();
        if (index.manifests() != null) {
            for (DescriptorJson d : index.manifests()) {
                if (d.platform() == null) {
                    continue;
                }
                if (platform.matches(d.platform().os(), d.platform().architecture(), d.platform().variant())) {
                    return d;
                }
                offered.add(d.platform().os() + "/" + d.platform().architecture()
                        + (d.platform().variant() == null ? "" : "/" + d.platform().variant()));
            }
        }
        throw new ImageException("pull " + what + ": no image for " + platform + " in its index (it has: "
                + (offered.isEmpty() ? "none" : String.join(", ", offered)) + ")");
    }

    private void fetch(ImageSource source, List<Descriptor> blobs, String what) throws ImageException {
        Map<String, Descriptor> unique = new LinkedHashMap<>();
        for (Descriptor d : blobs) {
            unique.putIfAbsent(d.digest(), d);
        }
        List<Descriptor> list = new ArrayList<>(unique.values());
        progress.started(list);
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(PARALLEL, list.size()), r -> {
            Thread t = new Thread(r, "jrun-pull");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Descriptor d : list) {
                futures.add(pool.submit(() -> {
                    store.ingest(d, offset -> source.blob(d, offset), n -> progress.advanced(d, n));
                    return null;
                }));
            }
            ImageException first = null;
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    if (first == null) {
                        first = e.getCause() instanceof ImageException ie ? ie
                                : new ImageException("pull " + what + ": " + e.getCause(), e.getCause());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ImageException("pull " + what + ": interrupted");
                }
            }
            if (first != null) {
                throw first;
            }
        } finally {
            pool.shutdownNow();
            progress.finished();
        }
    }
}
