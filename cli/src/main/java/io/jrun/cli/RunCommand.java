package io.jrun.cli;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.Jrun;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code jrun run [--bundle DIR] ID} (runc's form) or {@code jrun run ./bundle} (an id is made up). */
final class RunCommand implements Main.Command {
    private static final Flags FLAGS = CreateCommand.launchFlags()
            .bool("create and start the container, then exit, leaving it running", "detach", "d")
            .bool("keep the stopped container's state (remove it with jrun delete)", "keep");

    @Override
    public String summary() {
        return "create and start a container, wait for it and exit with its status";
    }

    @Override
    public String usage() {
        return "run [--bundle DIR] [--detach] [--keep] [--pid-file FILE] [--preserve-fds N] [--no-pivot] ID\n"
                + "       jrun run [flags] BUNDLE_DIR   (a directory holding config.json; the id is made up)";
    }

    @Override
    public Flags flags() {
        return FLAGS;
    }

    @Override
    public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
        String target = Main.oneId(args, "run");
        String id = target;
        Path bundle = CreateCommand.bundle(args);
        if (args.get("bundle") == null && Files.isRegularFile(Path.of(target).resolve("config.json"))) {
            bundle = Path.of(target);
            id = Jrun.newId();
        }
        Jrun jrun = global.jrun();
        if (args.is("detach")) {
            jrun.createDetached(id, bundle, CreateCommand.options(args), CreateCommand.pidFile(args));
            jrun.start(id);
            return 0;
        }
        if (args.get("console-socket") != null) {
            throw new JrunException("run " + id + ": cannot use console socket if jrun will not detach or allocate tty"
                    + " (jrun run without --detach copies the terminal itself)");
        }
        // under the launcher, which reads the plan cache (plancache.c): this run's plan is stored there
        return jrun.run(id, bundle, CreateCommand.options(args), args.is("keep"), CreateCommand.pidFile(args),
                System.getenv("JRUN_BUILD_ID"));
    }
}
