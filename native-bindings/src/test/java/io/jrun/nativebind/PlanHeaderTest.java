package io.jrun.nativebind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Both sides of the protocol are generated from protocol.def: this reads the C header the stage was built
 * with and fails when it and the Java classes disagree (a generator that drifted, a stale header).
 */
class PlanHeaderTest {
    private static final Path HEADER = Path.of("target/generated-sources/protocol-c/protocol.h");

    @Test
    void everyOpHasTheHeadersNumberAndSignature() throws IOException {
        String h = Files.readString(HEADER);
        Map<Integer, String> signatures = new TreeMap<>();
        Matcher s = Pattern.compile("\\[(\\d+)\\] = \"([us*]*)\"").matcher(h);
        while (s.find()) {
            signatures.put(Integer.parseInt(s.group(1)), s.group(2));
        }
        Map<String, String> header = new TreeMap<>();
        Matcher m = Pattern.compile("#define OP_([A-Z_0-9]+) (\\d+)\n").matcher(h);
        while (m.find()) {
            header.put(m.group(1), m.group(2) + " " + signatures.get(Integer.parseInt(m.group(2))));
        }
        Map<String, String> java = new TreeMap<>();
        for (StageOp op : StageOp.values()) {
            java.put(op.name(), op.code() + " " + op.signature());
        }
        assertEquals(header, java);
        assertEquals(java.size(), signatures.size());
    }

    @Test
    void framingVersionAndLimitMatchTheHeader() throws IOException {
        String h = Files.readString(HEADER);
        assertTrue(h.contains("#define PLAN_VERSION " + PlanEncoder.VERSION + "u\n"));
        assertTrue(h.contains("#define PLAN_MAX_BYTES " + PlanEncoder.MAX_BYTES + "u\n"));
        assertTrue(h.contains("#define PLAN_MAGIC \"" + Protocol.PLAN_MAGIC + "\"\n"));
        assertTrue(h.contains("#define PLAN_FRAME \"" + Protocol.PLAN_FRAME + "\"\n"));
        assertEquals(16 << 20, PlanEncoder.MAX_BYTES);
        assertEquals("JRUNPLAN", Protocol.PLAN_MAGIC);
    }

    @Test
    void everyLineHasTheHeadersFormat() throws IOException {
        String h = Files.readString(HEADER);
        for (String kind : new String[] {"EVENT", "CONTROL"}) {
            for (String line : kind.equals("EVENT") ? Protocol.EVENTS : Protocol.CONTROLS) {
                String[] w = line.split(" ");
                StringBuilder format = new StringBuilder(w[0]);
                for (int i = 1; i < w.length; i++) {
                    format.append(w[i].endsWith(":d") ? " %d" : w[i].endsWith(":u") ? " %u" : " %s");
                }
                String define = "#define " + kind + "_" + w[0].toUpperCase() + " \"" + format + "\"\n";
                assertTrue(h.contains(define), define);
            }
        }
        assertEquals(5, Protocol.EVENTS.length);
        assertEquals(6, Protocol.CONTROLS.length);
    }
}
