package io.jrun.cli;

import io.jrun.runtime.JrunException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code jrun micro}: the smallest image that still runs the app. Only flags here; the work is in
 * the micro module, reached through {@link Task}, which the JVM loads only when this command runs
 * (a {@code jrun run} loads none of its classes).
 */
final class MicroCommand implements Main.Command {
    private static final Flags FLAGS = new Flags()
            .value("the image store (default: " + ImageCommands.DEFAULT_IMAGE_ROOT + ")", "image-root")
            .bool("take the files from the host's / instead of an image", "from-host")
            .values("the program and its first arguments, one per flag (default: the image's Entrypoint)",
                    "entrypoint")
            .values("an argument after the entrypoint, one per flag (or all after --)", "args")
            .values("a file, directory (whole) or glob in the source to keep, e.g. /usr/lib/python3.11/**"
                    + " (repeatable)", "add")
            .value("the process user: NAME, UID, NAME:GROUP or UID:GID (default: the image's, else root)", "user", "u")
            .values("set an environment variable KEY=VALUE (repeatable)", "env", "e")
            .value("the working directory (default: the image's, else /)", "cwd")
            .value("a shell line to run in a container over the full root and then over the result, until the"
                    + " result needs nothing new and does the same", "trace")
            .value("write an OCI image layout directory", "oci")
            .value("write an oci-archive tar: FILE[:TAG]", "oci-archive")
            .value("the tag in the OCI output (default: latest)", "tag")
            .value("write a bundle directory (rootfs + config.json)", "bundle");

    @Override public String summary() { return "build the smallest image that still runs a program (ELF closure, trace)"; }

    @Override
    public String usage() {
        return "micro [--from-host | REF] [--entrypoint ARG]... [--add PATH|GLOB]... [--user U] [--env K=V]..."
                + " [--trace 'SHELL LINE'] (--oci DIR | --oci-archive FILE[:TAG] | --bundle DIR)... [-- ARGS...]";
    }

    @Override public Flags flags() { return FLAGS; }

    @Override
    public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
        List<String> rest = args.rest();
        String ref = null;
        int from = 0;
        if (!args.is("from-host")) {
            if (rest.isEmpty()) {
                throw new Flags.UsageException("micro: expected an image reference or --from-host");
            }
            ref = rest.get(0);
            from = 1;
        }
        List<String> cmdArgs = new ArrayList<>(args.all("args"));
        cmdArgs.addAll(rest.subList(from, rest.size()));
        String archive = args.get("oci-archive");
        String tag = args.get("tag");
        if (archive != null) {
            int colon = archive.lastIndexOf(':');
            if (colon > 0 && archive.indexOf('/', colon) < 0) {
                tag = tag != null ? tag : archive.substring(colon + 1);
                archive = archive.substring(0, colon);
            }
        }
        if (args.get("oci") == null && archive == null && args.get("bundle") == null) {
            throw new Flags.UsageException("micro: no output: give --oci DIR, --oci-archive FILE[:TAG] or --bundle DIR");
        }
        Task.build(ref, args.is("from-host"), Path.of(args.values().getOrDefault("image-root",
                ImageCommands.DEFAULT_IMAGE_ROOT)), args.all("entrypoint"), cmdArgs, args.all("add"), args.get("user"),
                args.all("env"), args.get("cwd"), args.get("trace"), path(args.get("oci")), path(archive), tag,
                path(args.get("bundle")), global.root());
        return 0;
    }

    private static Path path(String s) {
        return s == null ? null : Path.of(s);
    }

    /** The only class here that names micro classes, loaded on first use. */
    static final class Task {
        private Task() {}

        static void build(String ref, boolean fromHost, Path imageRoot, List<String> entrypoint, List<String> args,
                List<String> add, String user, List<String> env, String cwd, String trace, Path oci, Path archive,
                String tag, Path bundle, Path stateRoot) throws JrunException {
            new io.jrun.micro.Micro(new io.jrun.micro.MicroOptions(ref, fromHost, imageRoot, entrypoint, args, add, user,
                    env, cwd, trace, oci, archive, tag, bundle, stateRoot), System.err).build();
        }
    }
}
