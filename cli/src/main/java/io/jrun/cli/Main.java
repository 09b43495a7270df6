package io.jrun.cli;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.Jrun;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** The jrun command: runc's global flags, then one command, each a thin layer over the library. */
public final class Main {
    static final String VERSION = "0.1.0";
    /** The runtime-spec version jrun implements, as {@code runc --version} prints its own. */
    static final String SPEC_VERSION = io.jrun.runtime.spec.Spec.RUNTIME_SPEC_VERSION;

    static final Flags GLOBAL = new Flags()
            .bool("enable debug logging", "debug")
            .value("set the log file to write jrun logs to (default is '/dev/stderr')", "log")
            .value("set the log format ('text' (default), or 'json') (default: \"text\")", "log-format")
            .value("root directory for storage of container state (default: \"/run/jrun\")", "root")
            .bool("use systemd for cgroups (not supported)", "systemd-cgroup")
            .bool("show this help", "help", "h")
            .bool("print the version", "version", "v");

    /** The commands, by name; a command class only parses its flags and calls the library. */
    static final Map<String, Command> COMMANDS = new TreeMap<>();

    static {
        COMMANDS.put("run", new RunCommand());
        COMMANDS.put("create", new CreateCommand());
        COMMANDS.put("start", new LifecycleCommands.Start());
        COMMANDS.put("state", new LifecycleCommands.State());
        COMMANDS.put("kill", new LifecycleCommands.Kill());
        COMMANDS.put("delete", new LifecycleCommands.Delete());
        COMMANDS.put("list", new LifecycleCommands.ListCommand());
        COMMANDS.put("ps", new LifecycleCommands.Ps());
        COMMANDS.put("exec", new ExecCommand());
        COMMANDS.put("pause", new CgroupCommands.Pause());
        COMMANDS.put("resume", new CgroupCommands.Resume());
        COMMANDS.put("update", new CgroupCommands.Update());
        COMMANDS.put("events", new CgroupCommands.Events());
        COMMANDS.put("features", new FeaturesCommand());
        COMMANDS.put("spec", new SpecCommand());
        COMMANDS.put("pull", new ImageCommands.Pull());
        COMMANDS.put("unpack", new ImageCommands.Unpack());
        COMMANDS.put("images", new ImageCommands.ImagesCommand());
        COMMANDS.put("rmi", new ImageCommands.Rmi());
        COMMANDS.put("micro", new MicroCommand());
    }

    /** What every command gets: the global flags, resolved. */
    record Global(Path root) {
        Jrun jrun() {
            return Jrun.withStateRoot(root);
        }
    }

    interface Command {
        String summary();

        String usage();

        Flags flags();

        /** Parses the command's arguments; flags and positionals may mix unless a command says otherwise. */
        default Flags.Parsed parse(String[] args) throws Flags.UsageException {
            return flags().parse(args, 0, false);
        }

        int run(Global global, Flags.Parsed args) throws JrunException, Flags.UsageException, Failure;

        /** {@link #run(Global, Flags.Parsed)}, for a command that needs its arguments as given too ({@code raw}). */
        default int run(Global global, Flags.Parsed args, java.util.List<String> raw)
                throws JrunException, Flags.UsageException, Failure {
            return run(global, args);
        }
    }

    /** A parsed command line: the command, the global flags resolved, and the command's own arguments. */
    record Invocation(Command command, Global global, Flags.Parsed args) {}

    /** Parses a command line (global flags, command, its flags) without running anything. */
    static Invocation parse(String[] args) throws Flags.UsageException {
        return parse(GLOBAL.parse(args, 0, true));
    }

    private static Invocation parse(Flags.Parsed g) throws Flags.UsageException {
        if (g.rest().isEmpty()) {
            throw new Flags.UsageException("no command (try jrun --help)");
        }
        String name = g.rest().get(0);
        Command c = COMMANDS.get(name);
        if (c == null) {
            throw new Flags.UsageException("no such command: " + name + " (try jrun --help)");
        }
        String[] rest = g.rest().subList(1, g.rest().size()).toArray(new String[0]);
        Path root = Path.of(g.values().getOrDefault("root", Jrun.DEFAULT_STATE_ROOT.toString()));
        return new Invocation(c, new Global(root), c.parse(rest));
    }

    /** The one positional argument (a container id) of a command. */
    static String oneId(Flags.Parsed args, String command) throws Flags.UsageException {
        if (args.rest().size() != 1) {
            throw new Flags.UsageException(command + ": expected one container id, got " + args.rest().size()
                    + " arguments");
        }
        return args.rest().get(0);
    }

    public static void main(String[] args) {
        int status = execute(args);
        System.out.flush();
        System.err.flush();
        // a created container's launcher exits now, not after the JVM's teardown
        io.jrun.nativebind.StageProcess.exiting(status);
        System.exit(status);
    }

    /** A failure with an exit status of its own (exec's 255, as runc's), reported as one line like the others. */
    static final class Failure extends Exception {
        final int status;

        Failure(String message, int status) {
            super(message);
            this.status = status;
        }
    }

    static int execute(String[] args) {
        Log log = new Log(null, null, false);
        try {
            Flags.Parsed g = GLOBAL.parse(args, 0, true);
            log = new Log(g.get("log"), g.get("log-format"), g.is("debug"));
            Log.checkFormat(g.get("log-format"));
            if (g.is("version")) {
                System.out.print(version());
                return 0;
            }
            String name = g.rest().isEmpty() ? "help" : g.rest().get(0);
            if (g.is("help") || name.equals("help") || name.equals("h")) {
                String topic = g.rest().size() > 1 ? g.rest().get(1) : null;
                if (topic == null) {
                    System.out.print(help());
                    return 0;
                }
                if (!COMMANDS.containsKey(topic)) {
                    log.error("No help topic for '" + topic + "'");
                    return 3;
                }
                System.out.print(commandHelp(topic));
                return 0;
            }
            if (!COMMANDS.containsKey(name)) {
                log.error("no such command: " + name + " (try jrun --help)");
                return 3;
            }
            String[] rest = g.rest().subList(1, g.rest().size()).toArray(new String[0]);
            if (rest.length > 0 && (rest[0].equals("--help") || rest[0].equals("-h"))) {
                System.out.print(commandHelp(name));
                return 0;
            }
            if (g.is("systemd-cgroup")) {
                throw new JrunException("--systemd-cgroup: no systemd cgroup manager here; jrun manages cgroupfs only");
            }
            boolean debug = g.is("debug");
            if (debug) {
                log.debug("jrun " + VERSION + ": " + String.join(" ", args));
                io.jrun.runtime.Debug.sendTo(new Log.DebugLines(log)); // the runtime's steps
            }
            Invocation inv = parse(g);
            int status = inv.command().run(inv.global(), inv.args(), java.util.Arrays.asList(rest));
            if (debug) {
                log.debug(name + ": done, exit status " + status);
            }
            return status;
        } catch (JrunException | Flags.UsageException e) {
            log.error(OneLine.text(e.getMessage()));
            return 1;
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            log.error(OneLine.unexpected(e));
            return 1;
        } catch (Failure e) {
            log.error(e.getMessage());
            return e.status;
        }
    }

    /** runc's {@code --version}: the name and version, then commit, spec and what runc's go line stands for. */
    static String version() {
        return "jrun version " + VERSION + "\ncommit: " + commit() + "\nspec: " + SPEC_VERSION + "\njava: "
                + System.getProperty("java.version") + "\nseccomp: compiled in Java (no libseccomp)\n";
    }

    /** The git commit the distribution was built from: lib/jrun.commit, written by assemble.sh beside the jars. */
    private static String commit() {
        try {
            Path jar = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path f = jar.resolveSibling("jrun.commit");
            if (java.nio.file.Files.isRegularFile(f)) {
                String c = java.nio.file.Files.readString(f).trim();
                if (!c.isEmpty()) {
                    return c;
                }
            }
        } catch (java.io.IOException | java.net.URISyntaxException | RuntimeException e) {
            // below
        }
        return "v" + VERSION;
    }

    private static String help() {
        StringBuilder b = new StringBuilder("NAME:\n   jrun - Open Container Initiative runtime written in Java\n\n"
                + "jrun runs containers from OCI bundles (a config.json and a root filesystem) with runc's\n"
                + "command line, so that tools that drive runc can drive jrun.\n\n"
                + "To start a new instance of a container:\n\n    # jrun run [ -b bundle ] <container-id>\n\n"
                + "USAGE:\n   jrun [global options] command [command options] [arguments...]\n\nVERSION:\n   ")
                .append(version().substring("jrun version ".length())).append("\nCOMMANDS:\n");
        for (Map.Entry<String, Command> e : COMMANDS.entrySet()) {
            b.append(String.format("   %-10s  %s%n", e.getKey(), e.getValue().summary()));
        }
        b.append(String.format("   %-10s  %s%n", "help, h", "Shows a list of commands or help for one command"));
        return b.append("\nGLOBAL OPTIONS:\n").append(GLOBAL.usage()).toString();
    }

    /** runc's shape: NAME, USAGE, OPTIONS. */
    static String commandHelp(String name) {
        Command c = COMMANDS.get(name);
        String flags = c.flags().usage();
        return "NAME:\n   jrun " + name + " - " + c.summary() + "\n\nUSAGE:\n   jrun " + c.usage() + "\n"
                + (flags.isEmpty() ? "" : "\nOPTIONS:\n" + flags);
    }
}
