package io.jrun.image.registry;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;

/**
 * A user name and password for a registry, and the auth file they came from (for error messages).
 */
public record Credentials(String username, String password, Path source) {
    /** The value of an {@code Authorization: Basic} header. */
    public String basicAuthorization() {
        return "Basic " + Base64.getEncoder().encodeToString(
                (username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** Never prints the password. */
    @Override
    public String toString() {
        return "Credentials[" + username + " from " + source + "]";
    }
}
