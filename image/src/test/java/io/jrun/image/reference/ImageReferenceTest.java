package io.jrun.image.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jrun.image.ImageException;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ImageReferenceTest {
    @Test
    void layoutsAndArchives() throws Exception {
        assertEquals(new ImageReference.Layout(Path.of("/tmp/img"), false, null), ImageReference.parse("oci:/tmp/img"));
        assertEquals(new ImageReference.Layout(Path.of("/tmp/img"), false, "v1.2"), ImageReference.parse("oci:/tmp/img:v1.2"));
        assertEquals(new ImageReference.Layout(Path.of("img.tar"), true, "latest"), ImageReference.parse("oci-archive:img.tar:latest"));
        assertEquals(new ImageReference.Layout(Path.of("/a"), false, "example.com/app:1.0"),
                ImageReference.parse("oci:/a:example.com/app:1.0"));
        assertEquals(new ImageReference.DockerArchive(Path.of("/x/bb.tar"), null), ImageReference.parse("docker-archive:/x/bb.tar"));
        assertEquals(new ImageReference.DockerArchive(Path.of("bb.tar"), "busybox:1.36"),
                ImageReference.parse("docker-archive:bb.tar:busybox:1.36"));
        assertEquals("oci-archive:img.tar:latest", ImageReference.parse("oci-archive:img.tar:latest").toString());
    }

    @ParameterizedTest
    @CsvSource({
        "docker://busybox, docker.io, -1, library/busybox, latest, ",
        "docker://busybox:1.36, docker.io, -1, library/busybox, 1.36, ",
        "docker://index.docker.io/user/app:v2, docker.io, -1, user/app, v2, ",
        "docker://quay.io/org/sub/app, quay.io, -1, org/sub/app, latest, ",
        "docker://localhost:5000/app:dev, localhost, 5000, app, dev, ",
        "docker://127.0.0.1:5000/a/b, 127.0.0.1, 5000, a/b, latest, ",
        "docker://localhost/app, localhost, -1, app, latest, ",
        "docker://[::1]:5000/app, [::1], 5000, app, latest, ",
        "docker://reg.example.com/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef, reg.example.com, -1, app, , sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    })
    void registries(String ref, String host, int port, String repo, String tag, String digest) throws Exception {
        assertEquals(new ImageReference.Registry(host, port, repo, tag, digest), ImageReference.parse(ref));
    }

    @Test
    void registryAuthorityAndString() throws Exception {
        ImageReference.Registry r = (ImageReference.Registry) ImageReference.parse("docker://localhost:5000/app:dev");
        assertEquals("localhost:5000", r.authority());
        assertEquals("docker://localhost:5000/app:dev", r.toString());
    }

    @Test
    void plainNamesAreStoredImages() throws Exception {
        assertEquals(new ImageReference.Stored("busybox:latest"), ImageReference.parse("busybox:latest"));
        assertEquals(new ImageReference.Stored("localhost:5000/app:dev"), ImageReference.parse("localhost:5000/app:dev"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''|image reference: empty",
        "oci:|image reference oci:: no path",
        "oci:/tmp/x:bad tag!|image reference oci:/tmp/x:bad tag!: invalid tag \"bad tag!\"",
        "oci:/tmp/x:|image reference oci:/tmp/x:: empty tag after ':'",
        "docker://Busybox|image reference docker://Busybox: bad repository \"Busybox\" (lowercase letters, digits, separators . _ __ - and /)",
        "docker://reg.io:99999/app|image reference docker://reg.io:99999/app: bad port \"99999\"",
        "docker://app@sha256:abc|image reference docker://app@sha256:abc: bad digest \"sha256:abc\"",
        "docker://reg.io/|image reference docker://reg.io/: no repository",
        "docker:busybox|image reference docker:busybox: transport \"docker\" not supported (registries are docker://HOST/REPO)",
        "containers-storage:x|image reference containers-storage:x: transport \"containers-storage\" not supported",
        "../etc/x|image reference ../etc/x: not a valid image name",
    })
    void errorsNameTheReferenceAndTheProblem(String ref, String message) {
        ImageException e = assertThrows(ImageException.class, () -> ImageReference.parse(ref));
        assertEquals(message, e.getMessage());
    }
}
