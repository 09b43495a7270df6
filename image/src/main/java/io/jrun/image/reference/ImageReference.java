package io.jrun.image.reference;

import io.jrun.image.ImageException;
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
    Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    /** What an OCI layout's org.opencontainers.image.ref.name may be, as containers/image accepts it. */
    Pattern LAYOUT_TAG = Pattern.compile("[A-Za-z0-9._:@/+-]+");
    Pattern REPOSITORY = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
    Pattern HOST = Pattern.compile("(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:.]+\\]");

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

    private static Registry registry(String ref, String rest) throws ImageException {
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (!DIGEST.matcher(digest).matches()) {
                throw new ImageException("image reference " + ref + ": invalid digest \"" + digest
                        + "\" (expected sha256: and 64 hex digits)");
            }
        }
        String tag = null;
        int slash = rest.lastIndexOf('/');
        int c = rest.indexOf(':', slash + 1);
        if (c >= 0) {
            tag = rest.substring(c + 1);
            rest = rest.substring(0, c);
            if (!TAG.matcher(tag).matches()) {
                throw new ImageException("image reference " + ref + ": invalid tag \"" + tag + "\"");
            }
        }
        String host = DOCKER_HUB;
        int port = -1;
        String repo = rest;
        int first = rest.indexOf('/');
        String head = first < 0 ? null : rest.substring(0, first);
        if (head != null && (head.contains(".") || head.contains(":") || head.equals("localhost") || head.startsWith("["))) {
            repo = rest.substring(first + 1);
            host = head;
            int pc = head.lastIndexOf(':');
            if (pc >= 0 && pc > head.lastIndexOf(']')) {
                host = head.substring(0, pc);
                try {
                    port = Integer.parseInt(head.substring(pc + 1));
                } catch (NumberFormatException e) {
                    port = 0;
                }
                if (port < 1 || port > 65535) {
                    throw new ImageException("image reference " + ref + ": invalid port \"" + head.substring(pc + 1) + "\"");
                }
            }
            if (!HOST.matcher(host).matches()) {
                throw new ImageException("image reference " + ref + ": invalid registry host \"" + host + "\"");
            }
        }
        if (repo.isEmpty()) {
            throw new ImageException("image reference " + ref + ": no repository");
        }
        if (host.equals(DOCKER_HUB) || host.equals("index.docker.io")) {
            host = DOCKER_HUB;
            if (!repo.contains("/")) {
                repo = "library/" + repo;
            }
        }
        if (!REPOSITORY.matcher(repo).matches()) {
            throw new ImageException("image reference " + ref + ": invalid repository \"" + repo
                    + "\" (lower-case letters, digits, separators . _ - and /)");
        }
        if (tag == null && digest == null) {
            tag = "latest";
        }
        if (tag != null && digest != null) {
            throw new ImageException("image reference " + ref + ": both a tag and a digest; give one");
        }
        return new Registry(host, port, repo, tag, digest);
    }
}
