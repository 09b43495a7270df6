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
 * runc's {@code --log FILE --log-format text|json}: errors go to stderr and, when a log
 * file is given, are appended to it; containerd and Podman read the last JSON line's msg.
 */
final class Log {
    private final Path file;
    private final boolean json;

    Log(String file, String format) {
        this.file = file == null || file.isEmpty() ? null : Path.of(file);
        this.json = "json".equals(format);
    }

    void error(String message) {
        System.err.println("jrun: " + message);
        if (file == null) {
            return;
        }
        String time = Instant.now().truncatedTo(ChronoUnit.MICROS).toString();
        String line;
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("level", "error");
            m.put("msg", message);
            m.put("time", time);
            line = JsonWriter.write(m);
        } else {
            line = "time=\"" + time + "\" level=error msg=\"" + message.replace("\"", "\\\"") + "\"";
        }
        try {
            Files.writeString(file, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.err.println("jrun: write log " + file + ": " + e.getMessage());
        }
    }
}
