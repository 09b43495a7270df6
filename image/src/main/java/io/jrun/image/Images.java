package io.jrun.image;

import io.jrun.image.bundle.BundleMaker;
import io.jrun.image.bundle.BundleOptions;
import io.jrun.image.pull.Platform;
import io.jrun.image.pull.PullProgress;
import io.jrun.image.pull.Puller;
import io.jrun.image.reference.ImageReference;
import io.jrun.image.registry.RegistryOptions;
import io.jrun.image.source.DockerArchiveSource;
import io.jrun.image.source.Sources;
import io.jrun.image.store.ContentStore;
import io.jrun.image.store.StoredImage;
import io.jrun.image.unpack.UnpackOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Images as jrun's commands use them: pull a reference into the local store, unpack an image into
 * a bundle, list and remove stored images.
 *
 * <pre>{@code
 * Images images = Images.open(Path.of("/var/lib/jrun"));
 * images.unpack("docker-archive:busybox.tar", Path.of("bundle"), BundleOptions.NONE);
 * }</pre>
 */
public final class Images {
    private final ContentStore store;
    private Platform platform = Platform.host();
    private PullProgress progress = PullProgress.QUIET;
    private UnpackOptions unpackOptions = UnpackOptions.defaults();
    private RegistryOptions registry = RegistryOptions.defaults(System.getenv());

    private Images(ContentStore store) {
        this.store = store;
    }

    /** The store at {@code root} ({@link ContentStore#DEFAULT_ROOT} by default). */
    public static Images open(Path root) throws ImageException {
        return new Images(ContentStore.open(root));
    }

    public Images withPlatform(Platform p) {
        this.platform = p;
        return this;
    }

    public Images withProgress(PullProgress p) {
        this.progress = p;
        return this;
    }

    /** How registries are reached: TLS verification, auth files, timeouts. */
    public Images withRegistryOptions(RegistryOptions o) {
        this.registry = o;
        return this;
    }

    public Images withUnpackOptions(UnpackOptions o) {
        this.unpackOptions = o;
        return this;
    }

    public ContentStore store() {
        return store;
    }

    /** Pulls {@code ref} into the store as {@code name} (null: a name made from the reference). */
    public StoredImage pull(String ref, String name) throws ImageException {
        ImageReference r = ImageReference.parse(ref);
        if (r instanceof ImageReference.Stored s) {
            return store.image(s.name()).orElseThrow(() -> new ImageException("pull " + ref
                    + ": no such image in " + store.root() + " (a transport is missing: oci:, oci-archive:, docker-archive:, docker://)"));
        }
        try (ImageSource source = Sources.open(r, registry)) {
            String n = name != null ? name : defaultName(r, source);
            return new Puller(store, platform, progress).pull(source, Sources.manifestReference(r), n, r.toString());
        } catch (IOException e) {
            throw new ImageException("pull " + ref + ": " + e.getMessage(), e);
        }
    }

    private static String defaultName(ImageReference r, ImageSource source) {
        if (r instanceof ImageReference.DockerArchive d && d.name() == null && source instanceof DockerArchiveSource s
                && s.names().size() == 1) {
            return s.names().get(0);
        }
        return Sources.defaultName(r);
    }

    /** Pulls {@code ref} unless it names a stored image, then makes a bundle of it in {@code bundle}. */
    public StoredImage unpack(String ref, Path bundle, BundleOptions options) throws ImageException {
        // held like a pull: a concurrent rmi's garbage collection waits until the layers are read
        try (AutoCloseable held = store.pulling()) {
            StoredImage image = pull(ref, null);
            BundleMaker.make(store, image, bundle, options, unpackOptions);
            return image;
        } catch (ImageException e) {
            throw e;
        } catch (Exception e) {
            throw new ImageException("unpack " + ref + ": " + e.getMessage(), e);
        }
    }

    public List<StoredImage> images() throws ImageException {
        return store.images();
    }

    /** Removes the image's name and the blobs no other image uses; returns how many blobs went. */
    public int remove(String name) throws ImageException {
        return store.remove(name).size();
    }
}
