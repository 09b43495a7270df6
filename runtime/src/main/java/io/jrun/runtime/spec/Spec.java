package io.jrun.runtime.spec;

import java.util.List;
import java.util.Map;

/**
 * The parts of an OCI runtime-spec config.json that jrun applies, as immutable
 * values.  Only {@link SpecReader} builds them from JSON.
 */
public record Spec(
        String ociVersion,
        Process process,
        Root root,
        String hostname,
        String domainname,
        List<Mount> mounts,
        Linux linux,
        Map<String, String> annotations) {

    public record Process(boolean terminal, User user, List<String> args, List<String> env, String cwd) {}

    public record User(long uid, long gid, List<Long> additionalGids) {}

    public record Root(String path, boolean readonly) {}

    public record Mount(String destination, String type, String source, List<String> options) {}

    public record Linux(
            List<Namespace> namespaces,
            List<Device> devices,
            String rootfsPropagation,
            List<String> maskedPaths,
            List<String> readonlyPaths) {}

    public record Namespace(String type, String path) {}

    /** A device node; {@code fileMode}, {@code uid} and {@code gid} are null when absent. */
    public record Device(String path, String type, long major, long minor, Long fileMode, Long uid, Long gid) {}
}
