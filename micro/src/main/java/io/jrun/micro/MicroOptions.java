package io.jrun.micro;

import java.nio.file.Path;
import java.util.List;

/**
 * What to build: the source ({@code image}, a reference `jrun unpack` takes, or the host's
 * {@code /} when {@code fromHost}), the command ({@code entrypoint} and {@code args}; the image's
 * when both are empty), files to add ({@code add}: paths or globs, directories whole), the
 * process user and environment, the workload to trace (null: no trace), and the outputs (at least
 * one of {@code ociLayout}, {@code ociArchive}, {@code bundle}).
 */
public record MicroOptions(String image, boolean fromHost, Path imageRoot, List<String> entrypoint, List<String> args,
        List<String> add, String user, List<String> env, String workdir, String trace, Path ociLayout,
        Path ociArchive, String tag, Path bundle, Path stateRoot) {
    public MicroOptions {
        entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
        args = args == null ? List.of() : List.copyOf(args);
        add = add == null ? List.of() : List.copyOf(add);
        env = env == null ? List.of() : List.copyOf(env);
    }
}
