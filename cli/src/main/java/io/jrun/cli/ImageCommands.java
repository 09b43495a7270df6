package io.jrun.cli;

import io.jrun.runtime.JrunException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The image commands: pull, unpack, images, rmi. {@code jrun run} starts in milliseconds, so these
 * classes touch no image class (jackson, commons-compress) until one of them runs: the work is in
 * {@link Tasks}, which the JVM loads only when called.
 */
final class ImageCommands {
    private ImageCommands() {}

    static final String DEFAULT_IMAGE_ROOT = "/var/lib/jrun";

    private static Flags storeFlags() {
        return new Flags().value("the image store (default: " + DEFAULT_IMAGE_ROOT + ")", "image-root");
    }

    /** The flags of the commands that may pull: the store's, the platform, and how registries are reached. */
    private static Flags pullFlags() {
        return storeFlags()
                .value("the platform to take from an index (default: the host's, e.g. linux/amd64)", "platform")
                .value("verify registries' TLS certificates: true (default) or false (then plain HTTP is tried"
                        + " too; loopback registries always take plain HTTP)", "tls-verify");
    }

    static boolean tlsVerify(Flags.Parsed args) throws Flags.UsageException {
        String v = args.values().getOrDefault("tls-verify", "true");
        if (!v.equals("true") && !v.equals("false")) {
            throw new Flags.UsageException("--tls-verify: true or false, got \"" + v + "\"");
        }
        return v.equals("true");
    }

    static Path imageRoot(Flags.Parsed args) {
        return Path.of(args.values().getOrDefault("image-root", DEFAULT_IMAGE_ROOT));
    }

    static final class Pull implements Main.Command {
        private static final Flags FLAGS = pullFlags()
                .value("the name in the store (default: from the reference)", "name");

        @Override public String summary() { return "copy an image into the local store (oci:, oci-archive:, docker-archive:, docker://)"; }
        @Override
        public String usage() {
            return "pull [--image-root DIR] [--platform OS/ARCH] [--tls-verify=false] [--name NAME] REF";
        }
        @Override public Flags flags() { return FLAGS; }

        @Override
        public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
            if (args.rest().size() != 1) {
                throw new Flags.UsageException("pull: expected one image reference, got " + args.rest().size() + " arguments");
            }
            System.out.println(Tasks.pull(imageRoot(args), args.get("platform"), tlsVerify(args), args.get("name"),
                    args.rest().get(0)));
            return 0;
        }
    }

    static final class Unpack implements Main.Command {
        private static final Flags FLAGS = pullFlags()
                .values("the command instead of the image's Entrypoint and Cmd, one argument per flag"
                        + " (or all after --)", "args")
                .values("set an environment variable KEY=VALUE (repeatable)", "env", "e")
                .value("the user instead of the image's: NAME, UID, NAME:GROUP or UID:GID", "user", "u")
                .bool("give the process a terminal (process.terminal)", "tty", "t");

        @Override public String summary() { return "make a bundle (rootfs + config.json) from an image, pulling it first"; }

        @Override
        public String usage() {
            return "unpack [--image-root DIR] [--platform OS/ARCH] [--tls-verify=false] [--args ARG]... [--env K=V]..."
                    + " [--user U] [--tty] REF BUNDLE_DIR [-- ARGS...]";
        }

        @Override public Flags flags() { return FLAGS; }

        @Override
        public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
            if (args.rest().size() < 2) {
                throw new Flags.UsageException("unpack: expected an image reference and a bundle directory");
            }
            List<String> command = new ArrayList<>(args.all("args"));
            command.addAll(args.rest().subList(2, args.rest().size()));
            Tasks.unpack(imageRoot(args), args.get("platform"), tlsVerify(args), args.rest().get(0), Path.of(args.rest().get(1)),
                    command.isEmpty() ? null : command, args.all("env"), args.get("user"), args.is("tty"));
            return 0;
        }
    }

    static final class ImagesCommand implements Main.Command {
        private static final Flags FLAGS = storeFlags().bool("print the names only", "quiet", "q");

        @Override public String summary() { return "list the images in the local store"; }
        @Override public String usage() { return "images [--image-root DIR] [--quiet]"; }
        @Override public Flags flags() { return FLAGS; }

        @Override
        public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
            if (!args.rest().isEmpty()) {
                throw new Flags.UsageException("images: no arguments expected");
            }
            System.out.print(Tasks.images(imageRoot(args), args.is("quiet")));
            return 0;
        }
    }

    static final class Rmi implements Main.Command {
        private static final Flags FLAGS = storeFlags();

        @Override public String summary() { return "remove images from the local store, and the blobs no other image uses"; }
        @Override public String usage() { return "rmi [--image-root DIR] NAME..."; }
        @Override public Flags flags() { return FLAGS; }

        @Override
        public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
            if (args.rest().isEmpty()) {
                throw new Flags.UsageException("rmi: expected one or more image names");
            }
            for (String name : args.rest()) {
                Tasks.remove(imageRoot(args), name);
                System.out.println(name);
            }
            return 0;
        }
    }

    /** The image work itself: the only class here that names image classes, loaded on first use. */
    static final class Tasks {
        private Tasks() {}

        private static io.jrun.image.Images open(Path root, String platform, boolean tlsVerify)
                throws io.jrun.image.ImageException {
            io.jrun.image.Images images = io.jrun.image.Images.open(root).withRegistryOptions(
                    io.jrun.image.registry.RegistryOptions.defaults(System.getenv()).withTlsVerify(tlsVerify));
            if (platform != null) {
                images.withPlatform(io.jrun.image.pull.Platform.parse(platform));
            }
            if (System.console() != null) {
                images.withProgress(new io.jrun.image.pull.ConsoleProgress(System.err));
            }
            return images;
        }

        static String pull(Path root, String platform, boolean tlsVerify, String name, String ref) throws JrunException {
            try {
                io.jrun.image.store.StoredImage i = open(root, platform, tlsVerify).pull(ref, name);
                return i.name() + " " + i.digest();
            } catch (io.jrun.image.ImageException e) {
                throw new JrunException(e.getMessage());
            }
        }

        static void unpack(Path root, String platform, boolean tlsVerify, String ref, Path bundle, List<String> command,
                List<String> env, String user, boolean tty) throws JrunException {
            try {
                open(root, platform, tlsVerify).unpack(ref, bundle, new io.jrun.image.bundle.BundleOptions(command, env, user, tty));
            } catch (io.jrun.image.ImageException e) {
                throw new JrunException(e.getMessage());
            }
        }

        static String images(Path root, boolean quiet) throws JrunException {
            try {
                StringBuilder b = new StringBuilder();
                List<io.jrun.image.store.StoredImage> all = io.jrun.image.Images.open(root).images();
                if (!quiet) {
                    b.append(String.format("%-40s %-19s %10s  %s%n", "NAME", "DIGEST", "SIZE", "CREATED"));
                }
                for (io.jrun.image.store.StoredImage i : all) {
                    if (quiet) {
                        b.append(i.name()).append('\n');
                    } else {
                        b.append(String.format("%-40s %-19s %10s  %s%n", i.name(), i.digest().substring(0, 19),
                                size(i.size()), i.created() == null ? "-" : i.created()));
                    }
                }
                return b.toString();
            } catch (io.jrun.image.ImageException e) {
                throw new JrunException(e.getMessage());
            }
        }

        static void remove(Path root, String name) throws JrunException {
            try {
                io.jrun.image.Images.open(root).remove(name);
            } catch (io.jrun.image.ImageException e) {
                throw new JrunException(e.getMessage());
            }
        }

        static String size(long bytes) {
            if (bytes < 1000) {
                return bytes + " B";
            }
            String[] units = {"kB", "MB", "GB", "TB"};
            double v = bytes;
            int u = -1;
            while (v >= 1000 && u < units.length - 1) {
                v /= 1000;
                u++;
            }
            return String.format("%.1f %s", v, units[u]);
        }
    }
}
