package io.jrun.cli;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.proc.Signals;
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
        @Override public String usage() { return "kill [--all] ID [SIGNAL]   (9, KILL or SIGKILL; 0 checks that it runs)"; }
        @Override public Flags flags() { return FLAGS; }

        @Override
        public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
            if (args.rest().isEmpty() || args.rest().size() > 2) {
                throw new Flags.UsageException("kill: expected ID [SIGNAL]");
            }
            String name = args.rest().size() == 2 ? args.rest().get(1) : "15";
            int sig = name.equals("0") ? 0 : Signals.parse(name); // 0: is it running? (kill(2)'s check, as runc)
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

    /**
     * {@code ps [--format table|json] ID [ps options]}: as runc, runs the host's ps(1) with the
     * options (default {@code -ef}) and prints its header and the lines of the container's pids;
     * {@code --format json} prints the pids as a JSON array.
     */
    static final class Ps implements Main.Command {
        private static final Flags FLAGS = new Flags().value("select one of: table or json (default: \"table\")",
                "format", "f");

        @Override public String summary() { return "ps displays the processes running inside a container"; }
        @Override public String usage() { return "ps [command options] <container-id> [ps options]"; }
        @Override public Flags flags() { return FLAGS; }

        /** Flags stop at the container id: what follows goes to ps(1). */
        @Override
        public Flags.Parsed parse(String[] args) throws Flags.UsageException {
            return FLAGS.parse(args, 0, true);
        }

        @Override
        public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
            if (args.rest().isEmpty()) {
                throw new Flags.UsageException("ps: expected a container id");
            }
            String format = args.get("format") == null ? "table" : args.get("format");
            if (!format.equals("table") && !format.equals("json")) {
                throw new Flags.UsageException("ps: invalid format option \"" + format + "\"");
            }
            List<Long> pids = global.jrun().pids(args.rest().get(0));
            if (format.equals("json")) {
                System.out.println(JsonWriter.write(pids));
                return 0;
            }
            List<String> psArgs = new ArrayList<>(args.rest().subList(1, args.rest().size()));
            if (!psArgs.isEmpty() && psArgs.get(0).equals("--")) {
                psArgs.remove(0); // ID -- OPTIONS: runc hands "--" to ps, which refuses it
            }
            if (psArgs.isEmpty()) {
                psArgs.add("-ef");
            }
            System.out.print(filter(ps(psArgs), pids, psArgs));
            return 0;
        }

        private static String ps(List<String> psArgs) throws JrunException {
            List<String> cmd = new ArrayList<>();
            cmd.add("ps");
            cmd.addAll(psArgs);
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                String out = new String(p.getInputStream().readAllBytes());
                int status = p.waitFor();
                if (status != 0) {
                    throw new JrunException(String.join(" ", cmd) + ": exit status " + status + ": "
                            + out.strip().replace('\n', ' '));
                }
                return out;
            } catch (java.io.IOException e) {
                throw new JrunException(String.join(" ", cmd) + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new JrunException(String.join(" ", cmd) + ": interrupted");
            }
        }

        /** ps's header, then its lines whose PID column is one of {@code pids}. */
        static String filter(String psOutput, List<Long> pids, List<String> psArgs) throws JrunException {
            String[] lines = psOutput.split("\n");
            List<String> header = fields(lines[0]);
            int col = header.indexOf("PID");
            if (col < 0) {
                throw new JrunException("ps " + String.join(" ", psArgs) + ": couldn't find PID field in ps output");
            }
            StringBuilder out = new StringBuilder(lines[0]).append('\n');
            for (int i = 1; i < lines.length; i++) {
                List<String> f = fields(lines[i]);
                if (f.isEmpty()) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(f.get(col));
                } catch (NumberFormatException | IndexOutOfBoundsException e) {
                    throw new JrunException("ps: unable to parse pid in \"" + lines[i] + "\"");
                }
                if (pids.contains(pid)) {
                    out.append(lines[i]).append('\n');
                }
            }
            return out.toString();
        }

        private static List<String> fields(String line) {
            List<String> f = new ArrayList<>();
            int i = 0;
            while (i < line.length()) {
                while (i < line.length() && Character.isWhitespace(line.charAt(i))) {
                    i++;
                }
                int s = i;
                while (i < line.length() && !Character.isWhitespace(line.charAt(i))) {
                    i++;
                }
                if (i > s) {
                    f.add(line.substring(s, i));
                }
            }
            return f;
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
