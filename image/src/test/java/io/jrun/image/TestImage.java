package io.jrun.image;

import com.github.luben.zstd.ZstdOutputStream;
import io.jrun.image.json.ImageJson;
import io.jrun.image.json.ImageJson.ConfigJson;
import io.jrun.image.json.ImageJson.ContainerConfigJson;
import io.jrun.image.json.ImageJson.DescriptorJson;
import io.jrun.image.json.ImageJson.IndexJson;
import io.jrun.image.json.ImageJson.ManifestJson;
import io.jrun.image.json.ImageJson.PlatformJson;
import io.jrun.image.json.ImageJson.RootfsJson;
import io.jrun.image.json.MediaTypes;
import io.jrun.image.store.ContentStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Images written by the tests themselves: layers as tars, then an OCI layout or a docker archive of them. */
public final class TestImage {
    /** A layer's tar, entry by entry. */
    public static final class Layer {
        /** The mtime of every entry unless a test sets its own: layers made twice are the same bytes. */
        public static final long MTIME = 1_600_000_000_000L;

        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final TarArchiveOutputStream tar;

        public Layer() {
            tar = new TarArchiveOutputStream(bytes, StandardCharsets.UTF_8.name());
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        }

        public Layer entry(TarArchiveEntry e, byte[] data) {
            try {
                tar.putArchiveEntry(e);
                if (data != null) {
                    tar.write(data);
                }
                tar.closeArchiveEntry();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            return this;
        }

        public Layer dir(String name, int mode) {
            TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
            e.setModTime(MTIME);
            e.setMode(040000 | mode);
            return entry(e, null);
        }

        public Layer file(String name, String content) {
            return file(name, content, 0644, 0, 0);
        }

        public Layer file(String name, String content, int mode, int uid, int gid) {
            byte[] data = content.getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry e = new TarArchiveEntry(name, true); // an absolute name as it is: hostile layers have them
            e.setModTime(MTIME);
            e.setMode(0100000 | mode);
            e.setSize(data.length);
            e.setUserId(uid);
            e.setGroupId(gid);
            return entry(e, data);
        }

        public Layer symlink(String name, String target) {
            TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
            e.setModTime(MTIME);
            e.setLinkName(target);
            e.setMode(0120777);
            return entry(e, null);
        }

        public Layer hardlink(String name, String target) {
            TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK);
            e.setModTime(MTIME);
            e.setLinkName(target);
            return entry(e, null);
        }

        public Layer node(String name, byte type, int major, int minor) {
            TarArchiveEntry e = new TarArchiveEntry(name, type);
            e.setModTime(MTIME);
            e.setMode(0644);
            e.setDevMajor(major);
            e.setDevMinor(minor);
            return entry(e, null);
        }

        public byte[] tar() {
            try {
                tar.finish();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            return bytes.toByteArray();
        }
    }

    public static byte[] gzip(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static byte[] zstd(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZstdOutputStream z = new ZstdOutputStream(out)) {
            z.write(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static String digest(byte[] b) {
        return ContentStore.sha256(b);
    }

    final List<byte[]> tars = new ArrayList<>();
    final List<byte[]> blobs = new ArrayList<>();
    final List<String> types = new ArrayList<>();
    ContainerConfigJson process = new ContainerConfigJson(null, null, List.of("PATH=/bin"), null, List.of("/bin/sh"),
            null, null, null);
    String architecture = io.jrun.image.pull.Platform.host().architecture();
    List<String> diffIdsOverride;

    /** Adds a layer, stored as {@code compression}: "none", "gzip" or "zstd". */
    public TestImage layer(Layer l, String compression) {
        byte[] tar = l.tar();
        tars.add(tar);
        switch (compression) {
            case "gzip" -> {
                blobs.add(gzip(tar));
                types.add(MediaTypes.OCI_LAYER_GZIP);
            }
            case "zstd" -> {
                blobs.add(zstd(tar));
                types.add(MediaTypes.OCI_LAYER_ZSTD);
            }
            default -> {
                blobs.add(tar);
                types.add(MediaTypes.OCI_LAYER);
            }
        }
        return this;
    }

    public TestImage layer(Layer l) {
        return layer(l, "gzip");
    }

    public TestImage config(ContainerConfigJson c) {
        this.process = c;
        return this;
    }

    public byte[] configBytes() {
        List<String> diffIds = new ArrayList<>();
        for (byte[] t : tars) {
            diffIds.add(digest(t));
        }
        return ImageJson.write(new ConfigJson("2024-01-02T03:04:05Z", architecture, "linux", null, process,
                new RootfsJson("layers", diffIdsOverride != null ? diffIdsOverride : diffIds)));
    }

    public byte[] manifestBytes() {
        byte[] config = configBytes();
        List<DescriptorJson> layers = new ArrayList<>();
        for (int i = 0; i < blobs.size(); i++) {
            layers.add(new DescriptorJson(types.get(i), digest(blobs.get(i)), blobs.get(i).length, null, null));
        }
        return ImageJson.write(new ManifestJson(2, MediaTypes.OCI_MANIFEST,
                new DescriptorJson(MediaTypes.OCI_CONFIG, digest(config), config.length, null, null), layers));
    }

    /** The blobs of this image, by digest: config, layers, manifest. */
    public Map<String, byte[]> allBlobs() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put(digest(configBytes()), configBytes());
        for (byte[] b : blobs) {
            m.put(digest(b), b);
        }
        m.put(digest(manifestBytes()), manifestBytes());
        return m;
    }

    /** Writes an OCI layout directory with this image tagged {@code tag}. */
    public Path writeOciLayout(Path dir, String tag) throws IOException {
        Files.createDirectories(dir.resolve("blobs/sha256"));
        for (Map.Entry<String, byte[]> b : allBlobs().entrySet()) {
            Files.write(dir.resolve("blobs/sha256/" + b.getKey().substring(7)), b.getValue());
        }
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        byte[] m = manifestBytes();
        Map<String, String> ann = tag == null ? null : Map.of("org.opencontainers.image.ref.name", tag);
        Files.write(dir.resolve("index.json"), ImageJson.write(new IndexJson(2, MediaTypes.OCI_INDEX,
                List.of(new DescriptorJson(MediaTypes.OCI_MANIFEST, digest(m), m.length, null, ann)))));
        return dir;
    }

    /**
     * Writes an OCI layout whose index.json names an index (tagged {@code tag}) of this image for
     * the host's platform and {@code other} for linux/s390x.
     */
    public static Path writeMultiPlatform(Path dir, String tag, TestImage host, TestImage other) throws IOException {
        host.writeOciLayout(dir, null);
        other.architecture = "s390x";
        Map<String, byte[]> blobs = other.allBlobs();
        for (Map.Entry<String, byte[]> b : blobs.entrySet()) {
            Files.write(dir.resolve("blobs/sha256/" + b.getKey().substring(7)), b.getValue());
        }
        byte[] hm = host.manifestBytes();
        byte[] om = other.manifestBytes();
        byte[] index = ImageJson.write(new IndexJson(2, MediaTypes.OCI_INDEX, List.of(
                new DescriptorJson(MediaTypes.OCI_MANIFEST, digest(om), om.length, new PlatformJson("s390x", "linux", null), null),
                new DescriptorJson(MediaTypes.OCI_MANIFEST, digest(hm), hm.length,
                        new PlatformJson(host.architecture, "linux", null), null))));
        Files.write(dir.resolve("blobs/sha256/" + digest(index).substring(7)), index);
        Files.write(dir.resolve("index.json"), ImageJson.write(new IndexJson(2, MediaTypes.OCI_INDEX,
                List.of(new DescriptorJson(MediaTypes.OCI_INDEX, digest(index), index.length, null,
                        Map.of("org.opencontainers.image.ref.name", tag))))));
        return dir;
    }

    /** Writes a tar of the files in {@code dir} (an OCI layout made into an oci-archive). */
    public static void tarDirectory(Path dir, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name())) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            try (var walk = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
                    if (p.equals(dir)) {
                        continue;
                    }
                    TarArchiveEntry e = new TarArchiveEntry(p.toFile(), dir.relativize(p).toString());
                    tar.putArchiveEntry(e);
                    if (Files.isRegularFile(p)) {
                        Files.copy(p, tar);
                    }
                    tar.closeArchiveEntry();
                }
            }
        }
    }

    /**
     * Writes a {@code docker save} archive: the classic form ({@code ID/layer.tar}, {@code HEX.json})
     * or, with {@code ociForm}, Docker 25's (an OCI layout whose manifest.json names blobs/sha256/...).
     * Layers are written uncompressed, as docker does.
     */
    public Path writeDockerArchive(Path file, String repoTag, boolean ociForm) throws IOException {
        Path dir = Files.createTempDirectory(file.getParent(), "docker-save");
        byte[] config = configBytes();
        List<String> layerNames = new ArrayList<>();
        String configName;
        if (ociForm) {
            for (int i = 0; i < tars.size(); i++) {
                blobs.set(i, tars.get(i));
                types.set(i, MediaTypes.OCI_LAYER);
            }
            writeOciLayout(dir, repoTag);
            configName = "blobs/sha256/" + digest(config).substring(7);
            for (byte[] t : tars) {
                layerNames.add("blobs/sha256/" + digest(t).substring(7));
            }
        } else {
            configName = digest(config).substring(7) + ".json";
            Files.write(dir.resolve(configName), config);
            for (int i = 0; i < tars.size(); i++) {
                String id = digest(("layer" + i + digest(tars.get(i))).getBytes(StandardCharsets.UTF_8)).substring(7);
                Files.createDirectories(dir.resolve(id));
                Files.write(dir.resolve(id + "/layer.tar"), tars.get(i));
                Files.writeString(dir.resolve(id + "/VERSION"), "1.0");
                layerNames.add(id + "/layer.tar");
            }
        }
        String tags = repoTag == null ? "null" : "[\"" + repoTag + "\"]";
        Files.writeString(dir.resolve("manifest.json"), "[{\"Config\":\"" + configName + "\",\"RepoTags\":" + tags
                + ",\"Layers\":[" + String.join(",", layerNames.stream().map(n -> "\"" + n + "\"").toList()) + "]}]");
        tarDirectory(dir, file);
        return file;
    }
}
