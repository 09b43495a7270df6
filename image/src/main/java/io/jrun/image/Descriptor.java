package io.jrun.image;

/**
 * An OCI content descriptor: what a manifest, an index or a layer is, by media type, digest
 * ("sha256:" and 64 hex digits) and size in bytes.
 */
public record Descriptor(String mediaType, String digest, long size) {}
