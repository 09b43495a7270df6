package io.jrun.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * What a container wrote: stdout and stderr as text (the first {@value #MAX_TEXT} bytes of each),
 * their lines in arrival order (the last {@value #MAX_LINES}), passed on as they come to line
 * consumers and files.  Both pipes are read from the start until they close, so no amount of
 * output stalls the container.
 */
public final class Output {
    static final int MAX_TEXT = 64 << 20;
    static final int MAX_LINES = 100_000;
    private static final System.Logger LOG = System.getLogger(Output.class.getName());

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final List<String> lines = new ArrayList<>();
    private final Object lock = new Object();

    /** Everything written to stdout so far, as UTF-8. */
    public String stdout() {
        synchronized (lock) {
            return stdout.toString(StandardCharsets.UTF_8);
        }
    }

    public String stderr() {
        synchronized (lock) {
            return stderr.toString(StandardCharsets.UTF_8);
        }
    }

    /** The lines of both streams, in the order they were read. */
    public List<String> lines() {
        synchronized (lock) {
            return List.copyOf(lines);
        }
    }

    /** "; last N lines of output:" and the lines, or "; no output" (for error messages). */
    public String tail(int n) {
        List<String> all = lines();
        if (all.isEmpty()) {
            return "; no output";
        }
        List<String> last = all.subList(Math.max(0, all.size() - n), all.size());
        StringBuilder sb = new StringBuilder("; last ").append(last.size()).append(" lines of output:");
        for (String l : last) {
            sb.append("\n  | ").append(l);
        }
        return sb.toString();
    }

    /** Reads {@code in} until it ends; each line goes to {@code consumers}, the bytes to {@code file} too. */
    void pump(InputStream in, boolean isStderr, List<Consumer<String>> consumers, Path file) {
        ByteArrayOutputStream text = isStderr ? stderr : stdout;
        ByteArrayOutputStream partial = new ByteArrayOutputStream();
        byte[] buf = new byte[16384];
        OutputStream copy = open(file);
        try (InputStream src = in) {
            for (int n = src.read(buf); n >= 0; n = src.read(buf)) {
                copy = write(copy, buf, n, file);
                List<String> done = new ArrayList<>();
                synchronized (lock) {
                    if (text.size() < MAX_TEXT) {
                        text.write(buf, 0, Math.min(n, MAX_TEXT - text.size()));
                    }
                    int start = 0;
                    for (int i = 0; i < n; i++) {
                        if (buf[i] == '\n') {
                            partial.write(buf, start, i - start);
                            done.add(partial.toString(StandardCharsets.UTF_8));
                            partial.reset();
                            start = i + 1;
                        }
                    }
                    partial.write(buf, start, n - start);
                    addLines(done);
                }
                deliver(consumers, done);
            }
            if (partial.size() > 0) {
                List<String> last = List.of(partial.toString(StandardCharsets.UTF_8));
                synchronized (lock) {
                    addLines(last);
                }
                deliver(consumers, last);
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "container output: read ended: {0}", e.getMessage());
        } finally {
            try {
                copy.close();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "container output to " + file + ": " + e);
            }
        }
    }

    /** Writes to the copy; one that fails (disk full) is warned about and dropped, and the pipe is read on. */
    private static OutputStream write(OutputStream copy, byte[] buf, int n, Path file) {
        try {
            copy.write(buf, 0, n);
            return copy;
        } catch (IOException e) {
            LOG.log(Level.WARNING, "container output to " + file + ": " + e + "; the rest is not copied there");
            try {
                copy.close();
            } catch (IOException ignored) {
                // warned above
            }
            return OutputStream.nullOutputStream();
        }
    }

    /** The file to copy to; if it cannot be written, a warning, and the pipe is read all the same. */
    private static OutputStream open(Path file) {
        if (file == null) {
            return OutputStream.nullOutputStream();
        }
        try {
            return Files.newOutputStream(file);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "container output to " + file + ": " + e);
            return OutputStream.nullOutputStream();
        }
    }

    private void addLines(List<String> done) {
        lines.addAll(done);
        if (lines.size() > MAX_LINES) {
            lines.subList(0, lines.size() - MAX_LINES).clear();
        }
    }

    private static void deliver(List<Consumer<String>> consumers, List<String> done) {
        for (String line : done) {
            for (Consumer<String> c : consumers) {
                try {
                    c.accept(line);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "a container log consumer failed: " + e);
                }
            }
        }
    }
}
