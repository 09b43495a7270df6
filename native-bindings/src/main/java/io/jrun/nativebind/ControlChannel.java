package io.jrun.nativebind;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Java's end of the control channel with a stage monitor: the plan goes out once,
 * then "start" and "kill SIG", and "done" once Java has cleaned up after the exit;
 * events come back a line each ({@link Protocol}, from protocol.def).  Closing it makes the monitor kill the
 * container.
 */
public final class ControlChannel implements Closeable {
    private final InputStream in;
    private final OutputStream out;
    private final Closeable resource;

    public ControlChannel(InputStream in, OutputStream out, Closeable resource) {
        this.in = in;
        this.out = out;
        this.resource = resource;
    }

    public void sendPlan(byte[] plan) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(plan.length + 8);
        b.writeBytes(Protocol.PLAN_FRAME.getBytes(StandardCharsets.US_ASCII));
        PlanEncoder.u32(b, plan.length);
        b.writeBytes(plan);
        synchronized (out) {
            out.write(b.toByteArray());
            out.flush();
        }
    }

    public void start() throws IOException {
        send(Protocol.CONTROL_START);
    }

    public void kill(int signal) throws IOException {
        send(Protocol.CONTROL_KILL + " " + signal);
    }

    /** Java's side is cleaned up after the container's exit: the CLI launcher may exit at once. */
    public void done() throws IOException {
        send(Protocol.CONTROL_DONE);
    }

    /** Lets an init stopped at a hook point go on. */
    public void resume() throws IOException {
        send(Protocol.CONTROL_RESUME);
    }

    private volatile boolean detached;

    /** The container outlives its monitor (create, run --detach): the monitor exits without killing it. */
    public void detach() throws IOException {
        send(Protocol.CONTROL_DETACH);
        detached = true;
    }

    /** Whether {@link #detach()} was sent. */
    public boolean detached() {
        return detached;
    }

    private void send(String line) throws IOException {
        synchronized (out) {
            out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
    }

    /** Blocks for the next event; EOFException when the monitor is gone. */
    public StageEvent read() throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new EOFException("stage: control channel closed");
            }
            line.append((char) c);
        }
        return StageEvent.parse(line.toString());
    }

    @Override
    public void close() throws IOException {
        try {
            out.close();
        } finally {
            try {
                in.close();
            } finally {
                resource.close();
            }
        }
    }
}
