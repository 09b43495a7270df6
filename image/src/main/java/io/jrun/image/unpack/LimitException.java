package io.jrun.image.unpack;

import java.io.IOException;

/** A limit a layer's stream went past; raised inside the stream, reported with the entry being read. */
final class LimitException extends IOException {
    private static final long serialVersionUID = 1L;

    LimitException(String message) {
        super(message);
    }
}
