package io.jrun.nativebind;

/** What the stage's monitor reports over the control channel: the event lines of protocol.def. */
public sealed interface StageEvent {
    /** The container's init is set up and waits for start. {@code pid} is in the caller's pid namespace. */
    record Created(int pid) implements StageEvent {}

    /** Step {@code step} of the plan failed with {@code errno}; {@code detail} names the sub-operation. */
    record Failed(int step, int errno, String detail) implements StageEvent {}

    /** The init stopped at a hook point (plan step {@code step}) and waits for resume. */
    record Paused(int step, int pid) implements StageEvent {}

    /** The user program was exec'd. */
    record Started() implements StageEvent {}

    /** The container's init ended; {@code waitStatus} is the raw status of waitpid(2). */
    record Exited(int waitStatus) implements StageEvent {
        public boolean signaled() {
            return (waitStatus & 0x7F) != 0 && (waitStatus & 0x7F) != 0x7F;
        }

        public int signal() {
            return waitStatus & 0x7F;
        }

        /** The exit status a shell would show: the code, or 128 + the signal. */
        public int shellStatus() {
            return signaled() ? 128 + signal() : (waitStatus >> 8) & 0xFF;
        }
    }

    static StageEvent parse(String line) {
        String[] w = line.split(" ", 4);
        try {
            switch (w[0]) {
                case Protocol.EVENT_CREATED:
                    return new Created(Integer.parseInt(w[1]));
                case Protocol.EVENT_STARTED:
                    return new Started();
                case Protocol.EVENT_PAUSED:
                    return new Paused(Integer.parseInt(w[1]), Integer.parseInt(w[2]));
                case Protocol.EVENT_EXITED:
                    return new Exited(Integer.parseInt(w[1]));
                case Protocol.EVENT_ERROR:
                    return new Failed(Integer.parseInt(w[1]), Integer.parseInt(w[2]), w.length > 3 ? w[3] : "");
                default:
                    break;
            }
        } catch (RuntimeException e) {
            // fall through to the error below
        }
        throw new IllegalStateException("stage: malformed message: " + line);
    }
}
