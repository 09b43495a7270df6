package io.jrun.runtime.state;

import java.util.LinkedHashMap;
import java.util.List;
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
        boolean started,
        CgroupRecord cgroup) {

    /** The container's cgroup: its directories and those of them jrun made (removed at delete). */
    public record CgroupRecord(boolean v2, List<String> dirs, List<String> created) {}

    public ContainerState asStarted() {
        return new ContainerState(id, pid, pidStartTime, bundle, rootfs, created, annotations, true, cgroup);
    }

    /** The OCI state JSON as runc prints it, with the given status. */
    public Map<String, Object> toOci(String status) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("ociVersion", io.jrun.runtime.spec.Spec.RUNTIME_SPEC_VERSION);
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
