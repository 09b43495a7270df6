package io.jrun.image.registry;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code docker-registry} (distribution 2.8) on 127.0.0.1, a free port and storage in a
 * temporary directory, started for a test and stopped by its pid; plus the push side of the API
 * that the tests need to put images in it (monolithic blob uploads, manifest PUTs).
 */
public final class LocalRegistry implements AutoCloseable {
    public static final Path BINARY = Path.of("/usr/bin/docker-registry");

    private final Process process;
    private final Path log;
    final int port;
    private final String authorization;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private LocalRegistry(Process process, Path log, int port, String authorization) {
        this.process = process;
        this.log = log;
        this.port = port;
        this.authorization = authorization;
    }

    /**
     * Starts a registry in {@code dir} with {@code authYaml} as its config's {@code auth:} section
     * (empty for none) and {@code httpYaml} added to its {@code http:} section (e.g. tls);
     * {@code pushAuthorization} is the Authorization header the push helpers send (or null).
     */
    public static LocalRegistry start(Path dir, String authYaml, String httpYaml, String pushAuthorization)
            throws IOException, InterruptedException {
        int port = freePort();
        Path config = dir.resolve("config.yml");
        Files.writeString(config, "version: 0.1\n"
                + "log:\n  level: info\n  accesslog:\n    disabled: true\n"
                + "storage:\n  filesystem:\n    rootdirectory: " + dir.resolve("storage") + "\n"
                + "  delete:\n    enabled: true\n"
                + "http:\n  addr: 127.0.0.1:" + port + "\n  secret: jrun-test-secret\n" + httpYaml
                + authYaml);
        Path log = dir.resolve("registry.log");
        ProcessBuilder pb = new ProcessBuilder(BINARY.toString(), "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("REGISTRY_")); // they would override the config
        Process process = pb.start();
        LocalRegistry registry = new LocalRegistry(process, log, port, pushAuthorization);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return registry;
            } catch (IOException e) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    registry.close();
                    throw new IOException("docker-registry did not start on port " + port + ": " + Files.readString(log));
                }
                Thread.sleep(50);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public String authority() {
        return "127.0.0.1:" + port;
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    static String sha256(byte[] bytes) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** Uploads a blob in one request (POST an upload, PUT its bytes with the digest); returns the digest. */
    public String pushBlob(String repo, byte[] bytes) throws Exception {
        String digest = sha256(bytes);
        URI start = URI.create("http://" + authority() + "/v2/" + repo + "/blobs/uploads/");
        HttpResponse<String> posted = http.send(request(start).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        if (posted.statusCode() != 202) {
            throw new IOException("POST " + start + ": " + posted.statusCode() + " " + posted.body());
        }
        String location = posted.headers().firstValue("Location").orElseThrow();
        URI put = start.resolve(location + (location.contains("?") ? "&" : "?") + "digest=" + digest);
        HttpResponse<String> done = http.send(request(put).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
        if (done.statusCode() != 201) {
            throw new IOException("PUT " + put + ": " + done.statusCode() + " " + done.body());
        }
        return digest;
    }

    /** PUTs a manifest or index under {@code tag}; returns its digest. */
    public String pushManifest(String repo, String tag, String mediaType, byte[] bytes) throws Exception {
        URI uri = URI.create("http://" + authority() + "/v2/" + repo + "/manifests/" + tag);
        HttpResponse<String> r = http.send(request(uri).header("Content-Type", mediaType)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IOException("PUT " + uri + ": " + r.statusCode() + " " + r.body());
        }
        return sha256(bytes);
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri);
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b;
    }

    /** Stops the registry by its pid (SIGTERM, then SIGKILL after 10 s). */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
    }
}
