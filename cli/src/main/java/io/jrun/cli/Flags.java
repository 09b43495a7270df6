package io.jrun.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * runc's flag syntax (urfave/cli): {@code --flag value}, {@code --flag=value}, a single
 * dash for long names too ({@code -no-pivot}), booleans with an optional {@code =true|false},
 * and {@code --} ending the flags.  Declared per command; parsed without reflection, since
 * every millisecond of a CLI start counts against runc.
 */
final class Flags {
    private final Map<String, String> canonical = new HashMap<>(); // any spelling -> name
    private final Map<String, Boolean> takesValue = new HashMap<>();
    private final java.util.Set<String> repeatable = new java.util.HashSet<>();
    private final Map<String, String> help = new LinkedHashMap<>();

    /** Declares a flag; {@code names} are its spellings without dashes, the first is its name. */
    Flags value(String help, String... names) {
        return declare(true, help, names);
    }

    /** A value flag that may be given several times ({@code --env A=1 --env B=2}). */
    Flags values(String help, String... names) {
        repeatable.add(names[0]);
        return declare(true, help, names);
    }

    Flags bool(String help, String... names) {
        return declare(false, help, names);
    }

    private Flags declare(boolean value, String text, String... names) {
        for (String n : names) {
            canonical.put(n, names[0]);
        }
        takesValue.put(names[0], value);
        StringBuilder spell = new StringBuilder(); // as runc prints them: --bundle value, -b value
        for (String n : names) {
            spell.append(spell.length() == 0 ? "" : ", ").append(n.length() == 1 ? "-" : "--").append(n)
                    .append(value ? " value" : "");
        }
        help.put(spell.toString(), text);
        return this;
    }

    /** The flags as runc's help lists them, the descriptions in one column. */
    String usage() {
        int w = 0;
        for (String k : help.keySet()) {
            w = Math.max(w, k.length());
        }
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> e : help.entrySet()) {
            b.append("   ").append(e.getKey()).append(" ".repeat(w - e.getKey().length() + 2)).append(e.getValue())
                    .append('\n');
        }
        return b.toString();
    }

    /** The parsed flags and the arguments left; a repeatable flag's values are joined by NUL. */
    record Parsed(Map<String, String> values, List<String> rest) {
        String get(String name) {
            return values.get(name);
        }

        List<String> all(String name) {
            String v = values.get(name);
            return v == null ? List.of() : List.of(v.split("\0", -1));
        }

        boolean is(String name) {
            String v = values.get(name);
            return v != null && !v.equals("false");
        }
    }

    /**
     * Parses flags from {@code args[from]} on.  With {@code stopAtPositional}, the first
     * non-flag ends the flags (for global flags before a command); otherwise flags and
     * positionals may mix, as urfave/cli allows after the command's own arguments.
     */
    Parsed parse(String[] args, int from, boolean stopAtPositional) throws UsageException {
        Map<String, String> values = new HashMap<>();
        List<String> rest = new ArrayList<>();
        int i = from;
        for (; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                i++;
                break;
            }
            if (!a.startsWith("-") || a.equals("-")) {
                if (stopAtPositional) {
                    break;
                }
                rest.add(a);
                continue;
            }
            String body = a.startsWith("--") ? a.substring(2) : a.substring(1);
            String inline = null;
            int eq = body.indexOf('=');
            if (eq >= 0) {
                inline = body.substring(eq + 1);
                body = body.substring(0, eq);
            }
            String name = canonical.get(body);
            if (name == null) {
                throw new UsageException("flag provided but not defined: " + a);
            }
            if (takesValue.get(name)) {
                if (inline == null) {
                    if (i + 1 >= args.length) {
                        throw new UsageException("flag needs an argument: " + a);
                    }
                    inline = args[++i];
                }
                String old = values.get(name);
                values.put(name, old != null && repeatable.contains(name) ? old + "\0" + inline : inline);
            } else {
                values.put(name, inline == null ? "true" : inline);
            }
        }
        for (; i < args.length; i++) {
            rest.add(args[i]);
        }
        return new Parsed(values, rest);
    }

    /** A command line that does not parse: jrun prints it with the usage and exits 1. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }
}
