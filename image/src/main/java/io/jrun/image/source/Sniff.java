package io.jrun.image.source;

import io.jrun.image.ImageException;
import io.jrun.image.json.ImageJson;
import io.jrun.image.json.MediaTypes;

/** The media type of a manifest or index that came without one (a digest-only lookup). */
final class Sniff {
    private Sniff() {}

    /** Manifests larger than this are refused (the distribution spec's registries accept 4 MiB). */
    static final int MAX_MANIFEST = 4 << 20;

    static String mediaType(byte[] json, String what) throws ImageException {
        ImageJson.IndexJson probe = ImageJson.read(json, ImageJson.IndexJson.class, what);
        if (probe.mediaType() != null) {
            return probe.mediaType();
        }
        return probe.manifests() != null ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
    }
}
