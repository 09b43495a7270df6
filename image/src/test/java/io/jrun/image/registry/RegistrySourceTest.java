package io.jrun.image.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.jrun.image.Descriptor;
import io.jrun.image.ImageException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What real registries rarely do but the client must handle, served by small HTTP handlers on
 * loopback: a 200 to a range request, a wrong Content-Range, redirects to other storage, a
 * manifest that does not match its digest, a proxy's error page. The registry itself is
 * exercised in {@link RegistrySourceIT}.
 */
class RegistrySourceTest {
    private static final byte[] BLOB = "0123456789abcdefghij".getBytes(StandardCharsets.US_ASCII);
    private HttpServer registry;
    private HttpServer storage;
    private final List<String> storageAuthorizations = new CopyOnWriteArrayList<>();
    private String blobDigest;

    @BeforeEach
    void start() throws Exception {
        blobDigest = LocalRegistry.sha256(BLOB);
        registry = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        storage = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        registry.createContext("/v2/", e -> {
            String path = e.getRequestURI().getPath();
            if (!"Basic dTpw".equals(e.getRequestHeaders().getFirst("Authorization"))) {
                e.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"test\"");
                reply(e, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}");
            } else if (path.equals("/v2/")) {
                reply(e, 200, "{}");
            } else if (path.equals("/v2/r/blobs/" + blobDigest)) {
                reply(e, 200, BLOB); // ignores Range
            } else if (path.equals("/v2/badrange/blobs/" + blobDigest)) {
                e.getResponseHeaders().set("Content-Range", "bytes 0-19/20");
                reply(e, 206, BLOB);
            } else if (path.equals("/v2/moved/blobs/" + blobDigest)) {
                e.getResponseHeaders().set("Location", "http://127.0.0.1:" + storage.getAddress().getPort() + "/s3/blob?sig=1");
                reply(e, 307, new byte[0]);
            } else if (path.startsWith("/v2/r/manifests/")) {
                e.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
                reply(e, 200, "{\"schemaVersion\":2,\"mediaType\":\"" + RegistrySource.OCI_INDEX + "\",\"manifests\":[]}");
            } else {
                reply(e, 502, "<html>bad gateway</html>");
            }
        });
        storage.createContext("/s3/", e -> {
            storageAuthorizations.add(String.valueOf(e.getRequestHeaders().getFirst("Authorization")));
            String range = e.getRequestHeaders().getFirst("Range");
            if (range != null && range.startsWith("bytes=")) {
                int from = Integer.parseInt(range.substring(6, range.length() - 1));
                e.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (BLOB.length - 1) + "/" + BLOB.length);
                reply(e, 206, Arrays.copyOfRange(BLOB, from, BLOB.length));
            } else {
                reply(e, 200, BLOB);
            }
        });
        registry.start();
        storage.start();
    }

    @AfterEach
    void stop() {
        registry.stop(0);
        storage.stop(0);
    }

    private static void reply(HttpExchange e, int status, String body) throws IOException {
        reply(e, status, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void reply(HttpExchange e, int status, byte[] body) throws IOException {
        try (e) {
            e.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            e.getResponseBody().write(body);
        }
    }

    private RegistrySource open(String repo) throws Exception {
        Path auth = Files.createTempFile("auth", ".json");
        try {
            Files.writeString(auth, "{\"auths\":{\"localhost:" + registry.getAddress().getPort()
                    + "\":{\"auth\":\"" + Base64.getEncoder().encodeToString("u:p".getBytes(StandardCharsets.UTF_8))
                    + "\"}}}");
            return RegistrySource.open(RegistryReference.parse("localhost:" + registry.getAddress().getPort() + "/" + repo),
                    RegistryOptions.defaults(Map.of()).withAuthFiles(List.of(auth))
                            .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10)));
        } finally {
            Files.delete(auth);
        }
    }

    private Descriptor blob() {
        return new Descriptor("application/octet-stream", blobDigest, BLOB.length);
    }

    private static byte[] read(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    @Test
    void aServerWithoutRangesSendsItAllAndTheOffsetIsSkipped() throws Exception {
        try (RegistrySource source = open("r")) {
            assertArrayEquals(Arrays.copyOfRange(BLOB, 7, BLOB.length), read(source.blob(blob(), 7)));
            assertArrayEquals(BLOB, read(source.blob(blob(), 0)));
        }
    }

    @Test
    void aRangeFromTheWrongOffsetIsRefused() throws Exception {
        try (RegistrySource source = open("badrange")) {
            ImageException e = assertThrows(ImageException.class, () -> source.blob(blob(), 5));
            assertEquals("pull blob localhost:" + registry.getAddress().getPort() + "/badrange@" + blobDigest
                    + ": asked for bytes from 5, the registry sent \"bytes 0-19/20\" (GET http://localhost:"
                    + registry.getAddress().getPort() + "/v2/badrange/blobs/" + blobDigest + ")", e.getMessage());
        }
    }

    @Test
    void redirectsAreFollowedWithoutTheRegistrysCredentials() throws Exception {
        try (RegistrySource source = open("moved")) {
            assertArrayEquals(BLOB, read(source.blob(blob(), 0)));
            assertArrayEquals(Arrays.copyOfRange(BLOB, 12, BLOB.length), read(source.blob(blob(), 12)));
        }
        assertEquals(List.of("null", "null"), storageAuthorizations);
    }

    @Test
    void aManifestIsCheckedAgainstTheDigestItWasAskedFor() throws Exception {
        try (RegistrySource source = open("r")) {
            var index = source.manifest("latest");
            assertEquals(RegistrySource.OCI_INDEX, index.mediaType(), "from the document when Content-Type is plain JSON");
            String other = "sha256:" + "1".repeat(64);
            ImageException e = assertThrows(ImageException.class, () -> source.manifest(other));
            assertEquals("pull manifest localhost:" + registry.getAddress().getPort() + "/r@" + other
                    + ": the registry sent a manifest with digest " + LocalRegistry.sha256(index.bytes()), e.getMessage());
        }
    }

    @Test
    void anErrorPageWithoutRegistryJsonNamesTheUrl() throws Exception {
        try (RegistrySource source = open("elsewhere")) {
            ImageException e = assertThrows(ImageException.class, () -> source.manifest("v1"));
            assertEquals("pull manifest localhost:" + registry.getAddress().getPort() + "/elsewhere:v1: 502 Bad Gateway"
                    + " (GET http://localhost:" + registry.getAddress().getPort() + "/v2/elsewhere/manifests/v1)", e.getMessage());
        }
    }

    @Test
    void tagsAndDigestsFromUntrustedDocumentsAreCheckedBeforeTheyBecomeUrls() throws Exception {
        try (RegistrySource source = open("r")) {
            String port = Integer.toString(registry.getAddress().getPort());
            assertEquals("pull manifest localhost:" + port + "/r: \"../../x\" is neither a tag nor a digest",
                    assertThrows(ImageException.class, () -> source.manifest("../../x")).getMessage());
            assertEquals("pull blob localhost:" + port + "/r@sha256:../../../x: not a digest",
                    assertThrows(ImageException.class, () -> source.blob(
                            new Descriptor("application/octet-stream", "sha256:../../../x", 3), 0)).getMessage());
        }
    }

    @Test
    void loopbackIsLocalhostAnd127Slash8AndColonColon1() {
        assertTrue(RegistrySource.isLoopback("localhost"));
        assertTrue(RegistrySource.isLoopback("127.0.0.1"));
        assertTrue(RegistrySource.isLoopback("127.3.4.5"));
        assertTrue(RegistrySource.isLoopback("::1"));
        assertFalse(RegistrySource.isLoopback("10.0.0.1"));
        assertFalse(RegistrySource.isLoopback("registry.example"));
        assertFalse(RegistrySource.isLoopback("localhost.example"));
        assertFalse(RegistrySource.isLoopback("::2"));
    }
}
