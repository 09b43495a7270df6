package io.jrun.image.source;

import io.jrun.image.Descriptor;
import io.jrun.image.ImageException;
import io.jrun.image.ImageSource;
import io.jrun.image.json.ImageJson;
import io.jrun.image.json.ImageJson.ConfigJson;
import io.jrun.image.json.ImageJson.DescriptorJson;
import io.jrun.image.json.ImageJson.DockerArchiveEntryJson;
import io.jrun.image.json.ImageJson.ManifestJson;
import io.jrun.image.json.MediaTypes;
import io.jrun.image.reference.ImageReference;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A {@code docker save} archive (also {@code skopeo copy ... docker-archive:}): its manifest.json
 * lists each image's Config, RepoTags and Layers by file name. The source serves each image as a
 * synthesized OCI manifest whose blobs are those files under their digests: a layer's digest is
 * its file name where that is {@code blobs/sha256/HEX} (Docker 25's save), else the config's diff ID
 * for an uncompressed layer, else the sha256 of its bytes. The pull verifies every digest anyway.
 */
public final class DockerArchiveSource implements ImageSource {
    private final Entries entries;
    private final String where;
    private final List<DockerArchiveEntryJson> images;
    private final Map<String, String> files = new HashMap<>(); // digest -> file name in the archive

    private DockerArchiveSource(Entries entries, String where) throws IOException, ImageException {
        this.entries = entries;
        this.where = where;
        byte[] m = entries.read("manifest.json");
        if (m == null) {
            throw new ImageException(where + ": not a docker archive (no manifest.json)");
        }
        DockerArchiveEntryJson[] list = ImageJson.read(m, DockerArchiveEntryJson[].class, where + "/manifest.json");
        this.images = Arrays.asList(list);
        if (images.isEmpty()) {
            throw new ImageException(where + "/manifest.json: no images");
        }
    }

    public static DockerArchiveSource open(Path file) throws ImageException {
        String where = "docker-archive:" + file;
        if (!Files.isRegularFile(file)) {
            throw new ImageException("open " + where + ": no such file");
        }
        Entries e = null;
        try {
            e = Entries.tar(file);
            return new DockerArchiveSource(e, where);
        } catch (IOException ex) {
            OciLayoutSource.closeQuietly(e);
            throw new ImageException("open " + where + ": " + ex.getMessage());
        } catch (ImageException ex) {
            OciLayoutSource.closeQuietly(e);
            throw ex;
        }
    }

    /** The names the archive's images carry (RepoTags), in order. */
    public List<String> names() {
        List<String> names = new ArrayList<>();
        for (DockerArchiveEntryJson i : images) {
            if (i.repoTags() != null) {
                names.addAll(i.repoTags());
            }
        }
        return names;
    }

    /**
     * {@code reference}: a name from RepoTags (a name without a tag means ":latest"), {@code @N} for
     * the N-th image (as skopeo writes it), or null for the archive's only image.
     */
    @Override
    public Manifest manifest(String reference) throws IOException, ImageException {
        DockerArchiveEntryJson image = select(reference);
        if (image.config() == null || image.layers() == null) {
            throw new ImageException(where + "/manifest.json: an image without Config or Layers");
        }
        byte[] config = entries.read(clean(image.config()));
        if (config == null) {
            throw new ImageException(where + ": config " + image.config() + " is missing");
        }
        String configDigest = sha256(config);
        files.put(configDigest, clean(image.config()));
        ConfigJson cfg = ImageJson.read(config, ConfigJson.class, where + "/" + image.config());
        List<String> diffIds = cfg.rootfs() == null || cfg.rootfs().diffIds() == null ? List.of() : cfg.rootfs().diffIds();
        List<DescriptorJson> layers = new ArrayList<>();
        for (int i = 0; i < image.layers().size(); i++) {
            String name = clean(image.layers().get(i));
            long size = size(name);
            String digest;
            String type = MediaTypes.OCI_LAYER;
            if (name.startsWith("blobs/sha256/") && ImageReference.DIGEST.matcher("sha256:" + name.substring(13)).matches()) {
                digest = "sha256:" + name.substring(13);
            } else if (i < diffIds.size() && !compressed(name)) {
                digest = diffIds.get(i);
            } else {
                digest = sha256(name);
            }
            if (compressed(name)) {
                type = MediaTypes.OCI_LAYER_GZIP;
            }
            files.put(digest, name);
            layers.add(new DescriptorJson(type, digest, size, null, null));
        }
        ManifestJson manifest = new ManifestJson(2, MediaTypes.OCI_MANIFEST,
                new DescriptorJson(MediaTypes.OCI_CONFIG, configDigest, config.length, null, null), layers);
        return new Manifest(MediaTypes.OCI_MANIFEST, ImageJson.write(manifest));
    }

    private DockerArchiveEntryJson select(String reference) throws ImageException {
        if (reference == null) {
            if (images.size() != 1) {
                throw new ImageException(where + ": holds " + images.size() + " images: name one (" + String.join(", ", names()) + ")");
            }
            return images.get(0);
        }
        if (reference.startsWith("@")) {
            try {
                return images.get(Integer.parseInt(reference.substring(1)));
            } catch (NumberFormatException | IndexOutOfBoundsException e) {
                throw new ImageException(where + ": no image " + reference + " (it holds " + images.size() + ")");
            }
        }
        String want = withTag(reference);
        for (DockerArchiveEntryJson i : images) {
            if (i.repoTags() != null) {
                for (String t : i.repoTags()) {
                    if (withTag(t).equals(want) || withTag(t).equals("docker.io/library/" + want)
                            || withTag(t).equals("docker.io/" + want)) {
                        return i;
                    }
                }
            }
        }
        throw new ImageException(where + ": no image named \"" + reference + "\" (names: "
                + (names().isEmpty() ? "none" : String.join(", ", names())) + ")");
    }

    private static String withTag(String name) {
        int slash = name.lastIndexOf('/');
        return name.indexOf(':', slash + 1) < 0 && !name.contains("@") ? name + ":latest" : name;
    }

    private static String clean(String name) {
        while (name.startsWith("./")) {
            name = name.substring(2);
        }
        return name;
    }

    private long size(String name) throws IOException, ImageException {
        long size = entries.size(name);
        if (size < 0) {
            throw new ImageException(where + ": layer " + name + " is missing");
        }
        return size;
    }

    private boolean compressed(String name) throws IOException {
        try (InputStream in = entries.open(name, 0)) {
            byte[] magic = in.readNBytes(4);
            return magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b
                    || magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
                            && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd;
        }
    }

    private String sha256(String name) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = entries.open(name, 0)) {
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    private static String sha256(byte[] bytes) {
        return "sha256:" + HexFormat.of().formatHex(sha256().digest(bytes));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public InputStream blob(Descriptor d, long offset) throws IOException, ImageException {
        String name = files.get(d.digest());
        if (name == null) {
            throw new ImageException(where + ": no blob " + d.digest() + " (ask for the image's manifest first)");
        }
        InputStream in = entries.open(name, offset);
        if (in == null) {
            throw new ImageException(where + ": " + name + " is missing");
        }
        return in;
    }

    @Override
    public void close() throws IOException {
        entries.close();
    }
}
