/*
 * jrun's native stage.  Two ways in, one monitor:
 *
 *   jrun ARGS...                 the CLI front-end: starts the JVM with a control
 *                                channel on fds 3 (to Java) and 4 (from Java) and
 *                                exits with its status.  If Java sends a plan, this
 *                                process becomes the container's monitor, so the
 *                                signals users send to jrun reach the container.
 *   jrun state|start|kill|delete|list|ps|pause|resume ...
 *                                run here without a JVM, from the records Java wrote at
 *                                create (commands/natives.c); anything unusual falls
 *                                through to the front-end.
 *   jrun --stage SOCKET          used by the Java library: the plan and the control
 *                                messages come over the unix socket SOCKET.
 *   jrun --signal PID START SIG  sends SIG to PID through a pidfd, if PID still is the
 *                                process that started at START (field 22 of its stat).
 *   jrun --cgroup-devices DIR    attaches the cgroup v2 device program on stdin (u64
 *                                little-endian instructions, see cgdev.c) to the cgroup
 *                                DIR and detaches the ones jrun attached there before
 *                                (`jrun update`).
 *
 * The monitor runs the plan's pre-clone steps, clones the container's init
 * (which runs the rest, see child.c) and then relays:
 *   to Java:   "created PID" | "error STEP ERRNO DETAIL" | "started" | "exited WAITSTATUS"
 *              | "paused STEP PID" (stopped at a hook point)
 *   from Java: "start" | "kill SIG" | "done" (Java has cleaned up after the exit: the
 *              front-end may exit with the container's status without waiting for the JVM)
 *              | "detach" (the container outlives the monitor: exit, leaving it running)
 *              | "resume" (go on from a hook point)
 * (the plan's ops and these lines are defined in src/main/protocol/protocol.def, generated into protocol.h).
 * A control channel that closes kills the container: it never outlives its controller.
 *
 * By job: main.c dispatches on argv; sealed.c re-executes from a sealed copy; frontend.c starts the JVM;
 * preclone.c runs the pre-clone steps and clones; monitor.c is the monitor loop; child.c runs the init's
 * steps; commands/ holds the commands that need no JVM.
 */
#include "launcher.h"
#include "commands/records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    int native_status = natives_main(argc, argv);
    if (native_status != NATIVE_FALLBACK)
        return native_status;
    if (argc == 5 && !strcmp(argv[1], "--signal"))
        return send_signal(argv[2], argv[3], argv[4]);
    run_from_sealed_copy(argv);
    const char *original = getenv("JRUN_STAGE_PATH");
    if (!original || snprintf(stage_path, sizeof(stage_path), "%s", original) >= (int)sizeof(stage_path))
        die("JRUN_STAGE_PATH: not set or too long");
    unsetenv("JRUN_STAGE_PATH"); /* nothing we start needs it */
    if (argc == 3 && !strcmp(argv[1], "--cgroup-devices"))
        return cgroup_devices(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "--stage"))
        return stage(argv[2]);
    return front_end(argc, argv);
}
