package io.jrun.cli;

import io.jrun.runtime.Container;
import io.jrun.runtime.JrunException;
import io.jrun.runtime.Jrun;
import io.jrun.runtime.spec.Spec;
import io.jrun.runtime.spec.SpecReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
    public int run(Main.Global global, Flags.Parsed args) throws JrunException, Flags.UsageException {
        if (args.rest().isEmpty()) {
            throw new Flags.UsageException("exec: expected a container id");
        }
        String id = args.rest().get(0);
        Jrun jrun = global.jrun();
        Spec.Process p = process(jrun, id, args);
        var options = CreateCommand.options(args);
        if (args.is("detach")) {
            jrun.execDetached(id, p, options, CreateCommand.pidFile(args));
            return 0;
        }
        try (Container c = jrun.exec(id, p, options)) {
            return c.waitFor();
        }
    }

    private static Spec.Process process(Jrun jrun, String id, Flags.Parsed args)
            throws JrunException, Flags.UsageException {
        String file = args.get("process");
        if (file != null) {
            if (args.rest().size() > 1) {
                throw new Flags.UsageException("exec: a command and --process exclude each other");
            }
            String text = io.jrun.runtime.json.TextFile.readAny(file, io.jrun.runtime.json.TextFile.CONFIG_LIMIT);
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
