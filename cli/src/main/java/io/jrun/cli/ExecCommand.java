package io.jrun.cli;

import io.jrun.runtime.Container;
import io.jrun.runtime.ExecOptions;
import io.jrun.runtime.JrunException;
import io.jrun.runtime.Jrun;
import io.jrun.runtime.plancache.ExecPlanCache;
import io.jrun.runtime.spec.Spec;
import io.jrun.runtime.spec.SpecReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code jrun exec}: a process in a running container, from {@code --process FILE} (an OCI
 * process, as Podman's conmon and containerd's shim pass it) or from the container's own
 * process with the command and overrides given here.
 */
final class ExecCommand implements Main.Command {
    private static final Flags FLAGS = new Flags()
            .value("an OCI process JSON file (- for stdin) instead of the command and flags", "process", "p")
            .values("add or replace an environment variable KEY=VALUE", "env", "e")
            .value("working directory inside the container", "cwd")
            .value("uid[:gid] to run as", "user", "u")
            .values("an additional gid", "additional-gids", "g")
            .values("add a capability (CAP_NAME) to all five sets", "cap", "c")
            .bool("set no_new_privs", "no-new-privs")
            .bool("start the process and exit, leaving it running", "detach", "d")
            .value("write the process's pid to this file", "pid-file")
            .value("pass fds 3..3+N-1 of the caller to the process", "preserve-fds")
            .bool("give the process a terminal", "tty", "t")
            .value("unix socket to send the terminal's pty master to (with --tty)", "console-socket")
            .values("run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.", "cgroup")
            .bool("allow exec in a paused container", "ignore-paused")
            .value("accepted for runc compatibility", "process-label")
            .value("accepted for runc compatibility", "apparmor");

    @Override public String summary() { return "run a process in a running container"; }
    @Override public String usage() { return "exec [flags] ID COMMAND [ARG...]   or   exec --process FILE [flags] ID"; }
    @Override public Flags flags() { return FLAGS; }

    /** Flags stop at the container id: what follows is the command and its own flags. */
    @Override
    public Flags.Parsed parse(String[] args) throws Flags.UsageException {
        return FLAGS.parse(args, 0, true);
    }

    @Override
    public int run(Main.Global global, Flags.Parsed args) throws Flags.UsageException, Main.Failure {
        return run(global, args, null);
    }

    /** With {@code raw}, the exec's arguments as given: an exec the launcher can repeat is stored in the plan cache. */
    @Override
    public int run(Main.Global global, Flags.Parsed args, List<String> raw) throws Flags.UsageException, Main.Failure {
        if (args.rest().isEmpty()) {
            throw new Flags.UsageException("exec: expected a container id");
        }
        String id = args.rest().get(0);
        Jrun jrun = global.jrun();
        ExecOptions exec = new ExecOptions(CreateCommand.pidFile(args), subCgroups(args), args.is("ignore-paused"));
        var options = CreateCommand.options(args);
        try {
            Spec.Process p = process(jrun, id, args);
            ExecPlanCache.Request cache = raw == null ? null : ExecPlanCache.request(System.getenv("JRUN_BUILD_ID"),
                    System.getenv("JRUN_EXEC_PLAN_KEY"), raw, id, args.is("detach"), args.get("pid-file"), args.get("process"));
            if (args.is("detach")) {
                jrun.execDetached(id, p, options, exec, cache);
                return 0;
            }
            if (options.consoleSocket() != null) {
                throw new JrunException("exec " + id + ": cannot use console socket if jrun will not detach or"
                        + " allocate tty (jrun exec without --detach copies the terminal itself)");
            }
            try (Container c = jrun.exec(id, p, options, exec, cache)) {
                return c.waitFor();
            }
        } catch (JrunException e) {
            throw new Main.Failure(e.getMessage(), 255); // as runc: exec's own failures exit 255
        }
    }

    /** runc's {@code --cgroup [CONTROLLER[,CONTROLLER...]:]PATH}, repeatable; "" stands for every controller. */
    static Map<String, String> subCgroups(Flags.Parsed args) throws Flags.UsageException {
        Map<String, String> sub = new HashMap<>();
        for (String v : args.all("cgroup")) {
            int colon = v.indexOf(':');
            String path = colon < 0 ? v : v.substring(colon + 1);
            if (path.isEmpty()) {
                throw new Flags.UsageException("exec --cgroup \"" + v + "\": no path");
            }
            if (colon < 0) {
                sub.put("", path);
                continue;
            }
            for (String c : v.substring(0, colon).split(",")) {
                if (c.isEmpty()) {
                    throw new Flags.UsageException("exec --cgroup \"" + v + "\": an empty controller name");
                }
                sub.put(c, path);
            }
        }
        return sub;
    }

    private static Spec.Process process(Jrun jrun, String id, Flags.Parsed args)
            throws JrunException, Flags.UsageException {
        String file = args.get("process");
        if (file != null) {
            if (args.rest().size() > 1) {
                throw new Flags.UsageException("exec: a command and --process exclude each other");
            }
            String text = io.jrun.runtime.json.TextFile.readAny(callersPath(file), io.jrun.runtime.json.TextFile.CONFIG_LIMIT);
            return SpecReader.parseProcess(text, file);
        }
        if (args.rest().size() < 2) {
            throw new Flags.UsageException("exec: expected a command after the container id");
        }
        Spec.Process base = jrun.config(id).process();
        List<String> env = new ArrayList<>(base.env());
        for (String e : args.all("env")) {
            String key = e.substring(0, Math.max(0, e.indexOf('=')));
            for (int i = env.size() - 1; i >= 0; i--) {
                if (env.get(i).startsWith(key + "=")) {
                    env.remove(i);
                }
            }
            env.add(e);
        }
        Spec.User user = base.user();
        if (args.get("user") != null) {
            String[] ug = args.get("user").split(":", 2);
            try {
                user = new Spec.User(Long.parseLong(ug[0]), ug.length > 1 ? Long.parseLong(ug[1]) : 0,
                        user.additionalGids(), user.umask());
            } catch (NumberFormatException e) {
                throw new Flags.UsageException("exec --user: \"" + args.get("user") + "\" is not uid[:gid]");
            }
        }
        if (!args.all("additional-gids").isEmpty()) {
            List<Long> gids = new ArrayList<>();
            for (String g : args.all("additional-gids")) {
                try {
                    gids.add(Long.parseLong(g));
                } catch (NumberFormatException e) {
                    throw new Flags.UsageException("exec --additional-gids: \"" + g + "\" is not a gid");
                }
            }
            user = new Spec.User(user.uid(), user.gid(), gids, user.umask());
        }
        Spec.Capabilities caps = base.capabilities();
        if (!args.all("cap").isEmpty() && caps != null) {
            caps = new Spec.Capabilities(plus(caps.bounding(), args.all("cap")), plus(caps.effective(), args.all("cap")),
                    caps.inheritable(), plus(caps.permitted(), args.all("cap")), caps.ambient());
        }
        return new Spec.Process(args.is("tty"), user, args.rest().subList(1, args.rest().size()), env,
                args.get("cwd") != null ? args.get("cwd") : base.cwd(), caps,
                base.noNewPrivileges() || args.is("no-new-privs"), base.rlimits(), base.oomScoreAdj(), null);
    }

    /**
     * The caller's fds are the launcher's, not the JVM's (it starts the JVM with none of them): a
     * {@code /dev/fd/N} or {@code /proc/self/fd/N} the caller names is read through the launcher's.
     */
    static String callersPath(String file) {
        String n = file.startsWith("/dev/fd/") ? file.substring(8)
                : file.startsWith("/proc/self/fd/") ? file.substring(14) : null;
        if (n == null || n.isEmpty() || System.getenv("JRUN_CONTROL_FDS") == null) {
            return file;
        }
        for (int i = 0; i < n.length(); i++) {
            if (n.charAt(i) < '0' || n.charAt(i) > '9') {
                return file;
            }
        }
        java.util.Optional<ProcessHandle> launcher = ProcessHandle.current().parent();
        return launcher.isPresent() ? "/proc/" + launcher.get().pid() + "/fd/" + n : file;
    }

    /** Adds to a set, never to inheritable (CVE-2022-29162: exec --cap must not leak into inheritable). */
    private static List<String> plus(List<String> set, List<String> add) {
        List<String> out = new ArrayList<>(set);
        for (String a : add) {
            if (!out.contains(a)) {
                out.add(a);
            }
        }
        return out;
    }
}
