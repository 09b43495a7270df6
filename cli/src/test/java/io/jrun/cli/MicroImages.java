package io.jrun.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** A one-layer OCI layout made from a rootfs fixture, with an unused 3 MB file and /etc/greeting added. */
final class MicroImages {
    private MicroImages() {}

    static Path layout(Path tmp, Path rootfs, String cmdJson) throws Exception {
        Path extra = Files.createDirectories(tmp.resolve("micro-extra"));
        Files.createDirectories(extra.resolve("usr/share"));
        Files.createDirectories(extra.resolve("etc"));
        Files.write(extra.resolve("usr/share/junk.bin"), new byte[3 << 20]);
        Files.writeString(extra.resolve("etc/greeting"), "micro\n");
        Path layer = tmp.resolve("micro-layer.tar");
        ImagesIT.sh("tar", "-C", rootfs.toString(), "-cf", layer.toString(), ".");
        ImagesIT.sh("tar", "-C", extra.toString(), "-rf", layer.toString(), "./usr/share/junk.bin", "./etc/greeting");
        String layerDigest = ImagesIT.sha256(Files.readAllBytes(layer));
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin:/sbin\"],"
                + "\"Cmd\":" + cmdJson + "},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + layerDigest + "\"]}}")
                .getBytes();
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + ImagesIT.OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + ImagesIT.sha256(config) + "\",\"size\":"
                + config.length + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\""
                + layerDigest + "\",\"size\":" + Files.size(layer) + "}]}").getBytes();
        Path dir = Files.createDirectories(tmp.resolve("micro-oci/blobs/sha256")).getParent().getParent();
        Files.copy(layer, dir.resolve("blobs/sha256/" + layerDigest.substring(7)));
        Files.write(dir.resolve("blobs/sha256/" + ImagesIT.sha256(config).substring(7)), config);
        Files.write(dir.resolve("blobs/sha256/" + ImagesIT.sha256(manifest).substring(7)), manifest);
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.writeString(dir.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\""
                + ImagesIT.OCI_MANIFEST + "\",\"digest\":\"" + ImagesIT.sha256(manifest) + "\",\"size\":"
                + manifest.length + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"1.0\"}}]}");
        return dir;
    }
}
