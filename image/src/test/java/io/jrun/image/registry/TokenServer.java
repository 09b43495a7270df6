package io.jrun.image.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A token server for the distribution spec's Bearer flow, as a registry with {@code auth: token:}
 * expects: {@code GET /token?service=S&scope=repository:NAME:ACTIONS} answers
 * {@code {"token": JWT}}, the JWT signed (RS256) with a key whose self-signed certificate the
 * registry trusts ({@code rootcertbundle}) and carried in the {@code x5c} header. One user and
 * password may pull; anonymous requests get a token without access.
 */
final class TokenServer implements AutoCloseable {
    static final String ISSUER = "jrun-test-issuer";
    static final String SERVICE = "jrun-test-registry";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final PrivateKey key;
    private final X509Certificate certificate;
    private final String user;
    private final String password;
    /** The query and the Authorization header of every token request, in order. */
    final List<String> requests = new CopyOnWriteArrayList<>();
    /** How many of the next tokens to issue already expired. */
    volatile int expiredTokens;

    private TokenServer(HttpServer server, PrivateKey key, X509Certificate certificate, String user, String password) {
        this.server = server;
        this.key = key;
        this.certificate = certificate;
        this.user = user;
        this.password = password;
    }

    /** Makes an RSA key and a self-signed certificate with the JDK's keytool in {@code dir}, writes {@code dir/token.pem}, starts on a free port. */
    static TokenServer start(Path dir, String user, String password) throws Exception {
        Path store = dir.resolve("token.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-keyalg", "RSA", "-keysize", "2048",
                "-alias", "token", "-dname", "CN=jrun test token issuer", "-validity", "2",
                "-ext", "san=ip:127.0.0.1", "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool -genkeypair: " + out);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        PrivateKey key = (PrivateKey) ks.getKey("token", "changeit".toCharArray());
        X509Certificate cert = (X509Certificate) ks.getCertificate("token");
        Files.writeString(dir.resolve("token.pem"), pem("CERTIFICATE", cert.getEncoded()));
        Files.writeString(dir.resolve("token.key"), pem("PRIVATE KEY", key.getEncoded()));
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        TokenServer tokens = new TokenServer(server, key, cert, user, password);
        server.createContext("/token", tokens::handle);
        server.start();
        return tokens;
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    /** The registry config's auth section that trusts this server. */
    String authYaml(Path dir) {
        return "auth:\n  token:\n    realm: " + realm() + "\n    service: " + SERVICE + "\n    issuer: " + ISSUER
                + "\n    rootcertbundle: " + dir.resolve("token.pem") + "\n";
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Map<String, String> query = new LinkedHashMap<>();
            String raw = exchange.getRequestURI().getRawQuery();
            for (String pair : raw == null ? new String[0] : raw.split("&")) {
                int eq = pair.indexOf('=');
                query.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            requests.add(raw + " " + (authorization == null ? "anonymous" : authorization));
            String expected = "Basic " + Base64.getEncoder().encodeToString(
                    (user + ":" + password).getBytes(StandardCharsets.UTF_8));
            if (authorization != null && !authorization.equals(expected)) {
                reply(exchange, 401, "{\"details\":\"incorrect username or password\"}");
                return;
            }
            String scope = query.getOrDefault("scope", "");
            String[] parts = scope.split(":");
            List<String> granted = authorization == null || parts.length != 3 ? List.of() : List.of(parts[2].split(","));
            reply(exchange, 200, JSON.writeValueAsString(Map.of("token",
                    token(parts.length == 3 ? parts[1] : "", granted, expiredTokens-- > 0), "expires_in", 300)));
        } catch (Exception e) {
            reply(exchange, 500, "{\"details\":\"" + e + "\"}");
        }
    }

    /** A token for the given actions on repository {@code name}; {@code expired}: its exp 10 minutes ago. */
    String token(String name, List<String> actions, boolean expired) throws Exception {
        long now = Instant.now().getEpochSecond();
        Map<String, Object> header = Map.of("typ", "JWT", "alg", "RS256",
                "x5c", List.of(Base64.getEncoder().encodeToString(certificate.getEncoded())));
        List<Object> access = new ArrayList<>();
        if (!actions.isEmpty()) {
            access.add(Map.of("type", "repository", "name", name, "actions", actions));
        }
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", ISSUER);
        claims.put("sub", user);
        claims.put("aud", SERVICE);
        claims.put("exp", expired ? now - 600 : now + 300);
        claims.put("nbf", now - 900);
        claims.put("iat", now - 900);
        claims.put("jti", Long.toHexString(System.nanoTime()));
        claims.put("access", access);
        Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
        String signingInput = url.encodeToString(JSON.writeValueAsBytes(header)) + "."
                + url.encodeToString(JSON.writeValueAsBytes(claims));
        Signature rsa = Signature.getInstance("SHA256withRSA");
        rsa.initSign(key);
        rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + url.encodeToString(rsa.sign());
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
