package io.jrun.runtime.hooks;

import io.jrun.nativebind.StageBinary;
import io.jrun.nativebind.StageEvent;
import io.jrun.nativebind.StageProcess;
import io.jrun.runtime.JrunException;
import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.plan.Plan;
import io.jrun.runtime.plan.PlanCompiler;
import io.jrun.runtime.spec.Spec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs OCI hooks with the container's state JSON on stdin: in jrun's own namespaces
 * (prestart, createRuntime, poststart, poststop), or in the container's (createContainer,
 * startContainer) through a stage that joins them. A hook that fails, or outlives its
 * timeout, is an error naming it.
 */
public final class HookRunner {
    private final Path stageDir;
    private final Path socketDir;

    public HookRunner(Path stageDir, Path socketDir) {
        this.stageDir = stageDir;
        this.socketDir = socketDir;
    }

    public void runInRuntime(String kind, List<Spec.Hook> hooks, Map<String, Object> state) throws JrunException {
        for (int i = 0; i < hooks.size(); i++) {
            Spec.Hook h = hooks.get(i);
            String what = kind + " hook " + h.path();
            List<String> cmd = new java.util.ArrayList<>();
            cmd.add(h.path());
            if (h.args().size() > 1) {
                cmd.addAll(h.args().subList(1, h.args().size())); // args[0] is argv[0]
            }
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.INHERIT);
            pb.environment().clear();
            for (String e : h.env()) {
                int eq = e.indexOf('=');
                if (eq > 0) {
                    pb.environment().put(e.substring(0, eq), e.substring(eq + 1));
                }
            }
            Process p;
            io.jrun.runtime.Debug.log("hook " + kind + "[" + i + "]: " + h.path() + " in the runtime's namespaces");
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new JrunException(what + ": " + e.getMessage());
            }
            feed(p.getOutputStream(), state);
            finish(what, h, p);
        }
    }

    public void runInContainer(String kind, List<Spec.Hook> hooks, Map<String, Object> state, Spec container,
            long initPid) throws JrunException {
        for (Spec.Hook h : hooks) {
            String what = kind + " hook " + h.path();
            Plan plan = PlanCompiler.compileHook(container, h, initPid, kind.equals("startContainer"));
            io.jrun.runtime.Debug.log("hook " + kind + ": " + h.path() + " in the namespaces of pid " + initPid);
            try (StageProcess stage = StageProcess.spawn(StageBinary.installedIn(stageDir), socketDir,
                    new ProcessBuilder().redirectInput(ProcessBuilder.Redirect.PIPE)
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                            .redirectError(ProcessBuilder.Redirect.INHERIT))) {
                stage.channel().sendPlan(plan.encode());
                StageEvent e = stage.channel().read();
                if (e instanceof StageEvent.Failed f) {
                    throw new JrunException(what + ": " + plan.describe(f));
                }
                feed(stage.stdin(), state);
                stage.channel().start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(h.timeout() == null ? 3600 : h.timeout());
                while (!(e instanceof StageEvent.Exited)) {
                    if (System.nanoTime() > deadline) {
                        throw new JrunException(what + ": timed out after " + h.timeout() + " s");
                    }
                    e = stage.channel().read();
                    if (e instanceof StageEvent.Failed f) {
                        throw new JrunException(what + ": " + plan.describe(f));
                    }
                }
                int status = ((StageEvent.Exited) e).shellStatus();
                if (status != 0) {
                    throw new JrunException(what + ": exited with status " + status);
                }
            } catch (IOException e) {
                throw new JrunException(what + ": " + e.getMessage());
            }
        }
    }

    private static void feed(OutputStream in, Map<String, Object> state) {
        try (OutputStream o = in) {
            o.write(JsonWriter.write(state).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // a hook may not read its stdin
        }
    }

    private static void finish(String what, Spec.Hook h, Process p) throws JrunException {
        try {
            if (!p.waitFor(h.timeout() == null ? 3600 : h.timeout(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new JrunException(what + ": timed out after " + h.timeout() + " s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new JrunException(what + ": interrupted");
        }
        if (p.exitValue() != 0) {
            throw new JrunException(what + ": exited with status " + p.exitValue());
        }
        io.jrun.runtime.Debug.log(what + ": exited with status 0");
    }

    /** A poststart or poststop hook's failure is a warning (runtime-spec): one line, and the others still run. */
    public void runWarning(String kind, List<Spec.Hook> hooks, Map<String, Object> state) {
        for (Spec.Hook h : hooks) {
            try {
                runInRuntime(kind, List.of(h), state);
            } catch (JrunException e) {
                io.jrun.runtime.Warnings.warn("jrun: warning: " + e.getMessage());
            }
        }
    }
}
