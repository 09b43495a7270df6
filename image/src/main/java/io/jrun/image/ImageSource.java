package io.jrun.image;

import java.io.IOException;
import java.io.InputStream;

/**
 * Where an image's manifests and blobs come from: an OCI layout (directory or archive), a docker
 * archive, or a registry. A source only serves bytes; choosing a platform from an index, verifying
 * digests and storing blobs are the caller's work, the same for every source.
 */
public interface ImageSource extends AutoCloseable {
    /** A manifest or index as served: its media type and exact bytes (the digest is of these bytes). */
    record Manifest(String mediaType, byte[] bytes) {}

    /**
     * The manifest or index that {@code reference} names: a tag, or a digest ("sha256:...") as
     * found in an index. Sources without tags (a docker archive) take the name they were opened for.
     */
    Manifest manifest(String reference) throws IOException, ImageException;

    /**
     * The bytes of a blob (a config or a layer) from {@code offset} on, so that an interrupted
     * download can continue; the caller checks size and digest.
     */
    InputStream blob(Descriptor descriptor, long offset) throws IOException, ImageException;

    @Override
    void close() throws IOException;
}
