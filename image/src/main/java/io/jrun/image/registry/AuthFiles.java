package io.jrun.image.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jrun.image.ImageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Registry credentials from the files Podman, skopeo and Docker write ({@code podman login},
 * {@code docker login}): {@code {"auths": {"HOST[:PORT][/REPO]": {"auth": base64("user:pass")}}}}.
 * Keys may also be URLs ({@code https://index.docker.io/v1/}); Docker Hub is found under
 * {@code docker.io}, {@code index.docker.io} or {@code registry-1.docker.io}. Credential helpers
 * ({@code credHelpers}, {@code credsStore}) are not run: a lookup says when one was named.
 */
public final class AuthFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The outcome of a lookup: credentials or null, and a note on a credential helper that was not run, or null. */
    public record Lookup(Credentials credentials, String helperNote) {}

    private AuthFiles() {}

    /**
     * The files, in the order they are searched: {@code $REGISTRY_AUTH_FILE},
     * {@code $XDG_RUNTIME_DIR/containers/auth.json} (without that variable, as Podman:
     * {@code /run/containers/UID/auth.json}, e.g. where {@code sudo podman login} writes),
     * {@code $HOME/.config/containers/auth.json}, {@code $HOME/.docker/config.json}
     * ({@code $DOCKER_CONFIG/config.json} when that is set).
     */
    public static List<Path> defaultPaths(Map<String, String> env, int uid) {
        List<Path> paths = new ArrayList<>();
        String file = env.get("REGISTRY_AUTH_FILE");
        if (file != null && !file.isEmpty()) {
            paths.add(Path.of(file));
        }
        String xdg = env.get("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isEmpty()) {
            paths.add(Path.of(xdg, "containers", "auth.json"));
        } else if (uid >= 0) {
            paths.add(Path.of("/run/containers", Integer.toString(uid), "auth.json"));
        }
        String home = env.get("HOME");
        if (home != null && !home.isEmpty()) {
            paths.add(Path.of(home, ".config", "containers", "auth.json"));
        }
        String dockerConfig = env.get("DOCKER_CONFIG");
        if (dockerConfig != null && !dockerConfig.isEmpty()) {
            paths.add(Path.of(dockerConfig, "config.json"));
        } else if (home != null && !home.isEmpty()) {
            paths.add(Path.of(home, ".docker", "config.json"));
        }
        return paths;
    }

    /**
     * The credentials for {@code ref}: the first file that has an entry for its repository, a
     * parent path of it, or its registry (most specific first) wins; missing files are skipped.
     *
     * @throws ImageException when a file cannot be read or parsed, or an entry is malformed
     */
    public static Lookup lookup(List<Path> files, RegistryReference ref) throws ImageException {
        List<String> keys = candidates(ref);
        String note = null;
        for (Path file : files) {
            JsonNode root = read(file);
            if (root == null) {
                continue;
            }
            JsonNode auths = root.path("auths");
            for (String key : keys) {
                var fields = auths.fields();
                while (fields.hasNext()) {
                    var entry = fields.next();
                    if (normalize(entry.getKey()).equals(key)) {
                        Credentials c = decode(file, entry.getKey(), entry.getValue());
                        if (c != null) {
                            return new Lookup(c, null);
                        }
                    }
                }
            }
            if (note == null) {
                var helpers = root.path("credHelpers").fields();
                while (helpers.hasNext() && note == null) {
                    var entry = helpers.next();
                    if (keys.contains(normalize(entry.getKey()))) {
                        note = "credential helper docker-credential-" + entry.getValue().asText()
                                + " (credHelpers in " + file + ") is not supported";
                    }
                }
                if (note == null && root.path("credsStore").isTextual()) {
                    note = "credential store docker-credential-" + root.path("credsStore").asText()
                            + " (credsStore in " + file + ") is not supported";
                }
            }
        }
        return new Lookup(null, note);
    }

    /** {@code docker.io/library/busybox}, {@code docker.io/library}, {@code docker.io}. */
    static List<String> candidates(RegistryReference ref) {
        List<String> keys = new ArrayList<>();
        String path = hostKey(ref.authority()) + "/" + ref.repository();
        while (true) {
            keys.add(path);
            int slash = path.lastIndexOf('/');
            if (slash < 0) {
                return keys;
            }
            path = path.substring(0, slash);
        }
    }

    /** A key as written in a file to {@code host[:port][/path]}: URLs lose their scheme and path. */
    static String normalize(String key) {
        String k = key;
        if (k.startsWith("http://") || k.startsWith("https://")) {
            k = k.substring(k.indexOf("//") + 2);
            int slash = k.indexOf('/');
            if (slash >= 0) {
                k = k.substring(0, slash);
            }
        }
        int slash = k.indexOf('/');
        String host = slash < 0 ? k : k.substring(0, slash);
        return hostKey(host) + (slash < 0 ? "" : k.substring(slash).replaceAll("/+$", ""));
    }

    private static String hostKey(String host) {
        return switch (host) {
            case "index.docker.io", "registry-1.docker.io" -> "docker.io";
            default -> host;
        };
    }

    private static Credentials decode(Path file, String key, JsonNode entry) throws ImageException {
        String auth = entry.path("auth").asText("");
        if (!auth.isEmpty()) {
            String plain;
            try {
                plain = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                plain = "";
            }
            int colon = plain.indexOf(':');
            if (colon <= 0) {
                throw new ImageException("read auth file " + file + ": auths.\"" + key
                        + "\".auth: not the base64 of user:password");
            }
            return new Credentials(plain.substring(0, colon), plain.substring(colon + 1), file);
        }
        String user = entry.path("username").asText("");
        if (!user.isEmpty()) {
            return new Credentials(user, entry.path("password").asText(""), file);
        }
        return null; // e.g. {} left by docker login with a credsStore
    }

    private static JsonNode read(Path file) throws ImageException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new ImageException("read auth file " + file + ": " + RegistryErrors.describe(e), e);
        }
        if (new String(bytes, StandardCharsets.UTF_8).isBlank()) {
            return null; // an empty file, as left by touch: no entries
        }
        try {
            JsonNode root = JSON.readTree(bytes);
            if (root == null || !root.isObject()) {
                throw new ImageException("read auth file " + file + ": not a JSON object");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new ImageException("read auth file " + file + ": malformed JSON at line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()
                    + ": " + e.getOriginalMessage().lines().findFirst().orElse(""), e);
        } catch (IOException e) {
            throw new ImageException("read auth file " + file + ": " + RegistryErrors.describe(e), e);
        }
    }
}
