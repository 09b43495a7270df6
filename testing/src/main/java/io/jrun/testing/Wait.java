package io.jrun.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The waits a test usually needs, polled every few milliseconds: a log line, a listening port,
 * an HTTP status, a command that succeeds.  A timeout names the wait and shows the last output.
 */
public final class Wait {
    private Wait() {}

    /** Until {@code times} lines of stdout or stderr (counted from the start) match {@code regex} (anywhere in the line). */
    public static WaitStrategy forLogLine(String regex, int times) {
        Pattern p = Pattern.compile(regex);
        return new Polling("log line /" + regex + "/" + (times > 1 ? " x" + times : "")) {
            @Override
            boolean ready(Container c) {
                int n = 0;
                for (String line : c.output().lines()) {
                    if (p.matcher(line).find() && ++n >= times) {
                        return true;
                    }
                }
                return false;
            }
        };
    }

    public static WaitStrategy forLogLine(String regex) {
        return forLogLine(regex, 1);
    }

    /** Until a TCP connection to {@code port} on the container's loopback succeeds. */
    public static WaitStrategy forPort(int port) {
        return new Polling("port " + port) {
            @Override
            boolean ready(Container c) {
                try (Socket s = c.connect(port)) {
                    return true;
                } catch (IOException | ContainerException e) {
                    return false;
                }
            }
        };
    }

    /** Until {@code GET path} on {@code port} answers with {@code status}. */
    public static WaitStrategy forHttp(int port, String path, int status) {
        return new Polling("HTTP " + status + " from GET " + path + " on port " + port) {
            @Override
            boolean ready(Container c) {
                try {
                    return httpStatus(c, port, path) == status;
                } catch (IOException | ContainerException e) {
                    return false;
                }
            }
        };
    }

    /** Until {@code args}, run in the container, exits 0. */
    public static WaitStrategy forCommand(String... args) {
        List<String> cmd = List.copyOf(Arrays.asList(args));
        return new Polling("command " + String.join(" ", cmd) + " to succeed") {
            @Override
            boolean ready(Container c) {
                try {
                    return c.exec(cmd.toArray(new String[0])).exitCode() == 0;
                } catch (ContainerException e) {
                    return false;
                }
            }
        };
    }

    /** The status code of an HTTP/1.0 {@code GET path} on {@code port} inside the container. */
    static int httpStatus(Container c, int port, String path) throws IOException {
        try (Socket s = c.connect(port)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int ch = in.read(); ch >= 0 && ch != '\n' && line.length() < 200; ch = in.read()) {
                line.append((char) ch);
            }
            String[] f = line.toString().trim().split(" ");
            if (f.length < 2 || !f[0].startsWith("HTTP/")) {
                return -1;
            }
            return Integer.parseInt(f[1]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Polls {@link #ready} until it holds, the container ends, or the timeout passes. */
    abstract static class Polling implements WaitStrategy {
        private final String what;

        Polling(String what) {
            this.what = what;
        }

        abstract boolean ready(Container c);

        @Override
        public void waitUntilReady(Container c, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            long pause = 1;
            while (!ready(c)) {
                if (!c.isRunning()) {
                    throw new ContainerException("wait for " + what + " in container " + c.id()
                            + ": the container ended with status " + c.exitCode().orElse(-1) + c.output().tail(20));
                }
                if (System.nanoTime() > deadline) {
                    throw new ContainerException("wait for " + what + " in container " + c.id() + ": timed out after "
                            + timeout.toMillis() + " ms" + c.output().tail(20));
                }
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ContainerException("wait for " + what + " in container " + c.id() + ": interrupted");
                }
                pause = Math.min(pause * 2, 20);
            }
        }

        @Override
        public String toString() {
            return "wait for " + what;
        }
    }
}
