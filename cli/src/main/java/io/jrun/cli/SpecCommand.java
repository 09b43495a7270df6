package io.jrun.cli;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.spec.DefaultSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code jrun spec}: writes a default config.json, as {@code runc spec} does. */
final class SpecCommand implements Main.Command {
    private static final Flags FLAGS = new Flags()
            .value("bundle directory to write config.json into (default: the current directory)", "bundle", "b");

    @Override
    public String summary() {
        return "write a default config.json (runs sh in ./rootfs, isolated in new namespaces)";
    }

    @Override
    public String usage() {
        return "spec [--bundle DIR]";
    }

    @Override
    public Flags flags() {
        return FLAGS;
    }

    @Override
    public int run(Main.Global global, Flags.Parsed args) throws JrunException {
        Path config = Path.of(args.values().getOrDefault("bundle", "")).resolve("config.json");
        if (Files.exists(config)) {
            throw new JrunException("write " + config + ": File exists (EEXIST): remove it first");
        }
        try {
            Files.writeString(config, JsonWriter.pretty(DefaultSpec.create(List.of("sh"))));
        } catch (IOException e) {
            throw new JrunException("write " + config + ": " + e.getMessage());
        }
        return 0;
    }
}
