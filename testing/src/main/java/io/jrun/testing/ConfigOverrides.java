package io.jrun.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies a {@link ContainerSpec} to a config.json's values (the runtime's {@code jrun spec}
 * defaults, or an image's or bundle's config as the runtime's JSON reader read it); the runtime's
 * SpecReader and SpecValidator then check the result when the container is created.
 */
final class ConfigOverrides {
    private ConfigOverrides() {}

    /**
     * {@code cgroup}: the container's cgroup, relative to this JVM's own, when the base config names
     * none: one directory per container and no parent shared with other containers, whose creation
     * and removal by other threads would race with this one's.
     */
    static void apply(Map<String, Object> config, ContainerSpec spec, Path rootfs, String cgroup) {
        Map<String, Object> process = child(config, "process");
        process.put("terminal", false);
        if (spec.command() != null) {
            process.put("args", new ArrayList<>(spec.command()));
        }
        if (!spec.env().isEmpty()) {
            List<Object> env = new ArrayList<>(list(process.get("env")));
            for (Map.Entry<String, String> e : spec.env().entrySet()) {
                String prefix = e.getKey() + "=";
                env.removeIf(v -> String.valueOf(v).startsWith(prefix));
                env.add(prefix + e.getValue());
            }
            process.put("env", env);
        }
        if (spec.workdir() != null) {
            process.put("cwd", spec.workdir());
        }
        if (spec.user() != null) {
            Map<String, Object> user = child(process, "user");
            String[] ug = spec.user().split(":");
            user.put("uid", Long.parseLong(ug[0]));
            user.put("gid", Long.parseLong(ug.length > 1 ? ug[1] : ug[0]));
            user.remove("additionalGids");
        }
        if (spec.hostname() != null) {
            config.put("hostname", spec.hostname());
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("path", rootfs.toString());
        root.put("readonly", spec.readOnlyRoot());
        config.put("root", root);

        List<Object> mounts = new ArrayList<>(list(config.get("mounts")));
        for (ContainerSpec.Bind b : spec.binds()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("destination", b.containerPath());
            m.put("type", "bind");
            m.put("source", b.hostPath().toString());
            // rro: read-only all the way down (mount_setattr AT_RECURSIVE), as "ro" alone is only for the top mount
            m.put("options", b.readOnly() ? List.of("rbind", "ro", "rro") : List.of("rbind", "rw"));
            mounts.add(m);
        }
        for (ContainerSpec.Tmpfs t : spec.tmpfs()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("destination", t.containerPath());
            m.put("type", "tmpfs");
            m.put("source", "tmpfs");
            List<String> options = new ArrayList<>(List.of("nosuid", "nodev"));
            for (String o : t.options().split(",")) {
                if (!o.isBlank()) {
                    options.add(o.trim());
                }
            }
            m.put("options", options);
            mounts.add(m);
        }
        config.put("mounts", mounts);

        Map<String, Object> linux = child(config, "linux");
        List<Object> namespaces = new ArrayList<>();
        for (Object o : list(linux.get("namespaces"))) {
            Map<String, Object> ns = Container.asMap(o, "linux.namespaces[]");
            if (!"network".equals(ns.get("type"))) {
                namespaces.add(ns);
            }
        }
        Network n = spec.network();
        if (!(n instanceof Network.Host)) {
            Map<String, Object> net = new LinkedHashMap<>();
            net.put("type", "network");
            if (n instanceof Network.Join j) {
                net.put("path", j.path.toString());
            }
            namespaces.add(net);
        }
        linux.put("namespaces", namespaces);
        if (linux.get("cgroupsPath") == null || "".equals(linux.get("cgroupsPath"))) {
            linux.put("cgroupsPath", cgroup);
        }
        if (spec.memoryLimit() != null) {
            child(child(linux, "resources"), "memory").put("limit", spec.memoryLimit());
        }
    }

    private static Map<String, Object> child(Map<String, Object> parent, String key) {
        Object o = parent.get(key);
        if (o == null) {
            Map<String, Object> m = new LinkedHashMap<>();
            parent.put(key, m);
            return m;
        }
        return Container.asMap(o, key);
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return o instanceof List ? (List<Object>) o : List.of();
    }
}
