package io.jrun.image.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jrun.image.Descriptor;
import io.jrun.image.ImageException;
import io.jrun.image.ImageSource;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * One repository of an OCI distribution registry (the v2 API) as an {@link ImageSource}:
 * manifests and indexes by tag or digest, blobs from an offset (HTTP ranges), over HTTPS with the
 * JDK's trust store, or plain HTTP for registries on loopback, with Basic or Bearer-token auth as
 * the registry asks (see {@link RegistryAuth}, {@link AuthFiles}).
 *
 * <pre>{@code
 * RegistryReference ref = RegistryReference.parse("localhost:5000/busybox:latest");
 * try (RegistrySource source = RegistrySource.open(ref, RegistryOptions.defaults(System.getenv()))) {
 *     ImageSource.Manifest m = source.manifest(ref.reference());
 * }
 * }</pre>
 */
public final class RegistrySource implements ImageSource {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    /** The media types a manifest request accepts. */
    public static final List<String> MANIFEST_TYPES = List.of(OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST);
    /** containerd's limit: a manifest bigger than this is not one. */
    static final int MAX_MANIFEST_BYTES = 4 << 20;
    private static final int MAX_REDIRECTS = 10;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RegistryReference ref;
    private final RegistryOptions options;
    private final HttpClient client;
    private final URI base;
    private final RegistryAuth auth;
    private final String scope;

    private RegistrySource(RegistryReference ref, RegistryOptions options, HttpClient client, URI base, RegistryAuth auth) {
        this.ref = ref;
        this.options = options;
        this.client = client;
        this.base = base;
        this.auth = auth;
        this.scope = "repository:" + ref.repository() + ":pull";
    }

    /**
     * Opens {@code ref}'s repository: reads the credentials for it, then pings {@code /v2/} to learn
     * the scheme and the auth the registry wants. HTTPS unless the registry is on loopback (plain
     * HTTP); with {@code tlsVerify} false, HTTPS without certificate checks, then plain HTTP.
     */
    public static RegistrySource open(RegistryReference ref, RegistryOptions options) throws IOException, ImageException {
        List<String> schemes = isLoopback(ref.host()) ? List.of("http")
                : options.tlsVerify() ? List.of("https") : List.of("https", "http");
        return open(ref, options, schemes);
    }

    /** {@link #open(RegistryReference, RegistryOptions)} trying {@code schemes} in order (tests: HTTPS on loopback). */
    static RegistrySource open(RegistryReference ref, RegistryOptions options, List<String> schemes)
            throws IOException, ImageException {
        AuthFiles.Lookup lookup = AuthFiles.lookup(options.authFiles(), ref);
        HttpClient client = client(options);
        RegistryAuth auth = new RegistryAuth(client, options, lookup);
        StringBuilder failures = new StringBuilder();
        IOException last = null;
        for (String scheme : schemes) {
            URI base = URI.create(scheme + "://" + ref.authority());
            URI ping = base.resolve("/v2/");
            HttpResponse<byte[]> response;
            try {
                response = client.send(request(ping, options).build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                failures.append(failures.length() == 0 ? "" : "; ")
                        .append(ping).append(": ").append(RegistryErrors.describe(e));
                last = e;
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("ping registry " + ref.authority() + ": GET " + ping + ": interrupted", e);
            }
            int status = response.statusCode();
            if (status == 401 && auth.challenged(response.headers().allValues("WWW-Authenticate"))) {
                return new RegistrySource(ref, options, client, base, auth);
            }
            if (status == 200) {
                return new RegistrySource(ref, options, client, base, auth);
            }
            throw new ImageException("ping registry " + ref.authority() + ": "
                    + RegistryErrors.status(status, response.body(), "GET", ping)
                    + (status == 401 ? ", without a Bearer or Basic challenge" : ": not a registry (v2 API)"));
        }
        throw new IOException("ping registry " + ref.authority() + ": " + failures, last);
    }

    /** The repository this source reads, with the reference it was opened for. */
    public RegistryReference reference() {
        return ref;
    }

    /** The registry's base URL, {@code https://host[:port]} or {@code http://...}, as the ping chose it. */
    public URI baseUri() {
        return base;
    }

    @Override
    public Manifest manifest(String reference) throws IOException, ImageException {
        if (reference == null || !(RegistryReference.TAG.matcher(reference).matches()
                || RegistryReference.DIGEST.matcher(reference).matches())) {
            throw new ImageException("pull manifest " + ref.authority() + "/" + ref.repository() + ": \""
                    + reference + "\" is neither a tag nor a digest");
        }
        String op = "pull manifest " + ref.withReference(reference);
        URI uri = base.resolve("/v2/" + ref.repository() + "/manifests/" + reference);
        HttpResponse<InputStream> response = send(op, uri, Map.of("Accept", String.join(", ", MANIFEST_TYPES)));
        byte[] bytes;
        try (InputStream in = response.body()) {
            if (response.statusCode() != 200) {
                throw new ImageException(op + ": " + RegistryErrors.status(response.statusCode(),
                        in.readNBytes(64 << 10), "GET", response.uri()));
            }
            bytes = in.readNBytes(MAX_MANIFEST_BYTES + 1);
        } catch (IOException e) {
            throw new IOException(op + ": GET " + uri + ": " + RegistryErrors.describe(e), e);
        }
        if (bytes.length > MAX_MANIFEST_BYTES) {
            throw new ImageException(op + ": larger than " + (MAX_MANIFEST_BYTES >> 20) + " MiB, not a manifest");
        }
        if (reference.contains(":")) {
            String actual = digest(reference.substring(0, reference.indexOf(':')), bytes, op);
            if (!actual.equals(reference)) {
                throw new ImageException(op + ": the registry sent a manifest with digest " + actual);
            }
        }
        return new Manifest(mediaType(response.headers().firstValue("Content-Type").orElse(""), bytes), bytes);
    }

    @Override
    public InputStream blob(Descriptor descriptor, long offset) throws IOException, ImageException {
        String op = "pull blob " + ref.authority() + "/" + ref.repository() + "@" + descriptor.digest();
        if (!RegistryReference.DIGEST.matcher(descriptor.digest()).matches()) {
            throw new ImageException(op + ": not a digest");
        }
        if (offset < 0 || (descriptor.size() >= 0 && offset > descriptor.size())) {
            throw new ImageException(op + ": offset " + offset + " outside the blob's " + descriptor.size() + " bytes");
        }
        if (offset > 0 && offset == descriptor.size()) {
            return InputStream.nullInputStream();
        }
        URI uri = base.resolve("/v2/" + ref.repository() + "/blobs/" + descriptor.digest());
        HttpResponse<InputStream> response = send(op, uri, offset > 0 ? Map.of("Range", "bytes=" + offset + "-") : Map.of());
        InputStream in = response.body();
        int status = response.statusCode();
        try {
            if (status == 206) {
                String range = response.headers().firstValue("Content-Range").orElse("");
                Matcher m = CONTENT_RANGE.matcher(range);
                if (!m.matches() || Long.parseLong(m.group(1)) != offset) {
                    throw new ImageException(op + ": asked for bytes from " + offset + ", the registry sent \""
                            + range + "\" (GET " + response.uri() + ")");
                }
            } else if (status == 200) {
                if (offset > 0) {
                    in.skipNBytes(offset); // a server without ranges: read past what we already have
                }
            } else {
                throw new ImageException(op + ": "
                        + RegistryErrors.status(status, in.readNBytes(64 << 10), "GET", response.uri()));
            }
        } catch (EOFException e) {
            in.close();
            throw new ImageException(op + ": the registry sent fewer than the " + offset + " bytes to skip", e);
        } catch (IOException e) {
            in.close();
            throw new IOException(op + ": GET " + response.uri() + ": " + RegistryErrors.describe(e), e);
        } catch (ImageException | RuntimeException e) {
            in.close();
            throw e;
        }
        return new Body(in, op + ": read from " + response.uri());
    }

    @Override
    public void close() {
        // The JDK 17 HttpClient has no close: its connections go with it when it is unreachable.
    }

    /**
     * GET {@code uri} with the registry's auth, following redirects (the Authorization header goes
     * only to the registry itself, never to the storage a blob redirects to); after a 401, once more
     * with the auth the new challenge asks for. The caller checks the status and closes the body.
     */
    private HttpResponse<InputStream> send(String op, URI uri, Map<String, String> headers)
            throws IOException, ImageException {
        for (int attempt = 0; ; attempt++) {
            String authorization = auth.authorization(scope);
            HttpResponse<InputStream> response = follow(op, uri, headers, authorization);
            if (response.statusCode() != 401) {
                return response;
            }
            byte[] body;
            try (InputStream in = response.body()) {
                body = in.readNBytes(64 << 10);
            }
            // only the registry's own challenge counts: a 401 from the storage a blob redirected to
            // must not send the user's credentials to a realm of that storage's choosing
            boolean challenged = sameOrigin(response.uri(), base)
                    && auth.challenged(response.headers().allValues("WWW-Authenticate"));
            auth.invalidate(scope);
            if (attempt > 0 || !challenged || !auth.canAuthenticate()) {
                throw new ImageException(op + ": " + RegistryErrors.status(401, body, "GET", response.uri())
                        + " (" + auth.hint(ref) + ")");
            }
        }
    }

    private HttpResponse<InputStream> follow(String op, URI uri, Map<String, String> headers, String authorization)
            throws IOException {
        URI current = uri;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder request = request(current, options);
            headers.forEach(request::header);
            if (authorization != null && sameOrigin(current, base)) {
                request.header("Authorization", authorization);
            }
            HttpResponse<InputStream> response;
            try {
                response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                throw new IOException(op + ": GET " + current + ": " + RegistryErrors.describe(e), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(op + ": GET " + current + ": interrupted", e);
            }
            int status = response.statusCode();
            var location = response.headers().firstValue("Location");
            if (!(status == 301 || status == 302 || status == 303 || status == 307 || status == 308) || location.isEmpty()) {
                return response;
            }
            response.body().close();
            if (hop >= MAX_REDIRECTS) {
                throw new IOException(op + ": GET " + uri + ": more than " + MAX_REDIRECTS + " redirects");
            }
            try {
                current = current.resolve(location.get());
            } catch (IllegalArgumentException e) {
                throw new IOException(op + ": GET " + current + ": bad redirect to \"" + location.get() + "\"", e);
            }
        }
    }

    private static HttpRequest.Builder request(URI uri, RegistryOptions options) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).GET()
                .timeout(options.requestTimeout())
                .header("User-Agent", options.userAgent());
        if ("http".equals(uri.getScheme())) {
            b.version(HttpClient.Version.HTTP_1_1); // no h2c upgrade dance with plain-HTTP registries
        }
        return b;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    /** The manifest's media type: the Content-Type when it names one, else the document's own mediaType. */
    static String mediaType(String contentType, byte[] bytes) {
        String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!type.isEmpty() && !type.equals("application/json") && !type.equals("text/plain")
                && !type.equals("application/octet-stream")) {
            return type;
        }
        try {
            String declared = JSON.readTree(bytes).path("mediaType").asText("");
            return declared.isEmpty() ? type : declared;
        } catch (IOException e) {
            return type;
        }
    }

    private static String digest(String algorithm, byte[] bytes, String op) throws ImageException {
        String jdk = switch (algorithm) {
            case "sha256" -> "SHA-256";
            case "sha512" -> "SHA-512";
            default -> throw new ImageException(op + ": unsupported digest algorithm \"" + algorithm + "\"");
        };
        try {
            return algorithm + ":" + HexFormat.of().formatHex(MessageDigest.getInstance(jdk).digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(jdk + " missing from the JDK", e);
        }
    }

    /** localhost, 127.0.0.0/8 and ::1, by name or address; names other than localhost are not resolved. */
    static boolean isLoopback(String host) {
        if (host.equalsIgnoreCase("localhost") || host.toLowerCase(Locale.ROOT).endsWith(".localhost")) {
            return true;
        }
        if (!host.matches("[0-9.]+") && !host.contains(":")) {
            return false;
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress(); // a literal: no DNS
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static HttpClient client(RegistryOptions options) {
        HttpClient.Builder b = HttpClient.newBuilder()
                .connectTimeout(options.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER);
        if (!options.tlsVerify()) {
            b.sslContext(trustingEverything());
        }
        return b.build();
    }

    /** For {@code tlsVerify=false}: any certificate for any name (an X509ExtendedTrustManager also skips the host check). */
    private static SSLContext trustingEverything() {
        X509ExtendedTrustManager trustAll = new X509ExtendedTrustManager() {
            @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}
            @Override public void checkServerTrusted(X509Certificate[] chain, String authType) {}
            @Override public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}
            @Override public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}
            @Override public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
            @Override public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
            @Override public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {trustAll}, new SecureRandom());
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("TLS context: " + e.getMessage(), e);
        }
    }

    /** A blob's body whose read errors say which blob and URL they are about. */
    private static final class Body extends FilterInputStream {
        private final String what;

        Body(InputStream in, String what) {
            super(in);
            this.what = what;
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                throw wrap(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                throw wrap(e);
            }
        }

        private IOException wrap(IOException e) {
            return new IOException(what + ": " + RegistryErrors.describe(e), e);
        }
    }
}
