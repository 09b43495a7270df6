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
}
