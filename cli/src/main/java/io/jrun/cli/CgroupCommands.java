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

    static final class Update implements Main.Command {
        private static final Flags FLAGS = new Flags()
                .value("linux.resources as JSON from a file, or - for stdin", "resources", "r")
                .value("memory limit in bytes", "memory")
                .value("memory+swap limit in bytes", "memory-swap")
                .value("memory reservation (soft limit) in bytes", "memory-reservation")
                .value("cpu shares (relative weight)", "cpu-shares")
                .value("cpu quota in microseconds per period", "cpu-quota")
                .value("cpu period in microseconds", "cpu-period")
                .value("cpus the container may use", "cpuset-cpus")
                .value("memory nodes the container may use", "cpuset-mems")
                .value("the most processes the container may have", "pids-limit")
                .value("block IO weight (10-1000)", "blkio-weight");

        @Override public String summary() { return "change the resource limits of a running container"; }
        @Override public String usage() { return "update [--resources FILE|-] [--memory N] [--pids-limit N] [...] ID"; }
        @Override public Flags flags() { return FLAGS; }

        @Override
        public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
            String id = Main.oneId(args, "update");
            Spec.Resources r = Spec.Resources.NONE;
            String file = args.get("resources");
            if (file != null) {
                String text = io.jrun.runtime.json.TextFile.readAny(file, io.jrun.runtime.json.TextFile.CONFIG_LIMIT);
                r = SpecReader.parseResources(text, file);
            }
            Spec.Memory m = r.memory();
            if (args.get("memory") != null || args.get("memory-swap") != null || args.get("memory-reservation") != null) {
                m = new Spec.Memory(num(args, "memory", m == null ? null : m.limit()),
                        num(args, "memory-reservation", m == null ? null : m.reservation()),
                        num(args, "memory-swap", m == null ? null : m.swap()), m == null ? null : m.swappiness(),
                        m == null ? null : m.disableOOMKiller());
            }
            Spec.Cpu c = r.cpu();
            if (args.get("cpu-shares") != null || args.get("cpu-quota") != null || args.get("cpu-period") != null
                    || args.get("cpuset-cpus") != null || args.get("cpuset-mems") != null) {
                c = new Spec.Cpu(num(args, "cpu-shares", c == null ? null : c.shares()),
                        num(args, "cpu-quota", c == null ? null : c.quota()),
                        num(args, "cpu-period", c == null ? null : c.period()), c == null ? null : c.burst(),
                        c == null ? null : c.realtimeRuntime(), c == null ? null : c.realtimePeriod(),
                        args.get("cpuset-cpus") != null ? args.get("cpuset-cpus") : c == null ? null : c.cpus(),
                        args.get("cpuset-mems") != null ? args.get("cpuset-mems") : c == null ? null : c.mems());
            }
            Spec.BlockIo b = r.blockIo();
            if (args.get("blkio-weight") != null) {
                b = new Spec.BlockIo(num(args, "blkio-weight", null), List.of(), List.of(), List.of(), List.of(), List.of());
            }
            global.jrun().update(id, new Spec.Resources(m, c, num(args, "pids-limit", r.pidsLimit()), b,
                    r.hugepageLimits(), r.devices(), r.unified()));
            return 0;
        }

        private static Long num(Flags.Parsed args, String flag, Long otherwise) throws Flags.UsageException {
            String v = args.get(flag);
            if (v == null) {
                return otherwise;
            }
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new Flags.UsageException("update --" + flag + ": \"" + v + "\" is not a number");
            }
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
