package io.jrun.runtime.state;

/**
 * Now as RFC 3339 UTC with nanoseconds ("2026-11-27T22:53:12.123456789Z"), as runc writes
 * "created". Computed by hand: java.time's formatter costs ~10 ms of class initialisation on
 * every CLI start.
 */
public final class Rfc3339 {
    private Rfc3339() {}

    public static String now() {
        long millis = System.currentTimeMillis();
        long nanosOfMilli = System.nanoTime() % 1_000_000L;
        return format(millis, Math.floorMod(nanosOfMilli, 1_000_000L));
    }

    static String format(long epochMillis, long extraNanos) {
        long secs = Math.floorDiv(epochMillis, 1000L);
        long nanos = Math.floorMod(epochMillis, 1000L) * 1_000_000L + extraNanos;
        long days = Math.floorDiv(secs, 86400L);
        long sod = Math.floorMod(secs, 86400L);
        // civil_from_days (H. Hinnant)
        long z = days + 719468;
        long era = Math.floorDiv(z, 146097);
        long doe = z - era * 146097;
        long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long y = yoe + era * 400;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        long d = doy - (153 * mp + 2) / 5 + 1;
        long m = mp < 10 ? mp + 3 : mp - 9;
        if (m <= 2) {
            y++;
        }
        StringBuilder b = new StringBuilder(30);
        b.append(y).append('-');
        two(b, m).append('-');
        two(b, d).append('T');
        two(b, sod / 3600).append(':');
        two(b, sod / 60 % 60).append(':');
        two(b, sod % 60).append('.');
        String n = Long.toString(nanos);
        for (int i = n.length(); i < 9; i++) {
            b.append('0');
        }
        return b.append(n).append('Z').toString();
    }

    private static StringBuilder two(StringBuilder b, long v) {
        return b.append(v < 10 ? "0" : "").append(v);
    }
}
