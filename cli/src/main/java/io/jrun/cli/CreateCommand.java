package io.jrun.cli;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.LaunchOptions;
import java.nio.file.Path;

/** {@code jrun create}: sets the container up and exits; its init waits for {@code jrun start}. */
final class CreateCommand implements Main.Command {
    static final Flags FLAGS = launchFlags();

    /** The flags create and run share. */
    static Flags launchFlags() {
        return new Flags()
                .value("bundle directory (default: the current directory)", "bundle", "b")
                .value("write the init's pid to this file", "pid-file")
                .value("unix socket to send the console's pty master to (needs process.terminal)", "console-socket")
                .value("pass fds 3..3+N-1 of the caller to the container", "preserve-fds")
                .bool("use MS_MOVE and chroot instead of pivot_root (for a rootfs on ramfs)", "no-pivot")
                .bool("do not create a session keyring (jrun never creates one)", "no-new-keyring");
    }

    static LaunchOptions options(Flags.Parsed args) throws Flags.UsageException {
        int preserve = 0;
        if (args.get("preserve-fds") != null) {
            try {
                preserve = Integer.parseInt(args.get("preserve-fds"));
            } catch (NumberFormatException e) {
                preserve = -1;
            }
            if (preserve < 0 || preserve > 1024) {
                throw new Flags.UsageException("--preserve-fds: \"" + args.get("preserve-fds")
                        + "\" is not a number from 0 to 1024");
            }
        }
        LaunchOptions o = LaunchOptions.defaults().withNoPivot(args.is("no-pivot")).withPreserveFds(preserve);
        return args.get("console-socket") == null ? o : o.withConsoleSocket(Path.of(args.get("console-socket")));
    }

    static Path bundle(Flags.Parsed args) {
        return Path.of(args.get("bundle") == null ? "" : args.get("bundle"));
    }

    static Path pidFile(Flags.Parsed args) {
        return args.get("pid-file") == null ? null : Path.of(args.get("pid-file"));
    }

    @Override
    public String summary() {
        return "create a container: set it up and exit, its init waiting for start";
    }

    @Override
    public String usage() {
        return "create [--bundle DIR] [--pid-file FILE] [--preserve-fds N] [--no-pivot] ID";
    }

    @Override
    public Flags flags() {
        return FLAGS;
    }

    @Override
    public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
        String id = Main.oneId(args, "create");
        // under the launcher, which reads the plan cache (plancache.c): this create's plan is stored there
        global.jrun().createDetached(id, bundle(args), options(args), pidFile(args), System.getenv("JRUN_BUILD_ID"));
        return 0;
    }
}
