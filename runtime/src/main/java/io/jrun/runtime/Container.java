package io.jrun.runtime;

import io.jrun.nativebind.StageEvent;
import io.jrun.nativebind.StageProcess;
import io.jrun.runtime.cgroups.ContainerCgroup;
import io.jrun.runtime.hooks.HookRunner;
import io.jrun.runtime.spec.Spec;
import io.jrun.runtime.plan.Plan;
import io.jrun.runtime.state.ContainerState;
import io.jrun.runtime.state.StateDir;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A container monitored by this JVM, or a process exec'd into one (which has no state
 * directory of its own): created (it waits before the user program), then started, then
 * exited.  {@link #close()} kills it if it still runs and removes everything set up for it.
 */
public final class Container implements AutoCloseable {
    /** How long close waits for the monitor to end once its channel is closed (it kills the init then). */
    public static final long MONITOR_WAIT_MS = 10_000;
    private final ContainerState state;
    private final StateDir stateDir;
    private final StageProcess stage;
    private final Plan plan;
    private final boolean keepState;
    private final Spec spec;       // null for an exec'd process: no hooks
    private final HookRunner hooks;
    private volatile StageEvent.Exited exit;
    private boolean closed;

    Container(ContainerState state, StateDir stateDir, StageProcess stage, Plan plan, boolean keepState, Spec spec,
            HookRunner hooks) {
        this.keepState = keepState;
        this.spec = spec;
        this.hooks = hooks;
        this.state = state;
        this.stateDir = stateDir;
        this.stage = stage;
        this.plan = plan;
    }

    public String id() {
        return state.id();
    }

    /** The container's init, as a pid of this JVM's pid namespace. */
    public long pid() {
        return state.pid();
    }

    /**
     * The container's stdin, stdout and stderr when its {@link LaunchOptions} asked for
     * {@link java.lang.ProcessBuilder.Redirect#PIPE} (read them while it runs: a full pipe stalls
     * it); else streams that hold nothing.
     */
    public java.io.OutputStream stdin() {
        java.io.OutputStream s = stage.stdinOrNull();
        return s != null ? s : java.io.OutputStream.nullOutputStream();
    }

    /** See {@link #stdin()}. */
    public java.io.InputStream stdout() {
        java.io.InputStream s = stage.stdout();
        return s != null ? s : java.io.InputStream.nullInputStream();
    }

    /** See {@link #stdin()}. */
    public java.io.InputStream stderr() {
        java.io.InputStream s = stage.stderr();
        return s != null ? s : java.io.InputStream.nullInputStream();
    }

    /** Releases the init into the user program. */
    public synchronized void start() throws JrunException {
        try {
            if (spec != null) {
                hooks.runInContainer("startContainer", spec.hooks().startContainer(), state.toOci("created"), spec,
                        state.pid());
            }
            stage.channel().start();
            Debug.log("start: init pid " + state.pid() + " let go");
            if (stateDir != null) {
                stateDir.write(state.asStarted()); // while the program starts
            }
            if (spec != null) {
                hooks.runWarning("poststart", spec.hooks().poststart(), state.toOci("running"));
            }
            StageEvent e = stage.channel().read();
            if (e instanceof StageEvent.Failed f) {
                throw new JrunException(plan.describe(f));
            }
            if (e instanceof StageEvent.Exited x) {
                exit = x; // it failed before execve, or the program ran and ended already
            }
        } catch (IOException e) {
            throw new JrunException("start " + id() + ": the stage went away: " + e.getMessage());
        }
    }

    /** Sends a signal to the container's init. */
    public void signal(int signal) throws JrunException {
        try {
            stage.channel().kill(signal);
        } catch (IOException e) {
            throw new JrunException("kill " + id() + ": the stage went away: " + e.getMessage());
        }
    }

    /** Waits for the init to end, cleans up, and returns its status as a shell shows it (128+N for signal N). */
    public int waitFor() throws JrunException {
        int status = awaitExit();
        close();
        return status;
    }

    /**
     * Waits for the init to end and returns its status as {@link #waitFor()} does, without the
     * clean-up: the caller learns the status first and calls {@link #close()} after (the cgroup,
     * the state and the monitor go then).
     */
    public int awaitExit() throws JrunException {
        while (exit == null) {
            try {
                StageEvent e = stage.channel().read();
                if (e instanceof StageEvent.Exited x) {
                    exit = x;
                } else if (e instanceof StageEvent.Failed f) {
                    throw new JrunException(plan.describe(f));
                }
            } catch (EOFException e) {
                throw new JrunException("wait " + id() + ": the stage monitor ended before the container");
            } catch (IOException e) {
                throw new JrunException("wait " + id() + ": " + e.getMessage());
            }
        }
        Debug.log("wait: init pid " + state.pid() + " ended, status " + exit.shellStatus());
        return exit.shellStatus();
    }

    /** Thaws the container's cgroup if it is frozen (paused): a frozen process takes a SIGKILL only once thawed. */
    public void thawIfFrozen() throws JrunException {
        ContainerCgroup cgroup = stateDir == null ? null : Jrun.cgroupOf(state);
        if (cgroup != null && cgroup.isFrozen()) {
            cgroup.thaw();
        }
    }

    /**
     * Kills the container if it still runs (closing the control channel does that) and removes its
     * state.  A paused container is thawed first; one that cannot be (the thaw fails) keeps its
     * frozen processes, but its monitor still ends (killed at once: it would wait for them forever)
     * and this throws what the thaw said.  A monitor that has not ended {@link #MONITOR_WAIT_MS}
     * after its channel closed is killed too.
     */
    @Override
    public synchronized void close() throws JrunException {
        if (closed) {
            return;
        }
        closed = true;
        ContainerCgroup cgroup = stateDir == null ? null : Jrun.cgroupOf(state);
        JrunException thaw = null;
        if (exit == null && cgroup != null && cgroup.isFrozen()) {
            try {
                cgroup.killAndThaw(); // paused: the monitor would wait forever for a frozen init to die
            } catch (JrunException e) {
                thaw = e;
            }
        }
        boolean monitorEnded = true;
        try {
            if (exit != null && cgroup != null && cgroup.oomKills() > 0) {
                Warnings.warn("jrun: container " + id() + ": the kernel's OOM killer killed a process of it"
                        + " (memory limit reached)");
            }
            if (stateDir != null && (!keepState || exit == null)) {
                if (exit != null) {
                    Jrun.removeCgroup(cgroup); // the init is reaped: its pid namespace is empty
                    Debug.log("cgroup: removed");
                }
                stateDir.remove();
                Debug.log("state: removed " + stateDir.path());
            }
            if (exit != null && spec != null) {
                hooks.runWarning("poststop", spec.hooks().poststop(), state.toOci("stopped"));
            }
            if (exit != null) {
                stage.channel().done();
            }
        } catch (IOException | UncheckedIOException e) {
            // the monitor is gone: nothing to tell it
        } finally {
            try {
                monitorEnded = stage.close(thaw == null ? MONITOR_WAIT_MS : 0);
            } catch (IOException | UncheckedIOException e) {
                // the monitor is gone either way
            }
            if (exit == null && stateDir != null && thaw == null) { // its state went above, kept or not: its cgroup goes too
                Jrun.removeCgroup(cgroup); // killed by closing the channel: retried until its processes are gone
            }
        }
        if (thaw != null) {
            throw new JrunException("close " + id() + ": " + thaw.getMessage() + "; its processes stay frozen in "
                    + cgroup.dirs() + ", its monitor was killed", thaw);
        }
        if (!monitorEnded) {
            throw new JrunException("close " + id() + ": its monitor did not end " + MONITOR_WAIT_MS
                    + " ms after its channel closed; it was killed");
        }
    }
}
