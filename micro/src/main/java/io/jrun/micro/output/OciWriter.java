package io.jrun.micro.output;

import io.jrun.micro.MicroException;
import io.jrun.runtime.json.JsonWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * An OCI image of one layer from a rootfs directory: an image layout directory (oci-layout,
 * index.json with the tag as org.opencontainers.image.ref.name, blobs/sha256/) and, from it, an
 * oci-archive (the layout as a tar), as skopeo and Podman write them and `podman load` and
 * `jrun unpack` read them.
 */
public final class OciWriter {
    public static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";

    /** The image's process: what `jrun unpack` and Podman make the container's command from. */
    public record ImageConfig(List<String> entrypoint, List<String> cmd, List<String> env, String user,
            String workingDir) {}

    private OciWriter() {}

    /** Writes the layout into {@code layout} (made; must not exist or be empty). */
    public static void writeLayout(Path rootfs, ImageConfig config, String tag, Path layout) throws MicroException {
        try {
            Path blobs = layout.resolve("blobs/sha256");
            Files.createDirectories(blobs);
            Path layerTmp = blobs.resolve(".layer.tmp");
            MessageDigest gz = sha256();
            MessageDigest tar = sha256();
            try (OutputStream file = Files.newOutputStream(layerTmp);
                    DigestOutputStream gzd = new DigestOutputStream(file, gz);
                    GZIPOutputStream z = new GZIPOutputStream(gzd, 1 << 16);
                    DigestOutputStream tard = new DigestOutputStream(z, tar)) {
                writeTar(rootfs, tard);
            }
            String layerDigest = hex(gz);
            long layerSize = Files.size(layerTmp);
            Files.move(layerTmp, blobs.resolve(layerDigest), StandardCopyOption.REPLACE_EXISTING);
            String arch = switch (System.getProperty("os.arch")) {
                case "amd64", "x86_64" -> "amd64";
                case "aarch64" -> "arm64";
                default -> System.getProperty("os.arch");
            };
            Map<String, Object> c = new LinkedHashMap<>();
            if (config.user() != null) {
                c.put("User", config.user());
            }
            c.put("Env", config.env());
            if (config.entrypoint() != null && !config.entrypoint().isEmpty()) {
                c.put("Entrypoint", config.entrypoint());
            }
            if (config.cmd() != null && !config.cmd().isEmpty()) {
                c.put("Cmd", config.cmd());
            }
            c.put("WorkingDir", config.workingDir() == null ? "/" : config.workingDir());
            Map<String, Object> image = new LinkedHashMap<>();
            image.put("created", Instant.now().toString());
            image.put("architecture", arch);
            image.put("os", "linux");
            image.put("config", c);
            image.put("rootfs", Map.of("type", "layers", "diff_ids", List.of("sha256:" + hex(tar))));
            image.put("history", List.of(Map.of("created_by", "jrun micro")));
            Map<String, Object> configDesc = blob(blobs, CONFIG, JsonWriter.write(image));
            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("schemaVersion", 2L);
            manifest.put("mediaType", MANIFEST);
            manifest.put("config", configDesc);
            manifest.put("layers", List.of(descriptor(LAYER, "sha256:" + layerDigest, layerSize)));
            Map<String, Object> manifestDesc = blob(blobs, MANIFEST, JsonWriter.write(manifest));
            if (tag != null) {
                manifestDesc.put("annotations", Map.of("org.opencontainers.image.ref.name", tag));
            }
            Map<String, Object> index = new LinkedHashMap<>();
            index.put("schemaVersion", 2L);
            index.put("mediaType", "application/vnd.oci.image.index.v1+json");
            index.put("manifests", List.of(manifestDesc));
            Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
            Files.writeString(layout.resolve("index.json"), JsonWriter.write(index));
        } catch (IOException e) {
            throw MicroException.io("write the OCI layout " + layout, e);
        }
    }

    /** The layout directory as an oci-archive tar file. */
    public static void writeArchive(Path layout, Path archive) throws MicroException {
        Path tmp = archive.resolveSibling("." + archive.getFileName() + ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                writeTar(layout, out);
            }
            Files.move(tmp, archive, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the first error is the one to report
            }
            throw MicroException.io("write the OCI archive " + archive, e);
        }
    }

    private static Map<String, Object> blob(Path blobs, String mediaType, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        MessageDigest d = sha256();
        d.update(bytes);
        String hex = hex(d);
        Files.write(blobs.resolve(hex), bytes);
        return descriptor(mediaType, "sha256:" + hex, bytes.length);
    }

    private static Map<String, Object> descriptor(String mediaType, String digest, long size) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mediaType", mediaType);
        m.put("digest", digest);
        m.put("size", size);
        return m;
    }

    /** A tar of everything under {@code dir}, names relative to it, sorted, owners and modes kept. */
    static void writeTar(Path dir, OutputStream out) throws IOException {
        TarArchiveOutputStream t = new TarArchiveOutputStream(out);
        t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        t.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        List<Path> paths = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.filter(p -> !p.equals(dir)).forEach(paths::add);
        }
        paths.sort((a, b) -> dir.relativize(a).toString().compareTo(dir.relativize(b).toString()));
        for (Path p : paths) {
            String name = dir.relativize(p).toString();
            Map<String, Object> u = Files.readAttributes(p, "unix:mode,uid,gid,lastModifiedTime,size", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) u.get("mode");
            TarArchiveEntry e;
            boolean regular = false;
            if (Files.isSymbolicLink(p)) {
                e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
                e.setLinkName(Files.readSymbolicLink(p).toString());
            } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                e = new TarArchiveEntry(name + "/");
            } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                e = new TarArchiveEntry(name);
                e.setSize((Long) u.get("size"));
                regular = true;
            } else {
                continue; // no device nodes or fifos in a micro image: the runtime makes /dev
            }
            e.setMode(mode & 07777);
            e.setUserId(((Number) u.get("uid")).longValue());
            e.setGroupId(((Number) u.get("gid")).longValue());
            e.setModTime(((java.nio.file.attribute.FileTime) u.get("lastModifiedTime")).toMillis());
            t.putArchiveEntry(e);
            if (regular) {
                Files.copy(p, t);
            }
            t.closeArchiveEntry();
        }
        t.finish();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(MessageDigest d) {
        return HexFormat.of().formatHex(d.digest());
    }
}
