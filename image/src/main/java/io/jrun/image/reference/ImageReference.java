package io.jrun.image.reference;

import io.jrun.image.ImageException;
import io.jrun.image.registry.RegistryReference;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Where an image is, in the transport syntax of skopeo and Podman: {@code oci:DIR[:TAG]},
 * {@code oci-archive:FILE[:TAG]}, {@code docker-archive:FILE[:NAME]},
 * {@code docker://HOST[:PORT]/REPO[:TAG|@DIGEST]}, or a plain name of an image in jrun's store.
 */
public sealed interface ImageReference {
    /** An OCI image layout, a directory or a tar archive of one; {@code tag} null for the only image in it. */
    record Layout(Path path, boolean archive, String tag) implements ImageReference {
        @Override
        public String toString() {
            return (archive ? "oci-archive:" : "oci:") + path + (tag == null ? "" : ":" + tag);
        }
    }

    /** A {@code docker save} archive; {@code name} null for its only image. */
    record DockerArchive(Path path, String name) implements ImageReference {
        @Override
        public String toString() {
            return "docker-archive:" + path + (name == null ? "" : ":" + name);
        }
    }

    /**
     * An image in a registry: {@code port} -1 for the default; {@code repository} with docker.io's
     * {@code library/} for one-word names; exactly one of {@code tag} and {@code digest}.
     */
    record Registry(String host, int port, String repository, String tag, String digest) implements ImageReference {
        /** The host and port as the registry's URL carries them. */
        public String authority() {
            return port < 0 ? host : host + ":" + port;
        }

        @Override
        public String toString() {
            return "docker://" + authority() + "/" + repository + (digest != null ? "@" + digest : ":" + tag);
        }
    }

    /** An image in jrun's local store, by the name it was pulled as. */
    record Stored(String name) implements ImageReference {
        @Override
        public String toString() {
            return name;
        }
    }

    String DOCKER_HUB = "docker.io";

    Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    /** What an OCI layout's org.opencontainers.image.ref.name may be, as containers/image accepts it. */
    Pattern LAYOUT_TAG = Pattern.compile("[A-Za-z0-9._:@/+-]+");

    /** Parses a reference; the error names the reference and what is wrong with it. */
    static ImageReference parse(String ref) throws ImageException {
        if (ref == null || ref.isEmpty()) {
            throw new ImageException("image reference: empty");
        }
        if (ref.startsWith("docker://")) {
            return registry(ref, ref.substring("docker://".length()));
        }
        int colon = ref.indexOf(':');
        String transport = colon < 0 ? "" : ref.substring(0, colon);
        switch (transport) {
            case "oci", "oci-archive" -> {
                String[] pt = pathAndSuffix(ref, ref.substring(colon + 1));
                if (pt[1] != null && !LAYOUT_TAG.matcher(pt[1]).matches()) {
                    throw new ImageException("image reference " + ref + ": invalid tag \"" + pt[1] + "\"");
                }
                return new Layout(Path.of(pt[0]), transport.equals("oci-archive"), pt[1]);
            }
            case "docker-archive" -> {
                String[] pn = pathAndSuffix(ref, ref.substring(colon + 1));
                return new DockerArchive(Path.of(pn[0]), pn[1]);
            }
            case "docker", "containers-storage", "dir", "docker-daemon", "sif" -> throw new ImageException(
                    "image reference " + ref + ": transport \"" + transport + "\" not supported"
                            + (transport.equals("docker") ? " (registries are docker://HOST/REPO)" : ""));
            default -> {
                return stored(ref);
            }
        }
    }

    private static String[] pathAndSuffix(String ref, String rest) throws ImageException {
        if (rest.isEmpty() || rest.startsWith(":")) {
            throw new ImageException("image reference " + ref + ": no path");
        }
        // as skopeo: the first ':' ends the path (a path with ':' cannot be named), the rest is the tag or name
        int c = rest.indexOf(':');
        if (c < 0) {
            return new String[] {rest, null};
        }
        String suffix = rest.substring(c + 1);
        if (suffix.isEmpty()) {
            throw new ImageException("image reference " + ref + ": empty tag after ':'");
        }
        return new String[] {rest.substring(0, c), suffix};
    }

    private static Stored stored(String name) throws ImageException {
        if (name.isBlank() || name.chars().anyMatch(ch -> ch <= ' ' || ch == 127) || name.startsWith("-")
                || name.contains("..") || name.startsWith("/")) {
            throw new ImageException("image reference " + name + ": not a valid image name");
        }
        return new Stored(name);
    }

    /** The registry's own grammar ({@link RegistryReference}), shown with Docker Hub as docker.io. */
    private static Registry registry(String ref, String rest) throws ImageException {
        RegistryReference r;
        try {
            r = RegistryReference.parse(rest);
        } catch (ImageException e) { // "invalid registry reference "REST": why": said of the whole reference
            String m = e.getMessage();
            String prefix = "invalid registry reference \"" + rest + "\": ";
            throw new ImageException("image reference " + ref + ": " + (m.startsWith(prefix) ? m.substring(prefix.length()) : m));
        }
        String host = r.host().equals(RegistryReference.DOCKER_HUB) ? DOCKER_HUB
                : r.host().contains(":") ? "[" + r.host() + "]" : r.host();
        return new Registry(host, r.port(), r.repository(), r.digest() != null ? null : r.tag(), r.digest());
    }
}
