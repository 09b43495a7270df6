package io.jrun.micro.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The layout's blobs are named by their digests; the layer holds the rootfs with its symlinks. */
class OciWriterTest {
    @TempDir
    Path tmp;

    @Test
    void writesALayoutWhoseBlobsMatchTheirNamesAndALayerWithTheTree() throws Exception {
        Path rootfs = tmp.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("usr/bin"));
        Files.writeString(rootfs.resolve("usr/bin/app"), "#!/bin/sh\n");
        Files.setAttribute(rootfs.resolve("usr/bin/app"), "unix:mode", 0755);
        Files.createSymbolicLink(rootfs.resolve("bin"), Path.of("usr/bin"));
        Path layout = tmp.resolve("layout");
        OciWriter.writeLayout(rootfs, new OciWriter.ImageConfig(List.of("/bin/app"), List.of(), List.of("PATH=/bin"),
                "0:0", "/"), "1.0", layout);
        String index = Files.readString(layout.resolve("index.json"));
        assertTrue(index.contains("\"org.opencontainers.image.ref.name\":\"1.0\""), index);
        List<Path> blobs;
        try (var s = Files.list(layout.resolve("blobs/sha256"))) {
            blobs = s.toList();
        }
        assertEquals(3, blobs.size()); // layer, config, manifest
        Path layer = null;
        for (Path b : blobs) {
            String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(b)));
            assertEquals(b.getFileName().toString(), digest);
            if (Files.size(b) > 2 && (Files.readAllBytes(b)[0] & 0xff) == 0x1f) {
                layer = b;
            }
        }
        List<String> names = new ArrayList<>();
        try (InputStream in = Files.newInputStream(layer);
                TarArchiveInputStream t = new TarArchiveInputStream(new GZIPInputStream(in))) {
            for (TarArchiveEntry e = t.getNextEntry(); e != null; e = t.getNextEntry()) {
                names.add(e.getName() + (e.isSymbolicLink() ? " -> " + e.getLinkName() : "")
                        + (e.isFile() && !e.isSymbolicLink() ? " " + Integer.toOctalString(e.getMode() & 07777) : ""));
            }
        }
        assertEquals(List.of("bin -> usr/bin", "usr/", "usr/bin/", "usr/bin/app 755"), names);
        OciWriter.writeArchive(layout, tmp.resolve("image.tar"));
        assertTrue(Files.size(tmp.resolve("image.tar")) > Files.size(layer));
    }
}
