package io.jrun.cli;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.proc.Signals;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The small lifecycle commands: start, state, kill, delete, list, ps. Each parses and calls the library. */
final class LifecycleCommands {
    private LifecycleCommands() {}

    static final class Start implements Main.Command {
        @Override public String summary() { return "start a created container: its init runs the user program"; }
        @Override public String usage() { return "start ID"; }
        @Override public Flags flags() { return new Flags(); }

        @Override
        public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
            global.jrun().start(Main.oneId(args, "start"));
            return 0;
        }
    }

    static final class State implements Main.Command {
        @Override public String summary() { return "print the OCI state of a container as JSON"; }
        @Override public String usage() { return "state ID"; }
        @Override public Flags flags() { return new Flags(); }

        @Override
        public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
            System.out.print(JsonWriter.pretty(global.jrun().state(Main.oneId(args, "state"))));
            return 0;
        }
    }

    static final class Kill implements Main.Command {
        private static final Flags FLAGS = new Flags().bool("signal every process of the container", "all", "a");

        @Override public String summary() { return "send a signal (default SIGTERM) to a container's init"; }
        @Override public String usage() { return "kill [--all] ID [SIGNAL]   (9, KILL or SIGKILL)"; }
        @Override public Flags flags() { return FLAGS; }

        @Override
        public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
            if (args.rest().isEmpty() || args.rest().size() > 2) {
                throw new Flags.UsageException("kill: expected ID [SIGNAL]");
            }
            int sig = args.rest().size() == 2 ? Signals.parse(args.rest().get(1)) : 15;
            global.jrun().kill(args.rest().get(0), sig, args.is("all"));
            return 0;
        }
    }

    static final class Delete implements Main.Command {
        private static final Flags FLAGS = new Flags()
                .bool("kill a running container first; succeed when it is already gone", "force", "f");

        @Override public String summary() { return "delete a stopped container and everything made for it"; }
        @Override public String usage() { return "delete [--force] ID"; }
        @Override public Flags flags() { return FLAGS; }

        @Override
        public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
            global.jrun().delete(Main.oneId(args, "delete"), args.is("force"));
            return 0;
        }
    }

    static final class ListCommand implements Main.Command {
        private static final Flags FLAGS = new Flags()
                .value("table or json", "format", "f")
                .bool("print the ids only", "quiet", "q");

        @Override public String summary() { return "list the containers under the state root"; }
        @Override public String usage() { return "list [--format table|json] [--quiet]"; }
        @Override public Flags flags() { return FLAGS; }

        @Override
        public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
            List<Map<String, Object>> all = global.jrun().list();
            StringBuilder out = new StringBuilder();
            if (args.is("quiet")) {
                for (Map<String, Object> s : all) {
                    out.append(s.get("id")).append('\n');
                }
            } else if ("json".equals(args.get("format"))) {
                out.append(JsonWriter.write(all)).append('\n');
            } else if (args.get("format") == null || "table".equals(args.get("format"))) {
                List<String[]> rows = new ArrayList<>();
                rows.add(new String[] {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"});
                for (Map<String, Object> s : all) {
                    rows.add(new String[] {str(s.get("id")), str(s.get("pid")), str(s.get("status")),
                        str(s.get("bundle")), str(s.get("created")), "root"});
                }
                table(out, rows);
            } else {
                throw new Flags.UsageException("list: --format must be table or json");
            }
            System.out.print(out);
            return 0;
        }
    }

    static final class Ps implements Main.Command {
        private static final Flags FLAGS = new Flags().value("table or json", "format", "f");

        @Override public String summary() { return "list the processes of a container"; }
        @Override public String usage() { return "ps [--format table|json] ID"; }
        @Override public Flags flags() { return FLAGS; }

        @Override
        public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
            List<Long> pids = global.jrun().pids(Main.oneId(args, "ps"));
            if ("json".equals(args.get("format"))) {
                System.out.println(JsonWriter.write(pids));
                return 0;
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"PID", "CMD"});
            for (long pid : pids) {
                rows.add(new String[] {Long.toString(pid), cmdline(pid)});
            }
            StringBuilder out = new StringBuilder();
            table(out, rows);
            System.out.print(out);
            return 0;
        }

        private static String cmdline(long pid) {
            try {
                byte[] b = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
                return new String(b).replace('\0', ' ').trim();
            } catch (java.io.IOException e) {
                return "?";
            }
        }
    }

    static String str(Object o) {
        return o == null ? "" : o.toString();
    }

    /** Columns padded to their widest cell plus three spaces, as runc's tabwriter prints them. */
    static void table(StringBuilder out, List<String[]> rows) {
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(r[i]);
                if (i < r.length - 1) {
                    line.append(" ".repeat(w[i] - r[i].length() + 3));
                }
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
    }
}
