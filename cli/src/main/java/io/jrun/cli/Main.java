package io.jrun.cli;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.Jrun;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/** The jrun command: runc's global flags, then one command, each a thin layer over the library. */
public final class Main {
    static final String VERSION = "0.1.0";

    static final Flags GLOBAL = new Flags()
            .value("state directory (default: /run/jrun)", "root")
            .value("log file (accepted for runc compatibility)", "log")
            .value("log format: text or json (accepted for runc compatibility)", "log-format")
            .bool("debug output (accepted for runc compatibility)", "debug")
            .bool("use systemd for cgroups (not supported)", "systemd-cgroup")
            .bool("show this help", "help", "h")
            .bool("print the version", "version", "v");

    /** The commands, by name; a command class only parses its flags and calls the library. */
    static final Map<String, Command> COMMANDS = new TreeMap<>(Map.of(
            "run", new RunCommand(),
            "create", new CreateCommand(),
            "start", new LifecycleCommands.Start(),
            "state", new LifecycleCommands.State(),
            "kill", new LifecycleCommands.Kill(),
            "delete", new LifecycleCommands.Delete(),
            "list", new LifecycleCommands.ListCommand(),
            "ps", new LifecycleCommands.Ps(),
            "spec", new SpecCommand()));

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

        int run(Global global, Flags.Parsed args) throws JrunException, Flags.UsageException;
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
        try {
            Flags.Parsed g = GLOBAL.parse(args, 0, true);
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
            Command c = COMMANDS.get(name);
            if (c == null) {
                throw new Flags.UsageException("no such command: " + name + " (try jrun --help)");
            }
            String[] rest = g.rest().subList(1, g.rest().size()).toArray(new String[0]);
            if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
                System.out.print(commandHelp(name));
                return 0;
            }
            if (g.is("systemd-cgroup")) {
                throw new JrunException("--systemd-cgroup: no systemd cgroup manager here; jrun manages cgroupfs only");
            }
            Path root = Path.of(g.values().getOrDefault("root", Jrun.DEFAULT_STATE_ROOT.toString()));
            return c.run(new Global(root), c.flags().parse(rest, 0, false));
        } catch (JrunException e) {
            System.err.println("jrun: " + e.getMessage());
            return 1;
        } catch (Flags.UsageException e) {
            System.err.println("jrun: " + e.getMessage());
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
