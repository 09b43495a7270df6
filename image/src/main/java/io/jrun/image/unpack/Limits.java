package io.jrun.image.unpack;

/**
 * What an unpack refuses to go beyond, so that a hostile or broken image fails with a clear error
 * instead of filling the disk: the size of one file, the uncompressed bytes of one layer, the
 * entries of one layer, and the ratio of uncompressed to compressed bytes (checked once a layer
 * has produced {@code ratioAfter} bytes: gzip of zeros reaches about 1000:1, real layers 2-10:1).
 */
public record Limits(long maxFileSize, long maxLayerSize, long maxEntries, long maxRatio, long ratioAfter) {
    public static final Limits DEFAULT = new Limits(64L << 30, 256L << 30, 4_000_000, 1000, 1L << 30);
}
