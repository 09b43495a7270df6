package io.jrun.image.registry;

import io.jrun.image.ImageException;
import java.util.regex.Pattern;

/**
 * An image in a registry: {@code HOST[:PORT]/REPO[:TAG|@DIGEST]}, as after skopeo's
 * {@code docker://}. The host is {@code registry-1.docker.io} (Docker Hub's API endpoint) when the
 * name has none, and a one-part repository there is under {@code library/}, as Docker does.
 *
 * @param host the registry's host name or IP address (an IPv6 address without brackets)
 * @param port the registry's port, or -1 for the scheme's default
 * @param repository the repository path, e.g. {@code library/busybox}
 * @param tag the tag, or null when the reference is by digest alone
 * @param digest the manifest's digest ({@code sha256:...}), or null
 */
public record RegistryReference(String host, int port, String repository, String tag, String digest) {
    /** Docker Hub's API endpoint: where names without a registry go. */
    public static final String DOCKER_HUB = "registry-1.docker.io";
    public static final String DEFAULT_TAG = "latest";

    // The distribution spec's grammar (reference.go): lowercase path components joined by / .
    private static final Pattern REPOSITORY = Pattern.compile(
            "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
    /** The distribution spec's tag and digest grammars, for references and what manifests name. */
    static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    static final Pattern DIGEST = Pattern.compile("[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}");
    private static final Pattern SHA256 = Pattern.compile("sha256:[a-f0-9]{64}");
    private static final String LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?";
    private static final Pattern HOST = Pattern.compile(LABEL + "(?:\\." + LABEL + ")*");

    public RegistryReference {
        if (tag == null && digest == null) {
            tag = DEFAULT_TAG;
        }
    }

    /**
     * Parses {@code HOST[:PORT]/REPO[:TAG|@DIGEST]} (also {@code REPO:TAG@DIGEST}, where the digest
     * wins). The first component is a host when it has a dot or a port, is {@code localhost}, or is
     * an IPv6 address in brackets; otherwise the name is on Docker Hub.
     */
    public static RegistryReference parse(String withoutScheme) throws ImageException {
        String s = withoutScheme;
        if (s == null || s.isEmpty()) {
            throw invalid(s, "empty");
        }
        String digest = null;
        int at = s.indexOf('@');
        if (at >= 0) {
            digest = s.substring(at + 1);
            s = s.substring(0, at);
            if (!DIGEST.matcher(digest).matches()) {
                throw invalid(withoutScheme, "bad digest \"" + digest + "\"");
            }
            if (digest.startsWith("sha256:") && !SHA256.matcher(digest).matches()) {
                throw invalid(withoutScheme, "a sha256 digest is 64 lowercase hex digits");
            }
        }
        String host = DOCKER_HUB;
        int port = -1;
        String rest = s;
        int slash = s.indexOf('/');
        if (slash > 0) {
            String first = s.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost") || first.startsWith("[")) {
                rest = s.substring(slash + 1);
                String hostPart = first;
                if (first.startsWith("[")) {
                    int close = first.indexOf(']');
                    if (close < 0) {
                        throw invalid(withoutScheme, "unclosed [ in the registry address");
                    }
                    host = first.substring(1, close);
                    hostPart = first.substring(close + 1);
                    if (!hostPart.isEmpty() && !hostPart.startsWith(":")) {
                        throw invalid(withoutScheme, "bad registry address \"" + first + "\"");
                    }
                    port = hostPart.isEmpty() ? -1 : port(withoutScheme, hostPart.substring(1));
                } else {
                    int colon = first.indexOf(':');
                    host = colon < 0 ? first : first.substring(0, colon);
                    port = colon < 0 ? -1 : port(withoutScheme, first.substring(colon + 1));
                    if (!HOST.matcher(host).matches()) {
                        throw invalid(withoutScheme, "bad registry host \"" + host + "\"");
                    }
                }
                if (host.equals("docker.io") || host.equals("index.docker.io")) {
                    host = DOCKER_HUB;
                }
            }
        }
        String tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon >= 0 && rest.indexOf('/', colon) < 0) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw invalid(withoutScheme, "bad tag \"" + tag + "\"");
            }
        }
        if (!REPOSITORY.matcher(rest).matches()) {
            throw invalid(withoutScheme, rest.isEmpty() ? "no repository"
                    : "bad repository \"" + rest + "\" (lowercase letters, digits, separators . _ __ - and /)");
        }
        if (rest.length() > 255) {
            throw invalid(withoutScheme, "repository longer than 255 characters");
        }
        if (host.equals(DOCKER_HUB) && port < 0 && !rest.contains("/")) {
            rest = "library/" + rest;
        }
        return new RegistryReference(host, port, rest, tag, digest);
    }

    private static int port(String ref, String text) throws ImageException {
        try {
            int port = Integer.parseInt(text);
            if (port > 0 && port < 65536) {
                return port;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw invalid(ref, "bad port \"" + text + "\"");
    }

    private static ImageException invalid(String ref, String why) {
        return new ImageException("invalid registry reference \"" + ref + "\": " + why);
    }

    /** {@code host[:port]}, with brackets around an IPv6 address: the URL authority and the auth files' key. */
    public String authority() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return port < 0 ? h : h + ":" + port;
    }

    /** The digest when there is one, else the tag: what {@code /v2/REPO/manifests/} is asked for. */
    public String reference() {
        return digest != null ? digest : tag;
    }

    /** The same repository and registry, another tag or digest. */
    public RegistryReference withReference(String tagOrDigest) {
        return tagOrDigest.contains(":")
                ? new RegistryReference(host, port, repository, null, tagOrDigest)
                : new RegistryReference(host, port, repository, tagOrDigest, null);
    }

    /** {@code host[:port]/repository[:tag][@digest]}. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(authority()).append('/').append(repository);
        if (tag != null) {
            b.append(':').append(tag);
        }
        if (digest != null) {
            b.append('@').append(digest);
        }
        return b.toString();
    }
}
