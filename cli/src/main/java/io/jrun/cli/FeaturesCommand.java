package io.jrun.cli;

import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.plan.MountOptions;
import io.jrun.runtime.security.Capabilities;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code jrun features}: what this jrun supports, as runc prints it; only what works is advertised. */
final class FeaturesCommand implements Main.Command {
    @Override public String summary() { return "print the features this jrun supports, as JSON"; }
    @Override public String usage() { return "features"; }
    @Override public Flags flags() { return new Flags(); }

    @Override
    public int run(Main.Global global, Flags.Parsed args) {
        Map<String, Object> off = Map.of("enabled", false);
        Map<String, Object> linux = new LinkedHashMap<>();
        linux.put("namespaces", List.of("cgroup", "ipc", "mount", "network", "pid", "uts"));
        linux.put("capabilities", Capabilities.names());
        linux.put("cgroup", Map.of("v1", true, "v2", true, "systemd", false, "systemdUser", false));
        linux.put("seccomp", off);
        linux.put("apparmor", off);
        linux.put("selinux", off);
        linux.put("intelRdt", off);
        linux.put("mountExtensions", Map.of("idmap", off));
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("ociVersionMin", "1.0.0");
        f.put("ociVersionMax", "1.2.0");
        f.put("hooks", List.of("prestart", "createRuntime", "createContainer", "startContainer", "poststart",
                "poststop"));
        f.put("mountOptions", new ArrayList<>(MountOptions.knownOptions()));
        f.put("linux", linux);
        f.put("annotations", Map.of("io.github.jrun.version", Main.VERSION));
        System.out.print(JsonWriter.pretty(f));
        return 0;
    }
}
