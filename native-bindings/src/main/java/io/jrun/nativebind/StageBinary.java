package io.jrun.nativebind;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where the C stage runs from.  Under the CLI it is the launcher itself; an
 * embedding JVM gets a copy of the jar's stage, named by its SHA-256, mode 0500,
 * in a root-owned directory, checked against the hash before each use.
 */
public final class StageBinary {
    private static final String RESOURCE = "jrun-stage";
    private static volatile byte[] bytes;

    private StageBinary() {}

    /** The binary shipped in this jar. */
    public static byte[] bytes() {
        byte[] b = bytes;
        if (b == null) {
            try (InputStream in = StageBinary.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("jrun-stage is missing from the jar: build native-bindings with Maven");
                }
                b = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            bytes = b;
        }
        return b;
    }

    /** The stage to run: the CLI launcher when this JVM was started by it, else a verified copy under dir. */
    public static synchronized Path installedIn(Path dir) throws IOException { // one writer per JVM at a time
        String launcher = System.getenv("JRUN_LAUNCHER");
        if (launcher != null && !launcher.isEmpty()) {
            return Path.of(launcher);
        }
        byte[] b = bytes();
        String hash = sha256(b);
        Path target = dir.resolve("jrun-stage-" + hash.substring(0, 32));
        if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) && hash.equals(sha256(Files.readAllBytes(target)))) {
            return target;
        }
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Path tmp = Files.createTempFile(dir, "stage", ".tmp");
        try {
            Files.write(tmp, b);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-x------"));
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
