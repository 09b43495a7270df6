package io.jrun.cli;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.Jrun;
import io.jrun.runtime.LaunchOptions;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code jrun run [--bundle DIR] ID} (runc's form) or {@code jrun run ./bundle} (an id is made up). */
final class RunCommand implements Main.Command {
    private static final Flags FLAGS = new Flags()
            .value("bundle directory (default: the current directory)", "bundle", "b")
            .bool("use MS_MOVE and chroot instead of pivot_root (for a rootfs on ramfs)", "no-pivot");

    @Override
    public String summary() {
        return "create and start a container, wait for it and exit with its status";
    }

    @Override
    public String usage() {
        return "run [--bundle DIR] [--no-pivot] ID\n       jrun run [--no-pivot] BUNDLE_DIR   (a directory holding config.json; the id is made up)";
    }

    @Override
    public Flags flags() {
        return FLAGS;
    }

    @Override
    public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
        if (args.rest().size() != 1) {
            throw new Flags.UsageException("run: expected one container id or bundle directory, got " + args.rest().size());
        }
        String target = args.rest().get(0);
        String id = target;
        Path bundle = args.get("bundle") == null ? null : Path.of(args.get("bundle"));
        if (bundle == null && Files.isRegularFile(Path.of(target).resolve("config.json"))) {
            bundle = Path.of(target);
            id = Jrun.newId();
        }
        return global.jrun().run(id, bundle == null ? Path.of("") : bundle,
                LaunchOptions.defaults().withNoPivot(args.is("no-pivot")));
    }
}
