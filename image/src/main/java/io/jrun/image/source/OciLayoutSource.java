package io.jrun.image.source;

import io.jrun.image.Descriptor;
import io.jrun.image.ImageException;
import io.jrun.image.ImageSource;
import io.jrun.image.json.ImageJson;
import io.jrun.image.json.ImageJson.DescriptorJson;
import io.jrun.image.json.ImageJson.IndexJson;
import io.jrun.image.json.MediaTypes;
import io.jrun.image.reference.ImageReference;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An OCI image layout (image-spec's image-layout.md), as a directory or a tar archive of one: the
 * images are the manifests in {@code index.json}, tagged by their {@code org.opencontainers.image.ref.name}
 * annotation; blobs are {@code blobs/ALG/HEX}.
 */
public final class OciLayoutSource implements ImageSource {
    static final String REF_NAME = "org.opencontainers.image.ref.name";

    private final Entries entries;
    private final String where;
    private final IndexJson index;

    private OciLayoutSource(Entries entries, String where) throws IOException, ImageException {
        this.entries = entries;
        this.where = where;
        byte[] layout = entries.read("oci-layout");
        if (layout == null) {
            throw new ImageException(where + ": not an OCI image layout (no oci-layout file)");
        }
        byte[] idx = entries.read("index.json");
        if (idx == null) {
            throw new ImageException(where + ": not an OCI image layout (no index.json)");
        }
        this.index = ImageJson.read(idx, IndexJson.class, where + "/index.json");
        if (index.manifests() == null) {
            throw new ImageException(where + "/index.json: no \"manifests\"");
        }
    }

    /** Opens the layout directory or archive {@code path}; {@code archive} says which it is. */
    public static OciLayoutSource open(Path path, boolean archive) throws ImageException {
        String where = (archive ? "oci-archive:" : "oci:") + path;
        Entries e = null;
        try {
            if (archive) {
                if (!Files.isRegularFile(path)) {
                    throw new ImageException("open " + where + ": no such file");
                }
                e = Entries.tar(path);
            } else {
                if (!Files.isDirectory(path)) {
                    throw new ImageException("open " + where + ": no such directory");
                }
                e = Entries.directory(path);
            }
            return new OciLayoutSource(e, where);
        } catch (IOException ex) {
            closeQuietly(e);
            throw new ImageException("open " + where + ": " + ex.getMessage());
        } catch (ImageException ex) {
            closeQuietly(e);
            throw ex;
        }
    }

    /** The tags in index.json, in its order. */
    public List<String> tags() {
        List<String> tags = new ArrayList<>();
        for (DescriptorJson d : index.manifests()) {
            if (d.annotations() != null && d.annotations().get(REF_NAME) != null) {
                tags.add(d.annotations().get(REF_NAME));
            }
        }
        return tags;
    }

    /**
     * {@code reference}: a tag; a digest of a manifest or index in the layout; or null for the
     * layout's only image.
     */
    @Override
    public Manifest manifest(String reference) throws IOException, ImageException {
        DescriptorJson found = null;
        if (reference == null) {
            if (index.manifests().size() != 1) {
                throw new ImageException(where + ": holds " + index.manifests().size()
                        + " images: name one by tag (tags: " + String.join(", ", tags()) + ")");
            }
            found = index.manifests().get(0);
        } else if (ImageReference.DIGEST.matcher(reference).matches()) {
            for (DescriptorJson d : index.manifests()) {
                if (reference.equals(d.digest())) {
                    found = d;
                }
            }
            if (found == null) { // a manifest an index in the layout names
                byte[] b = readBlob(reference);
                return new Manifest(Sniff.mediaType(b, where + " manifest " + reference), b);
            }
        } else {
            for (DescriptorJson d : index.manifests()) {
                if (d.annotations() != null && reference.equals(d.annotations().get(REF_NAME))) {
                    found = d;
                }
            }
            if (found == null) {
                throw new ImageException(where + ": no image tagged \"" + reference + "\" (tags: "
                        + (tags().isEmpty() ? "none" : String.join(", ", tags())) + ")");
            }
        }
        byte[] b = readBlob(found.digest());
        String type = found.mediaType() != null ? found.mediaType() : Sniff.mediaType(b, where + " manifest " + found.digest());
        return new Manifest(type, b);
    }

    private byte[] readBlob(String digest) throws IOException, ImageException {
        try (InputStream in = blob(new Descriptor(MediaTypes.OCI_MANIFEST, digest, -1), 0)) {
            return in.readNBytes(Sniff.MAX_MANIFEST + 1);
        }
    }

    @Override
    public InputStream blob(Descriptor d, long offset) throws IOException, ImageException {
        if (d.digest() == null || !ImageReference.DIGEST.matcher(d.digest()).matches()) {
            throw new ImageException(where + ": unsupported digest \"" + d.digest() + "\" (only sha256)");
        }
        InputStream in = entries.open("blobs/sha256/" + d.digest().substring(7), offset);
        if (in == null) {
            throw new ImageException(where + ": blob " + d.digest() + " is missing (no blobs/sha256/"
                    + d.digest().substring(7) + ")");
        }
        return in;
    }

    @Override
    public void close() throws IOException {
        entries.close();
    }

    static void closeQuietly(Entries e) {
        if (e != null) {
            try {
                e.close();
            } catch (IOException ignored) {
                // the open failed already; that error is the one to report
            }
        }
    }
}
