package io.jrun.image.json;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jrun.image.Descriptor;
import io.jrun.image.ImageException;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The JSON shapes of images (OCI image-spec and Docker schema 2), as plain records kept apart from
 * the rest of the code; {@link #read} turns bytes into one with an error that names the document.
 */
public final class ImageJson {
    private ImageJson() {}

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    public static <T> T read(byte[] bytes, Class<T> type, String what) throws ImageException {
        try {
            T t = MAPPER.readValue(bytes, type);
            if (t == null) {
                throw new ImageException("read " + what + ": empty JSON document");
            }
            return t;
        } catch (IOException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage().split("\n")[0];
            throw new ImageException("read " + what + ": malformed JSON: " + m);
        }
    }

    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalStateException("write JSON of " + value.getClass().getSimpleName(), e);
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record PlatformJson(String architecture, String os, String variant) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record DescriptorJson(String mediaType, String digest, long size, PlatformJson platform,
            Map<String, String> annotations) {
        public Descriptor toDescriptor() {
            return new Descriptor(mediaType, digest, size);
        }

        public static DescriptorJson of(Descriptor d) {
            return new DescriptorJson(d.mediaType(), d.digest(), d.size(), null, null);
        }
    }

    /** An OCI image index or a Docker manifest list. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record IndexJson(int schemaVersion, String mediaType, List<DescriptorJson> manifests) {}

    /** An OCI image manifest or a Docker schema-2 manifest. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ManifestJson(int schemaVersion, String mediaType, DescriptorJson config, List<DescriptorJson> layers) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RootfsJson(String type, @JsonProperty("diff_ids") List<String> diffIds) {}

    /** The part of an image config that makes the bundle's process. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ContainerConfigJson(
            @JsonProperty("User") String user,
            @JsonProperty("ExposedPorts") Map<String, Object> exposedPorts,
            @JsonProperty("Env") List<String> env,
            @JsonProperty("Entrypoint") List<String> entrypoint,
            @JsonProperty("Cmd") List<String> cmd,
            @JsonProperty("WorkingDir") String workingDir,
            @JsonProperty("Labels") Map<String, String> labels,
            @JsonProperty("StopSignal") String stopSignal) {}

    /** An image config (OCI or Docker: the same shape). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ConfigJson(String created, String architecture, String os, String variant,
            ContainerConfigJson config, RootfsJson rootfs) {}

    /** One image in a {@code docker save} archive's manifest.json. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record DockerArchiveEntryJson(@JsonProperty("Config") String config,
            @JsonProperty("RepoTags") List<String> repoTags, @JsonProperty("Layers") List<String> layers) {}
}
