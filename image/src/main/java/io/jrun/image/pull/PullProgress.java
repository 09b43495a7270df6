package io.jrun.image.pull;

import io.jrun.image.Descriptor;

/** What a pull reports as it goes: each blob's bytes so far. Called from the download threads. */
public interface PullProgress {
    PullProgress QUIET = new PullProgress() {};

    /** The blobs this pull stores (config and layers), before any is fetched. */
    default void started(java.util.List<Descriptor> blobs) {}

    /** {@code bytes} of {@code blob} are stored so far (a resumed download starts above zero). */
    default void advanced(Descriptor blob, long bytes) {}

    /** Every blob is stored, or the pull failed. */
    default void finished() {}
}
