package io.jrun.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A busybox image made from the rootfs fixture: a one-layer {@code docker save} archive, and the engine the tests share. */
public final class BusyboxImage {
    private static Path archive;

    private BusyboxImage() {}

    /** The rootfs fixture (Debian's busybox-static). */
    public static Path rootfs() {
        Path p = Path.of(System.getProperty("jrun.rootfs.busybox", "../rootfs-fixtures/target/rootfs/busybox"));
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException(p + " is missing: build rootfs-fixtures first");
        }
        return p.toAbsolutePath().normalize();
    }

    /** The engine of the test JVM, under target/ (its images unpacked once for all tests). */
    public static Engine engine() {
        return Engine.shared(); // the poms point jrun.testing.root and jrun.testing.images into target/
    }

    /** {@code docker-archive:FILE}, written once per JVM into target/. */
    public static synchronized String reference() throws IOException, InterruptedException {
        if (archive == null) {
            Path dir = Files.createDirectories(Path.of("target/busybox-image").toAbsolutePath());
            Path save = Files.createDirectories(dir.resolve("save"));
            Path layer = save.resolve("layer.tar");
            Files.deleteIfExists(layer);
            sh("tar", "-C", rootfs().toString(), "-cf", layer.toString(), ".");
            String layerDigest = sha256(Files.readAllBytes(layer));
            byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-05-01T00:00:00Z\","
                    + "\"config\":{\"Env\":[\"PATH=/bin:/sbin\"],\"Cmd\":[\"sh\"],\"WorkingDir\":\"/\"},"
                    + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + layerDigest + "\"]}}").getBytes();
            String configName = sha256(config).substring(7) + ".json";
            Files.write(save.resolve(configName), config);
            Files.writeString(save.resolve("manifest.json"), "[{\"Config\":\"" + configName
                    + "\",\"RepoTags\":[\"test/busybox:1\"],\"Layers\":[\"layer.tar\"]}]");
            Path a = dir.resolve("busybox.tar");
            Files.deleteIfExists(a);
            sh("tar", "-C", save.toString(), "-cf", a.toString(), "manifest.json", configName, "layer.tar");
            archive = a;
        }
        return "docker-archive:" + archive;
    }

    private static void sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + ": " + out);
        }
    }

    static String sha256(byte[] b) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
