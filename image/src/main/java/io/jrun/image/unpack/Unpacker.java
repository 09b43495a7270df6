package io.jrun.image.unpack;

import io.jrun.image.ImageException;
import io.jrun.image.json.ImageJson;
import io.jrun.image.json.ImageJson.ConfigJson;
import io.jrun.image.json.ImageJson.ManifestJson;
import io.jrun.image.store.ContentStore;
import io.jrun.image.store.Errors;
import io.jrun.image.store.StoredImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Unpacks an image's layers, in order, into a rootfs directory, checking each layer's diff ID
 * (the sha256 of its uncompressed tar) against the image config's {@code rootfs.diff_ids}.
 */
public final class Unpacker {
    /** A layer to apply: its digest (for errors), the diff ID it must have, and how to open its blob. */
    public record Layer(String digest, String diffId, Opener opener) {}

    @FunctionalInterface
    public interface Opener {
        InputStream open() throws IOException, ImageException;
    }

    private final UnpackOptions options;

    public Unpacker(UnpackOptions options) {
        this.options = options;
    }

    /** The layers of a stored image, and its config. */
    public static List<Layer> layers(ContentStore store, StoredImage image) throws ImageException {
        ManifestJson m = ImageJson.read(store.read(image.digest()), ManifestJson.class, "manifest " + image.digest());
        ConfigJson c = config(store, image);
        List<String> diffIds = c.rootfs() == null || c.rootfs().diffIds() == null ? List.of() : c.rootfs().diffIds();
        if (m.layers() == null || diffIds.size() != m.layers().size()) {
            throw new ImageException("unpack " + image.name() + ": the config lists " + diffIds.size()
                    + " diff IDs for " + (m.layers() == null ? 0 : m.layers().size()) + " layers");
        }
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < diffIds.size(); i++) {
            String digest = m.layers().get(i).digest();
            layers.add(new Layer(digest, diffIds.get(i), () -> store.open(digest)));
        }
        return layers;
    }

    public static ConfigJson config(ContentStore store, StoredImage image) throws ImageException {
        ManifestJson m = ImageJson.read(store.read(image.digest()), ManifestJson.class, "manifest " + image.digest());
        if (m.config() == null) {
            throw new ImageException("unpack " + image.name() + ": manifest " + image.digest() + " has no config");
        }
        return ImageJson.read(store.read(m.config().digest()), ConfigJson.class, "config " + m.config().digest());
    }

    /**
     * Applies {@code layers} to {@code rootfs}, an existing empty directory. On failure the rootfs
     * is left as it is for the caller to remove (a bundle is made in a temp directory for that).
     */
    public void unpack(List<Layer> layers, Path rootfs) throws ImageException {
        Path root = rootfs.toAbsolutePath().normalize();
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            throw new ImageException("unpack into " + rootfs + ": not a directory");
        }
        try (RootDir in = RootDir.open(root)) {
            Map<String, LayerApplier.DirAttrs> dirs = new HashMap<>();
            for (Layer layer : layers) {
                apply(in, dirs, layer);
            }
            // deepest first, so that setting a directory's mtime is not undone by its children's
            List<Map.Entry<String, LayerApplier.DirAttrs>> list = new ArrayList<>(dirs.entrySet());
            list.sort(Comparator.comparingInt((Map.Entry<String, LayerApplier.DirAttrs> e) -> depth(e.getKey())).reversed());
            for (Map.Entry<String, LayerApplier.DirAttrs> e : list) {
                String what = "unpack: directory " + (e.getKey().isEmpty() ? "/" : e.getKey());
                int fd = in.openReal(e.getKey(), what);
                if (fd < 0) {
                    continue; // replaced since by a whiteout and a file: nothing of that directory is left
                }
                try {
                    String shown = in.show(e.getKey()).toString();
                    RootDir.futimes(fd, e.getValue().mtime(), shown, what);
                    RootDir.fchmod(fd, e.getValue().mode(), shown, what);
                } finally {
                    RootDir.close(fd);
                }
            }
        }
    }

    private static int depth(String rel) {
        int n = rel.isEmpty() ? 0 : 1;
        for (int i = 0; i < rel.length(); i++) {
            if (rel.charAt(i) == '/') {
                n++;
            }
        }
        return n;
    }

    private void apply(RootDir in, Map<String, LayerApplier.DirAttrs> dirs, Layer layer) throws ImageException {
        LayerApplier applier = new LayerApplier(in, options, dirs);
        String short12 = layer.digest().length() > 19 ? layer.digest().substring(0, 19) : layer.digest();
        try (InputStream blob = layer.opener().open(); LayerStream s = LayerStream.open(blob, options.limits())) {
            try {
                applier.apply(s, short12);
                s.drain();
            } catch (LimitException e) {
                throw new ImageException("unpack layer " + short12 + " entry \"" + applier.currentEntry() + "\": "
                        + e.getMessage());
            }
            String diffId = s.diffId();
            if (!diffId.equals(layer.diffId())) {
                throw new ImageException("unpack layer " + layer.digest() + ": diff ID mismatch: the config says "
                        + layer.diffId() + ", the uncompressed layer is " + diffId);
            }
        } catch (IOException e) {
            throw new ImageException("unpack layer " + layer.digest()
                    + (applier.currentEntry().isEmpty() ? "" : " entry \"" + applier.currentEntry() + "\"")
                    + ": " + Errors.reason(e));
        }
    }

    /** Deletes an unpacked tree, or what a failed unpack left of it, without following symlinks. */
    public static void deleteTree(Path dir) throws IOException {
        LayerApplier.deleteTree(dir);
    }
}
