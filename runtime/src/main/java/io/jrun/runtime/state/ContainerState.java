package io.jrun.runtime.state;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What jrun records of a container in {@code <root>/<id>/state.json}: the OCI state
 * (id, pid, bundle, annotations...), whether it was started, and the start time of the
 * init's pid, which tells the init from a process that reused its pid.  "stopped" is
 * never stored: whether the init lives is asked of the kernel each time.
 */
public record ContainerState(
        String id,
        long pid,
        long pidStartTime,
        String bundle,
        String rootfs,
        String created,
        Map<String, String> annotations,
        boolean started) {

    public ContainerState asStarted() {
        return new ContainerState(id, pid, pidStartTime, bundle, rootfs, created, annotations, true);
    }

    /** The OCI state JSON as runc prints it, with the given status. */
    public Map<String, Object> toOci(String status) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("ociVersion", "1.0.2");
        s.put("id", id);
        s.put("pid", status.equals("stopped") ? 0L : pid);
        s.put("status", status);
        s.put("bundle", bundle);
        s.put("rootfs", rootfs);
        s.put("created", created);
        s.put("owner", "");
        if (!annotations.isEmpty()) {
            s.put("annotations", new LinkedHashMap<>(annotations));
        }
        return s;
    }
}
