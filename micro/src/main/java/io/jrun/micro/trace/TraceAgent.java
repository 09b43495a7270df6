package io.jrun.micro.trace;

import io.jrun.micro.MicroException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;

/**
 * The static trace agent shipped in this jar ({@code src/main/c/trace-agent.c}), run for one
 * traced container: it listens on {@code socket} (the container's {@code linux.seccomp.listenerPath})
 * and writes the paths of the notified calls to {@code out}.
 */
final class TraceAgent implements AutoCloseable {
    private final Process process;
    private final Path out;

    private TraceAgent(Process process, Path out) {
        this.process = process;
        this.out = out;
    }

    /** The agent's binary, copied out of the jar into {@code dir} (mode 0500). */
    static Path install(Path dir) throws MicroException {
        Path exe = dir.resolve("jrun-trace-agent");
        try (InputStream in = TraceAgent.class.getResourceAsStream("jrun-trace-agent")) {
            if (in == null) {
                throw new MicroException("run the trace agent: jrun-trace-agent is missing from the jar");
            }
            Files.copy(in, exe, StandardCopyOption.REPLACE_EXISTING);
            Files.setAttribute(exe, "unix:mode", 0500);
        } catch (IOException e) {
            throw MicroException.io("install the trace agent in " + dir, e);
        }
        return exe;
    }

    static TraceAgent start(Path exe, Path socket, Path out) throws MicroException {
        Process p;
        try {
            p = new ProcessBuilder(exe.toString(), socket.toString(), out.toString())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw MicroException.io("run the trace agent " + exe, e);
        }
        // it says "listening" once bound: the container's monitor connects before its clone
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
            String line = r.readLine();
            if (!"listening".equals(line)) {
                p.destroyForcibly();
                throw new MicroException("run the trace agent on " + socket + ": " + (line == null ? "it exited" : line));
            }
            Thread drain = new Thread(() -> {
                try {
                    String l;
                    while ((l = r.readLine()) != null) {
                        System.err.println(l);
                    }
                } catch (IOException ignored) {
                    // the agent is gone
                }
            }, "trace-agent-stderr");
            drain.setDaemon(true);
            drain.start();
        } catch (IOException e) {
            p.destroyForcibly();
            throw MicroException.io("run the trace agent on " + socket, e);
        }
        return new TraceAgent(p, out);
    }

    /** Waits for the agent, which ends once no process is left under the filter; its exit status. */
    int finish() throws MicroException {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new MicroException("trace agent on " + out + ": still running 30 s after the container ended");
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MicroException("wait for the trace agent: interrupted");
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
