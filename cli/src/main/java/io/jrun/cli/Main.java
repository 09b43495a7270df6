package io.jrun.cli;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.Jrun;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** The jrun command: runc's global flags, then one command, each a thin layer over the library. */
public final class Main {
    static final String VERSION = "0.1.0";

    static final Flags GLOBAL = new Flags()
            .value("state directory (default: /run/jrun)", "root")
            .value("append errors to this file too", "log")
            .value("the log file's format: text or json", "log-format")
            .bool("debug output (accepted for runc compatibility)", "debug")
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

        int run(Global global, Flags.Parsed args) throws JrunException, Flags.UsageException;
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
        System.exit(execute(args));
    }

    static int execute(String[] args) {
        Log log = new Log(null, null);
        try {
            Flags.Parsed g = GLOBAL.parse(args, 0, true);
            log = new Log(g.get("log"), g.get("log-format"));
            if (g.is("version")) {
                System.out.println("jrun version " + VERSION + "\nspec: 1.0.2");
                return 0;
            }
            if (g.rest().isEmpty() || g.is("help") || g.rest().get(0).equals("help")) {
                String topic = g.rest().size() > 1 ? g.rest().get(1) : null;
                System.out.print(topic != null && COMMANDS.containsKey(topic) ? commandHelp(topic) : help());
                return g.rest().isEmpty() && !g.is("help") ? 1 : 0;
            }
            String name = g.rest().get(0);
            String[] rest = g.rest().subList(1, g.rest().size()).toArray(new String[0]);
            if (COMMANDS.containsKey(name) && rest.length > 0 && (rest[0].equals("--help") || rest[0].equals("-h"))) {
                System.out.print(commandHelp(name));
                return 0;
            }
            if (g.is("systemd-cgroup")) {
                throw new JrunException("--systemd-cgroup: no systemd cgroup manager here; jrun manages cgroupfs only");
            }
            Invocation inv = parse(g);
            return inv.command().run(inv.global(), inv.args());
        } catch (JrunException | Flags.UsageException e) {
            log.error(OneLine.text(e.getMessage()));
            return 1;
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            log.error(OneLine.unexpected(e));
            return 1;
        }
    }

    private static String help() {
        StringBuilder b = new StringBuilder("jrun " + VERSION + ": an OCI container runtime\n\n"
                + "usage: jrun [global flags] COMMAND [flags] [arguments]\n\ncommands:\n");
        COMMANDS.forEach((n, c) -> b.append(String.format("   %-10s %s%n", n, c.summary())));
        return b.append("\nglobal flags:\n").append(GLOBAL.usage()).toString();
    }

    private static String commandHelp(String name) {
        Command c = COMMANDS.get(name);
        return "usage: jrun " + c.usage() + "\n\n" + c.summary() + "\n\nflags:\n" + c.flags().usage();
    }
}
