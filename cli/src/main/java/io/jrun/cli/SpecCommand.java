package io.jrun.cli;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.spec.DefaultSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code jrun spec}: writes the config.json {@code runc spec} writes ({@code --rootless}: that of
 * {@code runc spec --rootless}); {@code --hardened} writes jrun's hardened profile instead.
 */
final class SpecCommand implements Main.Command {
    private static final Flags FLAGS = new Flags()
            .value("bundle directory to write config.json into (default: the current directory)", "bundle", "b")
            .bool("a configuration for a rootless container (root mapped to the caller's uid and gid)", "rootless")
            .bool("jrun's hardened profile: a seccomp profile, a cgroup namespace, no terminal", "hardened");

    @Override
    public String summary() {
        return "write a default config.json, as runc spec does (runs sh in ./rootfs, isolated in new namespaces)";
    }

    @Override
    public String usage() {
        return "spec [--bundle DIR] [--rootless | --hardened]";
    }

    @Override
    public Flags flags() {
        return FLAGS;
    }

    @Override
    public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
        if (!args.rest().isEmpty()) {
            throw new Flags.UsageException("spec: expected no arguments, got " + args.rest().size());
        }
        if (args.is("rootless") && args.is("hardened")) {
            throw new Flags.UsageException("spec: --rootless and --hardened exclude each other");
        }
        Path config = Path.of(args.values().getOrDefault("bundle", "")).resolve("config.json");
        if (Files.exists(config)) {
            throw new JrunException("write " + config + ": File exists (EEXIST): remove it first");
        }
        try {
            List<String> sh = List.of("sh");
            Map<String, Object> spec = args.is("hardened") ? DefaultSpec.create(sh)
                    : args.is("rootless") ? DefaultSpec.rootless(sh, ids("Uid:"), ids("Gid:")) : DefaultSpec.runc(sh);
            Files.writeString(config, JsonWriter.pretty(spec));
        } catch (IOException e) {
            throw new JrunException("write " + config + ": " + io.jrun.runtime.plan.Errno.describe(e));
        }
        return 0;
    }

    /** The caller's real uid or gid, from /proc/self/status (no native call on the CLI's path). */
    private static long ids(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field)) {
                String v = line.substring(field.length()).trim();
                int tab = v.indexOf('\t');
                return Long.parseLong(tab < 0 ? v : v.substring(0, tab));
            }
        }
        throw new IOException("no " + field + " in /proc/self/status");
    }
}
