package io.jrun.nativebind;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Java and C sides of the plan format are written by hand: this keeps them equal. */
class PlanHeaderTest {
    private static final Path HEADER = Path.of("src/main/c/plan.h");

    @Test
    void everyOpHasTheHeadersNumber() throws IOException {
        Map<String, Integer> header = new TreeMap<>();
        Matcher m = Pattern.compile("#define OP_([A-Z_]+) (\\d+)").matcher(Files.readString(HEADER));
        while (m.find()) {
            header.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        Map<String, Integer> java = new TreeMap<>();
        for (StageOp op : StageOp.values()) {
            java.put(op.name(), op.code());
        }
        assertEquals(header, java);
    }

    @Test
    void versionAndLimitMatchTheHeader() throws IOException {
        String h = Files.readString(HEADER);
        assertEquals(true, h.contains("#define PLAN_VERSION " + PlanEncoder.VERSION + "\n"));
        assertEquals(true, h.contains("#define PLAN_MAX_BYTES (16u << 20)"));
        assertEquals(16 << 20, PlanEncoder.MAX_BYTES);
    }
}
