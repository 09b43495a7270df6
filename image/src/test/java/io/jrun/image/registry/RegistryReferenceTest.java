package io.jrun.image.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jrun.image.ImageException;
import org.junit.jupiter.api.Test;

class RegistryReferenceTest {
    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    @Test
    void aBareNameIsADockerHubLibraryImageAtLatest() throws ImageException {
        RegistryReference r = RegistryReference.parse("busybox");
        assertEquals(new RegistryReference("registry-1.docker.io", -1, "library/busybox", "latest", null), r);
        assertEquals("registry-1.docker.io/library/busybox:latest", r.toString());
        assertEquals("latest", r.reference());
    }

    @Test
    void aUserRepositoryOnDockerHubKeepsItsPath() throws ImageException {
        RegistryReference r = RegistryReference.parse("someone/tool:1.2");
        assertEquals("registry-1.docker.io", r.host());
        assertEquals("someone/tool", r.repository());
        assertEquals("1.2", r.tag());
        assertEquals("library/alpine", RegistryReference.parse("docker.io/alpine").repository());
        assertEquals("registry-1.docker.io", RegistryReference.parse("index.docker.io/library/alpine").host());
    }

    @Test
    void hostPortRepositoryAndTag() throws ImageException {
        RegistryReference r = RegistryReference.parse("localhost:5000/team/busybox:v1");
        assertEquals(new RegistryReference("localhost", 5000, "team/busybox", "v1", null), r);
        assertEquals("localhost:5000", r.authority());
        assertEquals("localhost:5000/team/busybox:v1", r.toString());
        RegistryReference q = RegistryReference.parse("quay.io/coreos/etcd");
        assertEquals("quay.io", q.host());
        assertEquals(-1, q.port());
        assertEquals("coreos/etcd", q.repository());
        assertEquals("latest", q.tag());
        // a one-part name on another registry gets no library/ prefix
        assertEquals("busybox", RegistryReference.parse("localhost/busybox").repository());
    }

    @Test
    void aDigestNamesTheManifestAndWinsOverATag() throws ImageException {
        RegistryReference r = RegistryReference.parse("127.0.0.1:5000/busybox@" + DIGEST);
        assertEquals("127.0.0.1", r.host());
        assertEquals(null, r.tag());
        assertEquals(DIGEST, r.reference());
        RegistryReference both = RegistryReference.parse("example.com/a/b:v2@" + DIGEST);
        assertEquals("v2", both.tag());
        assertEquals(DIGEST, both.reference());
        assertEquals("example.com/a/b:v2@" + DIGEST, both.toString());
    }

    @Test
    void ipv6AddressesAreInBrackets() throws ImageException {
        RegistryReference r = RegistryReference.parse("[::1]:5000/busybox:1");
        assertEquals("::1", r.host());
        assertEquals(5000, r.port());
        assertEquals("[::1]:5000", r.authority());
    }

    @Test
    void withReferenceSwitchesBetweenTagAndDigest() throws ImageException {
        RegistryReference r = RegistryReference.parse("localhost:5000/busybox");
        assertEquals("localhost:5000/busybox@" + DIGEST, r.withReference(DIGEST).toString());
        assertEquals("localhost:5000/busybox:v9", r.withReference("v9").toString());
    }

    @Test
    void malformedReferencesSayWhatIsWrong() {
        assertMessage("invalid registry reference \"\": empty", "");
        assertMessage("invalid registry reference \"localhost:5000/BusyBox\": bad repository \"BusyBox\""
                + " (lowercase letters, digits, separators . _ __ - and /)", "localhost:5000/BusyBox");
        assertMessage("invalid registry reference \"localhost:99999/a\": bad port \"99999\"", "localhost:99999/a");
        assertMessage("invalid registry reference \"localhost:x/a\": bad port \"x\"", "localhost:x/a");
        assertMessage("invalid registry reference \"a:b:c\": bad repository \"a:b\" (lowercase letters, digits,"
                + " separators . _ __ - and /)", "a:b:c");
        assertMessage("invalid registry reference \"busybox:\": bad tag \"\"", "busybox:");
        assertMessage("invalid registry reference \"busybox@sha256:12\": bad digest \"sha256:12\"", "busybox@sha256:12");
        assertMessage("invalid registry reference \"busybox@sha256:" + "AB".repeat(32)
                + "\": a sha256 digest is 64 lowercase hex digits", "busybox@sha256:" + "AB".repeat(32));
        assertMessage("invalid registry reference \"localhost:5000/\": no repository", "localhost:5000/");
        assertMessage("invalid registry reference \"[::1:5000/a\": unclosed [ in the registry address", "[::1:5000/a");
    }

    private static void assertMessage(String expected, String ref) {
        assertEquals(expected, assertThrows(ImageException.class, () -> RegistryReference.parse(ref)).getMessage());
    }
}
