package io.jrun.image.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.image.Descriptor;
import io.jrun.image.ImageException;
import io.jrun.image.ImageSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RegistrySource} against a real registry (Debian's docker-registry) on loopback: the test
 * pushes a small image with the registry API, then reads it back by tag and digest, whole and
 * from an offset, with Basic auth (htpasswd) and the Bearer token flow (a token server in the test).
 */
@ExtendWith(DockerRegistryTests.class)
class RegistrySourceIT {
    private static final String REPO = "jrun/busybox";

    @TempDir
    static Path dir;
    static LocalRegistry registry;
    static Image image;
    static String digest;

    /** A small image: a config, one 300 kB layer (not a real tar: the transport does not look inside). */
    record Image(byte[] config, byte[] layer, byte[] manifest, Descriptor configDescriptor, Descriptor layerDescriptor) {
        static Image make() throws Exception {
            byte[] layer = new byte[300_000];
            new Random(6).nextBytes(layer);
            byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"sh\"]},"
                    + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + LocalRegistry.sha256(layer) + "\"]}}")
                    .getBytes(StandardCharsets.UTF_8);
            Descriptor c = new Descriptor("application/vnd.oci.image.config.v1+json",
                    LocalRegistry.sha256(config), config.length);
            Descriptor l = new Descriptor("application/vnd.oci.image.layer.v1.tar", LocalRegistry.sha256(layer), layer.length);
            byte[] manifest = manifest(RegistrySource.OCI_MANIFEST, c, l);
            return new Image(config, layer, manifest, c, l);
        }

        static byte[] manifest(String mediaType, Descriptor config, Descriptor layer) {
            return ("{\"schemaVersion\":2,\"mediaType\":\"" + mediaType + "\",\"config\":" + json(config)
                    + ",\"layers\":[" + json(layer) + "]}").getBytes(StandardCharsets.UTF_8);
        }

        static String json(Descriptor d) {
            return "{\"mediaType\":\"" + d.mediaType() + "\",\"digest\":\"" + d.digest() + "\",\"size\":" + d.size() + "}";
        }

        /** Pushes the blobs and the manifest under {@code tag}; returns the manifest's digest. */
        String push(LocalRegistry r, String repo, String tag) throws Exception {
            r.pushBlob(repo, config);
            r.pushBlob(repo, layer);
            return r.pushManifest(repo, tag, RegistrySource.OCI_MANIFEST, manifest);
        }
    }

    @BeforeAll
    static void startRegistry() throws Exception {
        Path d = Files.createDirectory(dir.resolve("plain"));
        registry = LocalRegistry.start(d, "", "", null);
        image = Image.make();
        digest = image.push(registry, REPO, "v1");
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    private static RegistryOptions options(List<Path> authFiles) {
        return RegistryOptions.defaults(Map.of()).withAuthFiles(authFiles)
                .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    private static RegistrySource open(LocalRegistry r, String name, List<Path> authFiles) throws Exception {
        return RegistrySource.open(RegistryReference.parse(r.authority() + "/" + name), options(authFiles));
    }

    private static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    @Test
    void manifestByTagAndByDigest() throws Exception {
        try (RegistrySource source = open(registry, REPO + ":v1", List.of())) {
            assertEquals("http://" + registry.authority(), source.baseUri().toString());
            ImageSource.Manifest byTag = source.manifest("v1");
            assertEquals(RegistrySource.OCI_MANIFEST, byTag.mediaType());
            assertArrayEquals(image.manifest(), byTag.bytes());
            ImageSource.Manifest byDigest = source.manifest(digest);
            assertEquals(RegistrySource.OCI_MANIFEST, byDigest.mediaType());
            assertArrayEquals(image.manifest(), byDigest.bytes());
        }
    }

    @Test
    void anOciIndexAndADockerSchema2Manifest() throws Exception {
        byte[] docker = Image.manifest(RegistrySource.DOCKER_MANIFEST,
                new Descriptor("application/vnd.docker.container.image.v1+json", image.configDescriptor().digest(),
                        image.configDescriptor().size()),
                new Descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip", image.layerDescriptor().digest(),
                        image.layerDescriptor().size()));
        registry.pushManifest(REPO, "docker", RegistrySource.DOCKER_MANIFEST, docker);
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"" + RegistrySource.OCI_INDEX + "\",\"manifests\":[{"
                + "\"mediaType\":\"" + RegistrySource.OCI_MANIFEST + "\",\"digest\":\"" + digest + "\",\"size\":"
                + image.manifest().length + ",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}")
                .getBytes(StandardCharsets.UTF_8);
        registry.pushManifest(REPO, "multi", RegistrySource.OCI_INDEX, index);
        try (RegistrySource source = open(registry, REPO, List.of())) {
            ImageSource.Manifest m = source.manifest("docker");
            assertEquals(RegistrySource.DOCKER_MANIFEST, m.mediaType());
            assertArrayEquals(docker, m.bytes());
            ImageSource.Manifest i = source.manifest("multi");
            assertEquals(RegistrySource.OCI_INDEX, i.mediaType());
            assertArrayEquals(index, i.bytes());
            assertArrayEquals(image.manifest(), source.manifest(digest).bytes()); // the index's entry
        }
    }

    @Test
    void blobsWholeAndFromAnOffset() throws Exception {
        try (RegistrySource source = open(registry, REPO, List.of())) {
            assertArrayEquals(image.config(), readAll(source.blob(image.configDescriptor(), 0)));
            byte[] layer = image.layer();
            assertArrayEquals(layer, readAll(source.blob(image.layerDescriptor(), 0)));
            // an interrupted download continues where it stopped
            assertArrayEquals(Arrays.copyOfRange(layer, 123_457, layer.length),
                    readAll(source.blob(image.layerDescriptor(), 123_457)));
            assertArrayEquals(new byte[] {layer[layer.length - 1]},
                    readAll(source.blob(image.layerDescriptor(), layer.length - 1)));
            assertArrayEquals(new byte[0], readAll(source.blob(image.layerDescriptor(), layer.length)));
            ImageException beyond = assertThrows(ImageException.class,
                    () -> source.blob(image.layerDescriptor(), layer.length + 1));
            assertEquals("pull blob " + registry.authority() + "/" + REPO + "@" + image.layerDescriptor().digest()
                    + ": offset 300001 outside the blob's 300000 bytes", beyond.getMessage());
        }
    }

    @Test
    void whatTheRegistryDoesNotHaveIsAOneLineError() throws Exception {
        try (RegistrySource source = open(registry, REPO, List.of())) {
            ImageException tag = assertThrows(ImageException.class, () -> source.manifest("nope"));
            assertEquals("pull manifest " + registry.authority() + "/" + REPO + ":nope: 404 MANIFEST_UNKNOWN manifest unknown",
                    tag.getMessage());
            String missing = "sha256:" + "0".repeat(64);
            ImageException blob = assertThrows(ImageException.class,
                    () -> source.blob(new Descriptor("application/octet-stream", missing, 5), 0));
            assertEquals("pull blob " + registry.authority() + "/" + REPO + "@" + missing
                    + ": 404 BLOB_UNKNOWN blob unknown to registry", blob.getMessage());
        }
        try (RegistrySource other = open(registry, "no/such/repo", List.of())) {
            ImageException repo = assertThrows(ImageException.class, () -> other.manifest("latest"));
            assertEquals("pull manifest " + registry.authority() + "/no/such/repo:latest: 404 MANIFEST_UNKNOWN"
                    + " manifest unknown", repo.getMessage());
        }
    }

    @Test
    void nothingListeningIsAnIoErrorNamingTheUrl() throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        IOException e = assertThrows(IOException.class,
                () -> RegistrySource.open(RegistryReference.parse("127.0.0.1:" + port + "/a"), options(List.of())));
        assertEquals("ping registry 127.0.0.1:" + port + ": http://127.0.0.1:" + port + "/v2/: connection refused",
                e.getMessage());
    }

    @Test
    void basicAuthWithCredentialsFromAnAuthFile() throws Exception {
        Path d = Files.createDirectory(dir.resolve("basic"));
        Process htpasswd = new ProcessBuilder("htpasswd", "-Bbc", d.resolve("htpasswd").toString(), "alice", "s3cret")
                .redirectErrorStream(true).start();
        assertEquals(0, htpasswd.waitFor(), new String(htpasswd.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        String alice = "Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8));
        try (LocalRegistry r = LocalRegistry.start(d, "auth:\n  htpasswd:\n    realm: jrun-test\n    path: "
                + d.resolve("htpasswd") + "\n", "", alice)) {
            String manifestDigest = image.push(r, "private/app", "v1");
            Path good = authFile(d.resolve("good.json"), r.authority(), "alice:s3cret");
            try (RegistrySource source = open(r, "private/app:v1", List.of(d.resolve("missing.json"), good))) {
                assertArrayEquals(image.manifest(), source.manifest("v1").bytes());
                assertArrayEquals(image.manifest(), source.manifest(manifestDigest).bytes());
                assertArrayEquals(image.layer(), readAll(source.blob(image.layerDescriptor(), 0)));
            }
            try (RegistrySource anonymous = open(r, "private/app:v1", List.of(d.resolve("missing.json")))) {
                ImageException e = assertThrows(ImageException.class, () -> anonymous.manifest("v1"));
                assertEquals("pull manifest " + r.authority() + "/private/app:v1: 401 UNAUTHORIZED authentication"
                        + " required (no credentials for " + r.authority() + " in [" + d.resolve("missing.json") + "])",
                        e.getMessage());
            }
            Path bad = authFile(d.resolve("bad.json"), r.authority(), "alice:wrong");
            try (RegistrySource wrong = open(r, "private/app:v1", List.of(bad))) {
                ImageException e = assertThrows(ImageException.class, () -> wrong.manifest("v1"));
                assertEquals("pull manifest " + r.authority() + "/private/app:v1: 401 UNAUTHORIZED authentication"
                        + " required (credentials of alice from " + bad + " were refused)", e.getMessage());
            }
        }
    }

    @Test
    void bearerTokensFromTheChallengesRealmCachedAndRenewed() throws Exception {
        Path d = Files.createDirectory(dir.resolve("token"));
        try (TokenServer tokens = TokenServer.start(d, "bob", "hunter2");
                LocalRegistry r = LocalRegistry.start(d, tokens.authYaml(d), "",
                        "Bearer " + tokens.token("team/app", List.of("pull", "push"), false))) {
            String manifestDigest = image.push(r, "team/app", "v1");
            Path auth = authFile(d.resolve("auth.json"), r.authority(), "bob:hunter2");
            String basic = "Basic " + Base64.getEncoder().encodeToString("bob:hunter2".getBytes(StandardCharsets.UTF_8));
            String query = "service=" + TokenServer.SERVICE + "&scope=repository%3Ateam%2Fapp%3Apull " + basic;
            try (RegistrySource source = open(r, "team/app:v1", List.of(auth))) {
                assertArrayEquals(image.manifest(), source.manifest("v1").bytes());
                assertArrayEquals(image.manifest(), source.manifest(manifestDigest).bytes());
                assertArrayEquals(Arrays.copyOfRange(image.layer(), 1000, image.layer().length),
                        readAll(source.blob(image.layerDescriptor(), 1000)));
                assertEquals(List.of(query), tokens.requests, "one token for the scope, cached");
            }
            // a token the registry refuses (expired) is replaced after the 401, once
            tokens.requests.clear();
            tokens.expiredTokens = 1;
            try (RegistrySource source = open(r, "team/app:v1", List.of(auth))) {
                assertArrayEquals(image.config(), readAll(source.blob(image.configDescriptor(), 0)));
                assertEquals(List.of(query, query), tokens.requests);
            }
            // anonymous: the token server answers with a token without access, the registry refuses it
            try (RegistrySource anonymous = open(r, "team/app:v1", List.of())) {
                ImageException e = assertThrows(ImageException.class, () -> anonymous.manifest("v1"));
                assertEquals("pull manifest " + r.authority() + "/team/app:v1: 401 UNAUTHORIZED authentication required"
                        + " (no credentials for " + r.authority() + " in [])", e.getMessage());
            }
            // wrong password: the token server's own error
            Path bad = authFile(d.resolve("bad.json"), r.authority(), "bob:nope");
            try (RegistrySource wrong = open(r, "team/app:v1", List.of(bad))) {
                ImageException e = assertThrows(ImageException.class, () -> wrong.manifest("v1"));
                assertEquals("get token for repository:team/app:pull from " + tokens.realm()
                        + ": 401 incorrect username or password", e.getMessage());
            }
        }
    }

    @Test
    void httpsWithoutVerificationThenPlainHttp() throws Exception {
        Path d = Files.createDirectory(dir.resolve("tls"));
        try (TokenServer keys = TokenServer.start(d, "unused", "unused");
                LocalRegistry r = LocalRegistry.start(d, "", "  tls:\n    certificate: " + d.resolve("token.pem")
                        + "\n    key: " + d.resolve("token.key") + "\n", null)) {
            RegistryReference ref = RegistryReference.parse(r.authority() + "/" + REPO);
            // the JDK's trust store does not know the self-signed certificate
            IOException untrusted = assertThrows(IOException.class,
                    () -> RegistrySource.open(ref, options(List.of()), List.of("https")));
            assertTrue(untrusted.getMessage().startsWith("ping registry " + r.authority() + ": https://"
                    + r.authority() + "/v2/: PKIX path building failed"), untrusted.getMessage());
            try (RegistrySource source = RegistrySource.open(ref, options(List.of()).withTlsVerify(false),
                    List.of("https", "http"))) {
                assertEquals("https://" + r.authority(), source.baseUri().toString());
                ImageException e = assertThrows(ImageException.class, () -> source.manifest("v1"));
                assertEquals("pull manifest " + r.authority() + "/" + REPO + ":v1: 404 MANIFEST_UNKNOWN manifest"
                        + " unknown", e.getMessage());
            }
        }
        // a plain-HTTP registry asked for with tlsVerify=false: HTTPS fails, HTTP answers
        RegistryReference ref = RegistryReference.parse(registry.authority() + "/" + REPO);
        try (RegistrySource source = RegistrySource.open(ref, options(List.of()).withTlsVerify(false),
                List.of("https", "http"))) {
            assertEquals("http://" + registry.authority(), source.baseUri().toString());
            assertArrayEquals(image.manifest(), source.manifest("v1").bytes());
        }
    }

    private static Path authFile(Path file, String authority, String userPass) throws IOException {
        return Files.writeString(file, "{\"auths\":{\"" + authority + "\":{\"auth\":\""
                + Base64.getEncoder().encodeToString(userPass.getBytes(StandardCharsets.UTF_8)) + "\"}}}");
    }
}
