package io.jrun.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** One-line messages for what registries and networks answer. */
final class RegistryErrors {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RegistryErrors() {}

    /**
     * {@code 404 MANIFEST_UNKNOWN manifest unknown} from the distribution spec's error body
     * {@code {"errors":[{"code":..., "message":...}]}} (several joined by "; "), or the status and
     * the URL when the body is something else (a proxy's page).
     */
    static String status(int status, byte[] body, String method, URI uri) {
        List<String> errors = new ArrayList<>();
        try {
            JsonNode root = body.length == 0 ? null : JSON.readTree(body);
            if (root != null) {
                for (JsonNode e : root.path("errors")) {
                    String code = e.path("code").asText("");
                    String message = e.path("message").asText("");
                    errors.add((code + " " + message).trim());
                }
                // token servers: {"details": "..."} (Docker Hub) or OAuth's {"error": ..., "error_description": ...}
                if (errors.isEmpty() && root.path("details").isTextual()) {
                    errors.add(root.path("details").asText());
                }
                if (errors.isEmpty() && root.path("error").isTextual()) {
                    errors.add((root.path("error").asText() + " " + root.path("error_description").asText("")).trim());
                }
            }
        } catch (IOException e) {
            // not JSON: fall through to the URL
        }
        errors.removeIf(String::isEmpty);
        if (errors.isEmpty()) {
            return status + " " + reason(status) + " (" + method + " " + uri + ")";
        }
        return status + " " + String.join("; ", errors).replaceAll("\\s+", " ");
    }

    private static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 416 -> "Range Not Satisfiable";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "HTTP error";
        };
    }

    /** An I/O failure in a few words: the JDK's message, or what its type means when it has none. */
    static String describe(Throwable e) {
        // the HttpClient wraps the interesting failure (an SSLHandshakeException, a ConnectException)
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            if (t instanceof HttpConnectTimeoutException) {
                return "connect timed out";
            }
            if (t instanceof HttpTimeoutException) {
                return "timed out waiting for the response";
            }
            if (t instanceof ConnectException) {
                return m == null ? "connection refused" : m;
            }
            if (t instanceof UnknownHostException) {
                return "unknown host " + m;
            }
            boolean onlyWraps = t.getCause() != null && (m == null || m.equals(t.getCause().toString()));
            if (!onlyWraps) {
                return m == null || m.isBlank() ? t.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
            }
        }
        return e.getClass().getSimpleName();
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
