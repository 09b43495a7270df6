package io.jrun.image.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One challenge of a {@code WWW-Authenticate} header (RFC 7235): a scheme ({@code bearer} or
 * {@code basic}, lowercased) and its parameters, e.g. {@code realm}, {@code service}, {@code scope}.
 */
public record Challenge(String scheme, Map<String, String> parameters) {
    public Challenge {
        scheme = scheme.toLowerCase(Locale.ROOT);
        parameters = Map.copyOf(parameters);
    }

    /** A parameter's value (names are lowercased), or null. */
    public String parameter(String name) {
        return parameters.get(name);
    }

    /**
     * The challenges of one header value, e.g. {@code Bearer realm="https://auth.example/token",
     * service="registry.example",scope="repository:a/b:pull"}: parameter names are matched without
     * case; values are quoted strings with backslash escapes or, leniently, bare text up to a comma
     * or a space. Parsing stops at text that is neither.
     */
    public static List<Challenge> parse(String header) {
        List<Challenge> out = new ArrayList<>();
        if (header == null) {
            return out;
        }
        String scheme = null;
        Map<String, String> params = new LinkedHashMap<>();
        int[] pos = {0};
        while (true) {
            skip(header, pos, " \t,");
            String token = token(header, pos);
            if (token.isEmpty()) {
                break;
            }
            skip(header, pos, " \t");
            if (scheme != null && pos[0] < header.length() && header.charAt(pos[0]) == '=') {
                pos[0]++;
                skip(header, pos, " \t");
                params.put(token.toLowerCase(Locale.ROOT), value(header, pos));
            } else {
                if (scheme != null) {
                    out.add(new Challenge(scheme, params));
                }
                scheme = token;
                params = new LinkedHashMap<>();
            }
        }
        if (scheme != null) {
            out.add(new Challenge(scheme, params));
        }
        return out;
    }

    private static void skip(String s, int[] pos, String chars) {
        while (pos[0] < s.length() && chars.indexOf(s.charAt(pos[0])) >= 0) {
            pos[0]++;
        }
    }

    private static String token(String s, int[] pos) {
        int start = pos[0];
        while (pos[0] < s.length()) {
            char c = s.charAt(pos[0]);
            if (c <= ' ' || c >= 127 || "\"(),/:;<=>?@[\\]{}".indexOf(c) >= 0) {
                break;
            }
            pos[0]++;
        }
        return s.substring(start, pos[0]);
    }

    private static String value(String s, int[] pos) {
        StringBuilder b = new StringBuilder();
        if (pos[0] < s.length() && s.charAt(pos[0]) == '"') {
            pos[0]++;
            while (pos[0] < s.length() && s.charAt(pos[0]) != '"') {
                if (s.charAt(pos[0]) == '\\' && pos[0] + 1 < s.length()) {
                    pos[0]++;
                }
                b.append(s.charAt(pos[0]++));
            }
            pos[0]++; // the closing quote
        } else {
            while (pos[0] < s.length() && s.charAt(pos[0]) != ',' && s.charAt(pos[0]) != ' ') {
                b.append(s.charAt(pos[0]++));
            }
        }
        return b.toString();
    }
}
