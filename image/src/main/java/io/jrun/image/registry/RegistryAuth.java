package io.jrun.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jrun.image.ImageException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code Authorization} a registry asked for in its challenge: Basic with the credentials
 * from the auth files, or Bearer with a token from the challenge's realm (the distribution
 * spec's token flow: {@code GET realm?service=S&scope=repository:REPO:pull}, with Basic
 * credentials when there are any, anonymous otherwise), cached per scope until it expires.
 */
final class RegistryAuth {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long DEFAULT_TOKEN_SECONDS = 60; // the token spec's default expires_in

    private record Token(String value, Instant expires) {}

    private final HttpClient client;
    private final RegistryOptions options;
    private final AuthFiles.Lookup lookup;
    private final Map<String, Token> tokens = new HashMap<>();
    private Challenge challenge;

    RegistryAuth(HttpClient client, RegistryOptions options, AuthFiles.Lookup lookup) {
        this.client = client;
        this.options = options;
        this.lookup = lookup;
    }

    /** Takes the challenge of a ping or a 401 (Bearer over Basic when both are offered); null when none. */
    synchronized boolean challenged(List<String> wwwAuthenticate) {
        Challenge basic = null;
        for (String header : wwwAuthenticate) {
            for (Challenge c : Challenge.parse(header)) {
                if (c.scheme().equals("bearer") && c.parameter("realm") != null) {
                    challenge = c;
                    return true;
                }
                if (c.scheme().equals("basic")) {
                    basic = c;
                }
            }
        }
        if (basic != null) {
            challenge = basic;
            return true;
        }
        return false;
    }

    /** Forgets the token for {@code scope}, after the registry refused it. */
    synchronized void invalidate(String scope) {
        tokens.remove(scope);
    }

    /** Whether a retry after a 401 can do better: Basic needs credentials; Bearer can always get a fresh token. */
    synchronized boolean canAuthenticate() {
        return challenge != null && (challenge.scheme().equals("bearer") || lookup.credentials() != null);
    }

    /** The Authorization header for a request in {@code scope}, or null when none is needed or possible. */
    synchronized String authorization(String scope) throws IOException, ImageException {
        if (challenge == null) {
            return null;
        }
        if (challenge.scheme().equals("basic")) {
            return lookup.credentials() == null ? null : lookup.credentials().basicAuthorization();
        }
        Token token = tokens.get(scope);
        if (token == null || Instant.now().isAfter(token.expires())) {
            token = fetchToken(scope);
            tokens.put(scope, token);
        }
        return "Bearer " + token.value();
    }

    /** What a user needs to know after a 401: which credentials were sent, or why none were. */
    synchronized String hint(RegistryReference ref) {
        if (lookup.credentials() != null) {
            return "credentials of " + lookup.credentials().username() + " from " + lookup.credentials().source()
                    + " were refused";
        }
        return "no credentials for " + ref.authority() + " in " + options.authFiles()
                + (lookup.helperNote() == null ? "" : "; " + lookup.helperNote());
    }

    private Token fetchToken(String scope) throws IOException, ImageException {
        String realm = challenge.parameter("realm");
        StringBuilder query = new StringBuilder();
        String service = challenge.parameter("service");
        if (service != null) {
            query.append("service=").append(URLEncoder.encode(service, StandardCharsets.UTF_8));
        }
        query.append(query.length() == 0 ? "" : "&").append("scope=")
                .append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
        URI uri;
        try {
            uri = URI.create(realm + (realm.contains("?") ? "&" : "?") + query);
        } catch (IllegalArgumentException e) {
            throw new ImageException("get token for " + scope + ": bad realm \"" + realm + "\" in the registry's challenge");
        }
        if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
            throw new ImageException("get token for " + scope + ": bad realm \"" + realm + "\" in the registry's challenge");
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET()
                .timeout(options.requestTimeout())
                .header("User-Agent", options.userAgent());
        if ("http".equals(uri.getScheme())) {
            request.version(HttpClient.Version.HTTP_1_1);
        }
        // credentials travel to the realm only encrypted, or on this host
        if (lookup.credentials() != null && ("https".equals(uri.getScheme()) || RegistrySource.isLoopback(uri.getHost()))) {
            request.header("Authorization", lookup.credentials().basicAuthorization());
        }
        HttpResponse<byte[]> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new IOException("get token for " + scope + ": GET " + uri + ": " + RegistryErrors.describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("get token for " + scope + ": GET " + uri + ": interrupted", e);
        }
        if (response.statusCode() != 200) {
            throw new ImageException("get token for " + scope + " from " + realm + ": "
                    + RegistryErrors.status(response.statusCode(), response.body(), "GET", uri));
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            body = null;
        }
        String token = body == null ? "" : body.path("token").asText(body.path("access_token").asText(""));
        if (token.isEmpty()) {
            throw new ImageException("get token for " + scope + " from " + realm + ": no token in the answer");
        }
        long seconds = body.path("expires_in").asLong(DEFAULT_TOKEN_SECONDS);
        // renew a little early, so a token does not run out between the check and the request
        return new Token(token, Instant.now().plusSeconds(Math.max(seconds, DEFAULT_TOKEN_SECONDS) - 10));
    }
}
