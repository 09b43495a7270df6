package io.jrun.image;

/** A one-line error about an image: the operation, the object (reference, digest, entry) and why. */
public class ImageException extends Exception {
    private static final long serialVersionUID = 1L;

    public ImageException(String message) {
        super(message);
    }

    public ImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
