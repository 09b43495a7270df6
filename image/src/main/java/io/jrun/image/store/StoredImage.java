package io.jrun.image.store;

/**
 * An image in the local store: its name, the digest of its (platform) manifest, the bytes of its
 * manifest, config and layers as stored, and when the image was built (its config's "created").
 */
public record StoredImage(String name, String digest, long size, String created) {}
