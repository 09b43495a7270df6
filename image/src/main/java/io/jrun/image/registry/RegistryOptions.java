package io.jrun.image.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How to talk to registries.
 *
 * @param tlsVerify false as Podman's {@code --tls-verify=false}: HTTPS without checking the
 *     certificate, then plain HTTP when HTTPS fails. Registries on loopback always use plain HTTP.
 * @param authFiles the auth files to read credentials from, first match wins (see {@link AuthFiles})
 * @param userAgent the {@code User-Agent} header
 * @param connectTimeout the limit for opening a connection
 * @param requestTimeout the limit for a response's headers to arrive (not for a blob's body)
 */
public record RegistryOptions(boolean tlsVerify, List<Path> authFiles, String userAgent,
        Duration connectTimeout, Duration requestTimeout) {
    public static final String USER_AGENT = "jrun/0.1";

    public RegistryOptions {
        authFiles = List.copyOf(authFiles);
    }

    /**
     * TLS verified, the usual auth files for {@code env} (e.g. {@code System.getenv()}) and this
     * process's uid, 30 s and 5 min timeouts.
     */
    public static RegistryOptions defaults(Map<String, String> env) {
        return new RegistryOptions(true, AuthFiles.defaultPaths(env, uid()), USER_AGENT,
                Duration.ofSeconds(30), Duration.ofMinutes(5));
    }

    /** The effective uid: the owner of /proc/self (-1 when unknown, so no /run/containers path matches). */
    private static int uid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            return -1;
        }
    }

    public RegistryOptions withTlsVerify(boolean verify) {
        return new RegistryOptions(verify, authFiles, userAgent, connectTimeout, requestTimeout);
    }

    public RegistryOptions withAuthFiles(List<Path> files) {
        return new RegistryOptions(tlsVerify, files, userAgent, connectTimeout, requestTimeout);
    }

    public RegistryOptions withUserAgent(String agent) {
        return new RegistryOptions(tlsVerify, authFiles, agent, connectTimeout, requestTimeout);
    }

    public RegistryOptions withTimeouts(Duration connect, Duration request) {
        return new RegistryOptions(tlsVerify, authFiles, userAgent, connect, request);
    }
}
