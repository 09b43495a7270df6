package io.jrun.nativebind;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class PlanEncoderTest {
    @Test
    void encodesHeaderStepsAndArguments() {
        byte[] b = PlanEncoder.encode(List.of(new PlanEncoder.Step(StageOp.HOSTNAME, List.of("ab")),
                new PlanEncoder.Step(StageOp.SETUID, List.of(0x1_0000_0002L))));
        byte[] expected = {
            'J', 'R', 'U', 'N', 'P', 'L', 'A', 'N', 1, 0, 0, 0, 2, 0, 0, 0,
            11, 0, 1, 0, 2, 2, 0, 0, 0, 'a', 'b', 0,
            23, 0, 1, 0, 1, 2, 0, 0, 0, 1, 0, 0, 0,
        };
        assertArrayEquals(expected, b);
    }

    @Test
    void refusesNulInStrings() {
        var step = new PlanEncoder.Step(StageOp.HOSTNAME, List.of("a\0b"));
        assertThrows(IllegalArgumentException.class, () -> PlanEncoder.encode(List.of(step)));
    }

    @Test
    void parsesMonitorEvents() {
        assertEquals(new StageEvent.Created(42), StageEvent.parse("created 42"));
        assertEquals(new StageEvent.Failed(3, 2, "mount proc"), StageEvent.parse("error 3 2 mount proc"));
        StageEvent.Exited e = (StageEvent.Exited) StageEvent.parse("exited 15");
        assertEquals(143, e.shellStatus());
        assertEquals(3, new StageEvent.Exited(3 << 8).shellStatus());
        assertThrows(IllegalStateException.class, () -> StageEvent.parse("bogus"));
    }

    @Test
    void refusesArgumentsNotOfTheOpsSignature() {
        assertThrows(IllegalArgumentException.class, () -> new PlanEncoder.Step(StageOp.SETNS, List.of("/x", 1L)));
        assertThrows(IllegalArgumentException.class, () -> new PlanEncoder.Step(StageOp.HOSTNAME, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new PlanEncoder.Step(StageOp.PIVOT_ROOT, List.of(0L)));
        assertThrows(IllegalArgumentException.class, () -> new PlanEncoder.Step(StageOp.SECCOMP, List.of(0L, "x")));
        assertThrows(IllegalArgumentException.class, () -> new PlanEncoder.Step(StageOp.SECCOMP, List.of()));
        assertEquals("uu*", StageOp.SECCOMP.signature());
        new PlanEncoder.Step(StageOp.SECCOMP, List.of(0L));
        new PlanEncoder.Step(StageOp.SECCOMP, List.of(0L, 1L, 2L));
        new PlanEncoder.Step(StageOp.SETGROUPS, List.of());
        new PlanEncoder.Step(StageOp.SECCOMP_LISTENER, List.of("/sock", "{", "}"));
    }

    @Test
    void parsesEveryEventTheProtocolDefines() {
        for (String line : Protocol.EVENTS) {
            String[] w = line.split(" ");
            StringBuilder sample = new StringBuilder(w[0]);
            for (int i = 1; i < w.length; i++) {
                sample.append(w[i].endsWith(":rest") ? " open /x" : " 7");
            }
            StageEvent e = StageEvent.parse(sample.toString());
            String word = e instanceof StageEvent.Created ? "created" : e instanceof StageEvent.Failed ? "error"
                    : e instanceof StageEvent.Paused ? "paused" : e instanceof StageEvent.Started ? "started"
                    : e instanceof StageEvent.Exited ? "exited" : "?";
            assertEquals(w[0], word);
        }
    }
}
