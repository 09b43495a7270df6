package io.jrun.nativebind;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Writes steps in the wire format of {@code protocol.def} (see {@link Protocol}): the only encoder of it. */
public final class PlanEncoder {
    public static final int VERSION = Protocol.PLAN_VERSION;
    public static final int MAX_BYTES = Protocol.PLAN_MAX_BYTES;
    private static final int ARG_U64 = Protocol.ARG_U64;
    private static final int ARG_STR = Protocol.ARG_STR;

    /** One step: an op and its arguments, each a {@link Long} or a {@link String}, as its signature says. */
    public record Step(StageOp op, List<Object> args) {
        public Step {
            args = List.copyOf(args);
            for (Object a : args) {
                if (!(a instanceof Long) && !(a instanceof String)) {
                    throw new IllegalArgumentException(op + ": argument " + a + " is neither a long nor a string");
                }
            }
            if (!op.accepts(args)) {
                throw new IllegalArgumentException(op + ": arguments " + kinds(args) + " do not match its signature \""
                        + op.signature() + "\" (protocol.def)");
            }
        }

        private static String kinds(List<Object> args) {
            StringBuilder b = new StringBuilder("\"");
            for (Object a : args) {
                b.append(a instanceof Long ? 'u' : 's');
            }
            return b.append('"').toString();
        }
    }

    private PlanEncoder() {}

    public static byte[] encode(List<Step> steps) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        out.writeBytes(Protocol.PLAN_MAGIC.getBytes(StandardCharsets.US_ASCII));
        u32(out, VERSION);
        u32(out, steps.size());
        for (Step s : steps) {
            if (s.args().size() > 0xFFFF) {
                throw new IllegalArgumentException(s.op() + ": too many arguments (" + s.args().size() + ")");
            }
            u16(out, s.op().code());
            u16(out, s.args().size());
            for (Object a : s.args()) {
                if (a instanceof Long n) {
                    out.write(ARG_U64);
                    u32(out, (int) (long) n);
                    u32(out, (int) (n >>> 32));
                } else {
                    byte[] b = ((String) a).getBytes(StandardCharsets.UTF_8);
                    for (byte x : b) {
                        if (x == 0) {
                            throw new IllegalArgumentException(s.op() + ": a string holds a NUL byte");
                        }
                    }
                    out.write(ARG_STR);
                    u32(out, b.length);
                    out.writeBytes(b);
                    out.write(0);
                }
            }
        }
        if (out.size() > MAX_BYTES) {
            throw new IllegalArgumentException("plan of " + out.size() + " bytes exceeds " + MAX_BYTES);
        }
        return out.toByteArray();
    }

    private static void u16(ByteArrayOutputStream out, int v) {
        out.write(v & 0xFF);
        out.write((v >>> 8) & 0xFF);
    }

    static void u32(ByteArrayOutputStream out, int v) {
        out.write(v & 0xFF);
        out.write((v >>> 8) & 0xFF);
        out.write((v >>> 16) & 0xFF);
        out.write((v >>> 24) & 0xFF);
    }
}
