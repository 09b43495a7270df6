package io.jrun.image.bundle;

import io.jrun.image.ImageException;
import io.jrun.image.json.ImageJson.ConfigJson;
import io.jrun.image.store.ContentStore;
import io.jrun.image.store.Errors;
import io.jrun.image.store.StoredImage;
import io.jrun.image.unpack.UnpackOptions;
import io.jrun.image.unpack.Unpacker;
import io.jrun.runtime.json.JsonWriter;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * Makes a bundle directory (rootfs/ and config.json) from a stored image, all or nothing: it is
 * built in a temporary sibling directory and renamed into place at the end; on failure the
 * temporary directory is removed.
 */
public final class BundleMaker {
    private BundleMaker() {}

    public static void make(ContentStore store, StoredImage image, Path bundle, BundleOptions options,
            UnpackOptions unpack) throws ImageException {
        make(Unpacker.layers(store, image), Unpacker.config(store, image), bundle, options, unpack);
    }

    public static void make(List<Unpacker.Layer> layers, ConfigJson config, Path bundle, BundleOptions options,
            UnpackOptions unpack) throws ImageException {
        Path target = bundle.toAbsolutePath().normalize();
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new ImageException("unpack into " + bundle + ": exists and is not a directory");
            }
            try (var s = Files.list(target)) {
                if (s.findAny().isPresent()) {
                    throw new ImageException("unpack into " + bundle + ": Directory not empty (ENOTEMPTY)");
                }
            } catch (IOException e) {
                throw new ImageException("unpack into " + bundle + ": " + Errors.reason(e));
            }
        }
        Path parent = target.getParent();
        Path tmp;
        try {
            Files.createDirectories(parent);
            tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".jrun-unpack-");
        } catch (IOException e) {
            throw new ImageException("unpack into " + bundle + ": create a directory in " + parent + ": " + Errors.reason(e));
        }
        boolean done = false;
        try {
            Path rootfs = tmp.resolve("rootfs");
            Files.createDirectory(rootfs);
            Files.setAttribute(rootfs, "unix:mode", 0755);
            new Unpacker(unpack).unpack(layers, rootfs);
            Map<String, Object> spec = BundleConfig.create(config, rootfs, options);
            Files.writeString(tmp.resolve("config.json"), JsonWriter.pretty(spec));
            // private, as Podman's and containerd's bundles are: no other user reaches the image's
            // setuid files or device nodes through it
            Files.setAttribute(tmp, "unix:mode", 0700);
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.delete(target); // checked empty above
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            done = true;
        } catch (DirectoryNotEmptyException e) {
            throw new ImageException("unpack into " + bundle + ": Directory not empty (ENOTEMPTY)");
        } catch (IOException e) {
            throw new ImageException("unpack into " + bundle + ": " + Errors.reason(e));
        } finally {
            if (!done) {
                deleteTree(tmp);
            }
        }
    }

    private static void deleteTree(Path dir) {
        try {
            Unpacker.deleteTree(dir);
        } catch (IOException e) {
            System.err.println("jrun: remove " + dir + " after a failed unpack: " + Errors.reason(e));
        }
    }
}
