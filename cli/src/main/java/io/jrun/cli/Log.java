package io.jrun.cli;

import io.jrun.runtime.json.JsonWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * runc's {@code --log FILE --log-format text|json} and {@code --debug}, in the lines runc's
 * logger writes: {@code time="2006-01-02T15:04:05Z" level=error msg="..."} or
 * {@code {"level":"error","msg":"...","time":"..."}} (containerd and Podman read the last JSON
 * line's msg). Errors always go to stderr as jrun's one line; with a log file they are appended
 * to it too. Without a log file, {@code --log-format json} and {@code --debug} lines go to stderr,
 * as runc writes them there.
 */
final class Log {
    private final Path file;
    private final boolean json;
    private final boolean debug;

    Log(String file, String format, boolean debug) {
        this.file = file == null || file.isEmpty() || file.equals("/dev/stderr") ? null : Path.of(file);
        this.json = "json".equals(format);
        this.debug = debug;
    }

    /** The formats runc knows; another is refused as runc refuses it. */
    static void checkFormat(String format) throws Flags.UsageException {
        if (format != null && !format.equals("text") && !format.equals("json")) {
            throw new Flags.UsageException("invalid log-format: " + format);
        }
    }

    void error(String message) {
        if (file == null && json) {
            System.err.println(line("error", message));
            return;
        }
        System.err.println("jrun: " + message);
        append("error", message);
    }

    void warning(String message) {
        if (file == null && json) {
            System.err.println(line("warning", message));
            return;
        }
        System.err.println("jrun: warning: " + message);
        append("warning", message);
    }

    /** A {@code level=debug} line, written only with {@code --debug} (to the log file, else stderr). */
    void debug(String message) {
        if (!debug) {
            return;
        }
        if (file == null) {
            System.err.println(line("debug", message));
        } else {
            append("debug", message);
        }
    }

    /** The runtime's debug lines ({@link io.jrun.runtime.Debug}) as this log's; a class, not a lambda (cold start-up). */
    static final class DebugLines implements java.util.function.Consumer<String> {
        private final Log log;

        DebugLines(Log log) {
            this.log = log;
        }

        @Override
        public void accept(String line) {
            log.debug(line);
        }
    }

    private void append(String level, String message) {
        if (file == null) {
            return;
        }
        try {
            Files.writeString(file, line(level, message) + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.err.println("jrun: write log " + file + ": " + io.jrun.runtime.plan.Errno.describe(e));
        }
    }

    String line(String level, String message) {
        String time = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("level", level);
            m.put("msg", message);
            m.put("time", time);
            return JsonWriter.write(m);
        }
        return "time=\"" + time + "\" level=" + level + " msg=" + quote(message);
    }

    /** A value quoted as Go's %q does for the characters a message may hold. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        b.append(String.format("\\x%02x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
