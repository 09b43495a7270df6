package io.jrun.cli;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.Jrun;
import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.spec.Spec;
import io.jrun.runtime.spec.SpecReader;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The commands that act through a container's cgroup: pause, resume, update, events. */
final class CgroupCommands {
    private CgroupCommands() {}

    static final class Pause implements Main.Command {
        @Override public String summary() { return "freeze every process of a container"; }
        @Override public String usage() { return "pause ID"; }
        @Override public Flags flags() { return new Flags(); }

        @Override
        public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
            global.jrun().pause(Main.oneId(args, "pause"));
            return 0;
        }
    }

    static final class Resume implements Main.Command {
        @Override public String summary() { return "thaw a paused container"; }
        @Override public String usage() { return "resume ID"; }
        @Override public Flags flags() { return new Flags(); }

        @Override
        public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
            global.jrun().resume(Main.oneId(args, "resume"));
            return 0;
        }
    }

    /**
     * {@code update}: runc's flags and units ({@code --memory 50M}, {@code 1g}, {@code -1} for
     * unlimited swap), or {@code --resources FILE|-}, in which case, as with runc, the other
     * flags are ignored.
     */
    static final class Update implements Main.Command {
        private static final Flags FLAGS = new Flags()
                .value("path to the file containing the resources to update or '-' to read from the standard input",
                        "resources", "r")
                .value("Specifies per cgroup weight, range is from 10 to 1000 (default: 0)", "blkio-weight")
                .value("CPU CFS period to be used for hardcapping (in usecs). 0 to use system default", "cpu-period")
                .value("CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period", "cpu-quota")
                .value("CPU shares (relative weight vs. other containers)", "cpu-share", "cpu-shares")
                .value("CPU realtime period to be used for hardcapping (in usecs). 0 to use system default",
                        "cpu-rt-period")
                .value("CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period", "cpu-rt-runtime")
                .value("CPU(s) to use", "cpuset-cpus")
                .value("Memory node(s) to use", "cpuset-mems")
                .value("Kernel memory limit (in bytes): ignored, as by runc 1.1.5", "kernel-memory")
                .value("Kernel memory limit (in bytes) for tcp buffer: ignored, as by runc 1.1.5", "kernel-memory-tcp")
                .value("Memory limit (in bytes; 50M, 1g, ...)", "memory")
                .value("Memory reservation or soft_limit (in bytes)", "memory-reservation")
                .value("Total memory usage (memory + swap); set '-1' to enable unlimited swap", "memory-swap")
                .value("Maximum number of pids allowed in the container (default: 0)", "pids-limit")
                .value("The string of Intel RDT/CAT L3 cache schema (not supported)", "l3-cache-schema")
                .value("The string of Intel RDT/MBA memory bandwidth schema (not supported)", "mem-bw-schema");

        static final Flags FLAGS_FOR_TEST = FLAGS;

        @Override public String summary() { return "update container resource constraints"; }
        @Override public String usage() { return "update [command options] <container-id>"; }
        @Override public Flags flags() { return FLAGS; }

        @Override
        public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
            String id = Main.oneId(args, "update");
            String file = args.get("resources");
            Spec.Resources r;
            if (file != null) {
                String text = io.jrun.runtime.json.TextFile.readAny(file, io.jrun.runtime.json.TextFile.CONFIG_LIMIT);
                r = SpecReader.parseResources(text, file);
            } else {
                r = fromFlags(args);
            }
            global.jrun().update(id, r);
            return 0;
        }

        /** The resources runc's update flags give; a flag not given changes nothing. */
        static Spec.Resources fromFlags(Flags.Parsed args) throws JrunException, Flags.UsageException {
            if (args.get("l3-cache-schema") != null) {
                throw new JrunException("update: Intel RDT/CAT: l3 cache schema is not enabled (jrun does not"
                        + " manage resctrl)");
            }
            if (args.get("mem-bw-schema") != null) {
                throw new JrunException("update: Intel RDT/MBA: memory bandwidth schema is not enabled (jrun does not"
                        + " manage resctrl)");
            }
            Long limit = bytes(args, "memory");
            Long reservation = bytes(args, "memory-reservation");
            Long swap = bytes(args, "memory-swap");
            if (bytes(args, "kernel-memory") != null || bytes(args, "kernel-memory-tcp") != null) {
                System.err.println("jrun: warning: update: kernel memory settings are ignored, as by runc");
            }
            Spec.Memory m = limit == null && reservation == null && swap == null ? null
                    : new Spec.Memory(limit, reservation, swap, null, null);
            Long shares = number(args, "cpu-share", true);
            Long period = number(args, "cpu-period", true);
            Long rtPeriod = number(args, "cpu-rt-period", true);
            Long quota = number(args, "cpu-quota", false);
            Long rtRuntime = number(args, "cpu-rt-runtime", false);
            String cpus = args.get("cpuset-cpus");
            String mems = args.get("cpuset-mems");
            Spec.Cpu c = shares == null && period == null && rtPeriod == null && quota == null && rtRuntime == null
                    && cpus == null && mems == null ? null
                    : new Spec.Cpu(shares, quota, period, null, rtRuntime, rtPeriod, cpus, mems);
            Long weight = integer(args, "blkio-weight");
            Spec.BlockIo b = weight == null || weight == 0 ? null
                    : new Spec.BlockIo(weight, List.of(), List.of(), List.of(), List.of(), List.of());
            return new Spec.Resources(m, c, integer(args, "pids-limit"), b, List.of(), List.of(), Map.of());
        }

        /** runc's uint64/int64 flags, with its error for each kind. */
        private static Long number(Flags.Parsed args, String flag, boolean unsigned) throws Flags.UsageException {
            String v = args.get(flag);
            if (v == null || v.isEmpty()) {
                return null;
            }
            try {
                return unsigned ? Long.parseUnsignedLong(v) : Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new Flags.UsageException("invalid value for " + flag + ": \"" + v + "\" is not an "
                        + (unsigned ? "unsigned integer" : "integer"));
            }
        }

        /** runc's int flags (pids-limit, blkio-weight), with urfave/cli's error. */
        private static Long integer(Flags.Parsed args, String flag) throws Flags.UsageException {
            String v = args.get(flag);
            if (v == null) {
                return null;
            }
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new Flags.UsageException("invalid value \"" + v + "\" for flag -" + flag + ": parse error");
            }
        }

        private static Long bytes(Flags.Parsed args, String flag) throws Flags.UsageException {
            String v = args.get(flag);
            if (v == null || v.isEmpty()) {
                return null;
            }
            if (v.equals("-1")) {
                return -1L;
            }
            long n = ramInBytes(v);
            if (n < 0) {
                throw new Flags.UsageException("invalid value for " + flag + ": invalid size: '" + v + "'");
            }
            return n;
        }

        /**
         * A size as runc reads one (docker's units.RAMInBytes): a decimal number, an optional
         * space, an optional k, m, g, t or p (powers of 1024, any case), an optional i, an
         * optional b. -1 when {@code s} is not one.
         */
        static long ramInBytes(String s) {
            int i = 0;
            int n = s.length();
            while (i < n && Character.isDigit(s.charAt(i))) {
                i++;
            }
            if (i == 0) {
                return -1;
            }
            if (i < n && s.charAt(i) == '.') {
                int dot = ++i;
                while (i < n && Character.isDigit(s.charAt(i))) {
                    i++;
                }
                if (i == dot) {
                    return -1;
                }
            }
            double value = Double.parseDouble(s.substring(0, i));
            if (i < n && s.charAt(i) == ' ') {
                i++;
            }
            long unit = 1;
            if (i < n) {
                int k = "kmgtp".indexOf(Character.toLowerCase(s.charAt(i)));
                if (k >= 0) {
                    unit = 1L << (10 * (k + 1));
                    i++;
                }
            }
            if (i < n && Character.toLowerCase(s.charAt(i)) == 'i') {
                i++;
            }
            if (i < n && Character.toLowerCase(s.charAt(i)) == 'b') {
                i++;
            }
            if (i != n) {
                return -1;
            }
            double bytes = value * unit;
            return bytes >= Long.MAX_VALUE ? -1 : (long) bytes;
        }
    }

    static final class Events implements Main.Command {
        private static final Flags FLAGS = new Flags()
                .bool("print the container's stats once and exit", "stats")
                .value("how often to print stats (e.g. 5s, 500ms; default 5s)", "interval");

        @Override public String summary() { return "print a container's stats and OOM events as JSON lines"; }
        @Override public String usage() { return "events [--stats] [--interval 5s] ID"; }
        @Override public Flags flags() { return FLAGS; }

        @Override
        public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
            String id = Main.oneId(args, "events");
            Jrun jrun = global.jrun();
            if (args.is("stats")) {
                System.out.println(JsonWriter.write(event("stats", id, jrun.stats(id))));
                return 0;
            }
            long interval = interval(args.get("interval"));
            long ooms = jrun.oomKills(id);
            long next = 0;
            while (!"stopped".equals(jrun.state(id).get("status"))) {
                long now = System.currentTimeMillis();
                long o = jrun.oomKills(id);
                if (o > ooms) {
                    System.out.println(JsonWriter.write(event("oom", id, null)));
                    ooms = o;
                }
                if (now >= next) {
                    System.out.println(JsonWriter.write(event("stats", id, jrun.stats(id))));
                    next = now + interval;
                }
                System.out.flush();
                try {
                    Thread.sleep(Math.min(interval, 200));
                } catch (InterruptedException e) {
                    return 1;
                }
            }
            // the kill that stopped the init counts too; the kernel counts it just after the SIGKILL, so an
            // init reaped at once can be seen stopped before its kill is counted: a moment's grace
            for (int i = 0; i < 5; i++) {
                if (jrun.oomKills(id) > ooms) {
                    System.out.println(JsonWriter.write(event("oom", id, null)));
                    break;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return 1;
                }
            }
            return 0;
        }

        private static Map<String, Object> event(String type, String id, Map<String, Object> data) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("type", type);
            e.put("id", id);
            if (data != null) {
                e.put("data", data);
            }
            return e;
        }

        static long interval(String v) throws Flags.UsageException {
            if (v == null) {
                return 5000;
            }
            try {
                if (v.endsWith("ms")) {
                    return Long.parseLong(v.substring(0, v.length() - 2));
                }
                if (v.endsWith("s")) {
                    return (long) (Double.parseDouble(v.substring(0, v.length() - 1)) * 1000);
                }
                if (v.endsWith("m")) {
                    return Long.parseLong(v.substring(0, v.length() - 1)) * 60_000;
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new Flags.UsageException("events --interval: \"" + v + "\" is not a duration (5s, 500ms, 1m)");
        }
    }
}
