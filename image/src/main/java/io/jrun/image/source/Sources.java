package io.jrun.image.source;

import io.jrun.image.ImageException;
import io.jrun.image.ImageSource;
import io.jrun.image.reference.ImageReference;
import io.jrun.image.registry.RegistryOptions;
import io.jrun.image.registry.RegistryReference;
import io.jrun.image.registry.RegistrySource;
import java.io.IOException;

/** Opens the source a reference names, and says which manifest in it the reference means. */
public final class Sources {
    private Sources() {}

    /** Opens the source of {@code ref}; a stored image has none (it is read from the store). */
    public static ImageSource open(ImageReference ref, RegistryOptions registry) throws ImageException {
        if (ref instanceof ImageReference.Layout l) {
            return OciLayoutSource.open(l.path(), l.archive());
        }
        if (ref instanceof ImageReference.DockerArchive d) {
            return DockerArchiveSource.open(d.path());
        }
        if (ref instanceof ImageReference.Registry r) {
            try {
                return RegistrySource.open(RegistryReference.parse(r.toString().substring("docker://".length())), registry);
            } catch (IOException e) {
                throw new ImageException("pull " + r + ": " + e.getMessage(), e);
            }
        }
        throw new ImageException(ref + ": an image in the local store has no source (pull from oci:, oci-archive:, docker-archive: or docker://)");
    }

    /** What to ask the source's {@link io.jrun.image.ImageSource#manifest} for: a tag, name or digest, or null for the only image. */
    public static String manifestReference(ImageReference ref) {
        if (ref instanceof ImageReference.Layout l) {
            return l.tag();
        }
        if (ref instanceof ImageReference.DockerArchive d) {
            return d.name();
        }
        if (ref instanceof ImageReference.Registry r) {
            return r.digest() != null ? r.digest() : r.tag();
        }
        return ((ImageReference.Stored) ref).name();
    }

    /** The name an image pulled from {@code ref} gets in the local store unless the user gives one. */
    public static String defaultName(ImageReference ref) {
        if (ref instanceof ImageReference.Layout l) {
            String base = l.path().toAbsolutePath().normalize().getFileName() == null ? "image"
                    : l.path().toAbsolutePath().normalize().getFileName().toString();
            if (l.archive() && base.endsWith(".tar")) {
                base = base.substring(0, base.length() - 4);
            }
            return base + ":" + (l.tag() == null ? "latest" : l.tag());
        }
        if (ref instanceof ImageReference.DockerArchive d) {
            if (d.name() != null && !d.name().startsWith("@")) {
                return d.name().contains(":") ? d.name() : d.name() + ":latest";
            }
            String base = d.path().getFileName().toString();
            return (base.endsWith(".tar") ? base.substring(0, base.length() - 4) : base) + ":latest";
        }
        if (ref instanceof ImageReference.Registry r) {
            return r.authority() + "/" + r.repository() + (r.digest() != null ? "@" + r.digest() : ":" + r.tag());
        }
        return ref.toString();
    }
}
