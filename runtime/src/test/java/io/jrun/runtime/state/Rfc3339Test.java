package io.jrun.runtime.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class Rfc3339Test {
    @Test
    void matchesJavaTimeAcrossYearsAndLeapDays() {
        for (long ms : new long[] {0L, 951782400123L, 1709164800000L, 1795817315308L, 4102444799999L}) {
            String expected = Instant.ofEpochMilli(ms).plusNanos(42).toString();
            assertEquals(expected.replace("Z", "").length() < 29 ? pad(expected) : expected, Rfc3339.format(ms, 42));
        }
    }

    /** Instant.toString drops trailing zero groups; runc (and jrun) always print nine digits. */
    private static String pad(String s) {
        String base = s.substring(0, s.length() - 1);
        int dot = base.indexOf('.');
        String frac = dot < 0 ? "" : base.substring(dot + 1);
        return (dot < 0 ? base : base.substring(0, dot)) + "." + (frac + "000000000").substring(0, 9) + "Z";
    }
}
