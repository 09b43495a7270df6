package io.jrun.runtime.json;

import java.util.List;
import java.util.Map;

/** Writes the values {@link Json} reads, compact or indented by two spaces. */
public final class JsonWriter {
    private JsonWriter() {}

    public static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v, -1);
        return b.toString();
    }

    public static String pretty(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v, 0);
        return b.append('\n').toString();
    }

    private static void newline(StringBuilder b, int indent) {
        if (indent >= 0) {
            b.append('\n');
            b.append("  ".repeat(indent));
        }
    }

    private static void write(StringBuilder b, Object v, int indent) {
        int inner = indent < 0 ? -1 : indent + 1;
        if (v == null) {
            b.append("null");
        } else if (v instanceof String str) {
            string(b, str);
        } else if (v instanceof Boolean || v instanceof Long || v instanceof Integer
                || v instanceof java.math.BigInteger) {
            b.append(v);
        } else if (v instanceof Number n) {
            double d = n.doubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 1e18) {
                b.append((long) d);
            } else {
                b.append(d);
            }
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                b.append("{}");
                return;
            }
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                newline(b, inner);
                string(b, String.valueOf(e.getKey()));
                b.append(indent < 0 ? ":" : ": ");
                write(b, e.getValue(), inner);
            }
            newline(b, indent);
            b.append('}');
        } else if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                b.append("[]");
                return;
            }
            b.append('[');
            for (int k = 0; k < l.size(); k++) {
                if (k > 0) {
                    b.append(',');
                }
                newline(b, inner);
                write(b, l.get(k), inner);
            }
            newline(b, indent);
            b.append(']');
        } else {
            throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName());
        }
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        b.append('"');
    }
}
