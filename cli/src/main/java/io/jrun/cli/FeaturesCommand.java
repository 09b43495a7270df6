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
        linux.put("namespaces", List.of("cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"));
        linux.put("capabilities", Capabilities.names());
        linux.put("cgroup", Map.of("v1", true, "v2", true, "systemd", false, "systemdUser", false));
        Map<String, Object> seccomp = new LinkedHashMap<>();
        seccomp.put("enabled", true);
        seccomp.put("actions", List.of("SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"));
        seccomp.put("operators", List.of("SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
                "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"));
        seccomp.put("archs", List.of("SCMP_ARCH_AARCH64", "SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"));
        seccomp.put("knownFlags", List.of("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"));
        linux.put("seccomp", seccomp);
        linux.put("apparmor", off);
        linux.put("selinux", off);
        linux.put("intelRdt", off);
        // idmapped bind mounts (mounts[].uidMappings with "idmap"/"ridmap"): open_tree + mount_setattr
        linux.put("mountExtensions", Map.of("idmap", Map.of("enabled", true)));
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("ociVersionMin", "1.0.0");
        f.put("ociVersionMax", io.jrun.runtime.spec.Spec.RUNTIME_SPEC_VERSION);
        f.put("hooks", List.of("prestart", "createRuntime", "createContainer", "startContainer", "poststart",
                "poststop"));
        f.put("mountOptions", new ArrayList<>(MountOptions.knownOptions()));
        f.put("linux", linux);
        // a user namespace that does not map the rootfs's owner gets the rootfs through an idmapped mount
        f.put("annotations", Map.of("io.github.jrun.version", Main.VERSION, "io.github.jrun.rootfs.idmap",
                "when-owner-unmapped"));
        System.out.print(JsonWriter.pretty(f));
        return 0;
    }
}
