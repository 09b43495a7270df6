package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jrun.runtime.json.Json;
import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.spec.DefaultSpec;
import io.jrun.runtime.testing.TestBundle;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hundreds of mutated configs (a fixed seed: byte flips, truncations, type swaps, huge numbers, deep
 * nesting, long strings) given to {@code jrun create} over a rootfs that would run: each ends in a
 * one-line error or a created container (then deleted), never a stack trace, never a hang, and leaves
 * no state behind (the leak check sees cgroups, mounts and processes). Most go through the CLI's Java
 * entry in this JVM, a few through the real binary.
 */
class MutatedConfigIT extends CliTest {
    static final long SEED = 0x6a72756e12L;

    final ExecutorService worker = Executors.newSingleThreadExecutor();

    @AfterEach
    void stopWorker() {
        worker.shutdownNow();
    }

    /** jrun spec's config (with its seccomp profile) over the busybox fixture, running /bin/true. */
    static String baseConfig() {
        Map<String, Object> spec = DefaultSpec.create(List.of("true"));
        @SuppressWarnings("unchecked")
        Map<String, Object> root = (Map<String, Object>) spec.get("root");
        root.put("path", TestBundle.fixtureRootfs().toString());
        return JsonWriter.pretty(spec);
    }

    record Mutant(String how, byte[] config) {}

    static List<Mutant> mutants(int n) {
        Random r = new Random(SEED);
        String base = baseConfig();
        byte[] bytes = base.getBytes(StandardCharsets.UTF_8);
        List<Mutant> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            switch (i % 6) {
                case 0 -> {
                    byte[] b = bytes.clone();
                    int flips = 1 + r.nextInt(3);
                    StringBuilder how = new StringBuilder("flip");
                    for (int k = 0; k < flips; k++) {
                        int at = r.nextInt(b.length);
                        b[at] = (byte) (r.nextBoolean() ? r.nextInt(256) : b[at] ^ (1 << r.nextInt(8)));
                        how.append(' ').append(at);
                    }
                    out.add(new Mutant(how.toString(), b));
                }
                case 1 -> {
                    int at = r.nextInt(bytes.length);
                    out.add(new Mutant("truncate at " + at, java.util.Arrays.copyOf(bytes, at)));
                }
                case 2 -> out.add(replaceNode(base, r, "type swap", Mutants::swapType));
                case 3 -> out.add(replaceNode(base, r, "huge number", Mutants::hugeNumber));
                case 4 -> out.add(replaceNode(base, r, "deep nesting", (v, rr) -> Mutants.nest(rr)));
                default -> out.add(replaceNode(base, r, "long string", (v, rr) -> Mutants.longString(rr)));
            }
        }
        return out;
    }

    interface Change {
        Object apply(Object old, Random r);
    }

    /** Parses base, replaces one node picked at random (a map value or list element), writes it again. */
    static Mutant replaceNode(String base, Random r, String what, Change change) {
        Object tree = Json.parse(base);
        List<Object[]> slots = new ArrayList<>(); // {container, key or index}
        collect(tree, slots);
        Object[] slot = slots.get(r.nextInt(slots.size()));
        String path;
        if (slot[0] instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked")
            Map<String, Object> mm = (Map<String, Object>) m;
            mm.put((String) slot[1], change.apply(mm.get(slot[1]), r));
            path = (String) slot[1];
        } else {
            @SuppressWarnings("unchecked")
            List<Object> l = (List<Object>) slot[0];
            int k = (Integer) slot[1];
            l.set(k, change.apply(l.get(k), r));
            path = "[" + k + "]";
        }
        String text = Mutants.write(tree);
        return new Mutant(what + " at " + path, text.getBytes(StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    static void collect(Object v, List<Object[]> slots) {
        if (v instanceof Map<?, ?> m) {
            for (String k : new ArrayList<>(((Map<String, Object>) m).keySet())) {
                slots.add(new Object[] {m, k});
                collect(m.get(k), slots);
            }
        } else if (v instanceof List<?> l) {
            for (int k = 0; k < l.size(); k++) {
                slots.add(new Object[] {l, k});
                collect(l.get(k), slots);
            }
        }
    }

    /** The mutations that need a tree. */
    static final class Mutants {
        static Object swapType(Object old, Random r) {
            Object[] others = {"x", 7L, -1L, 2.5, true, null, List.of(), List.of("a", 1L), new LinkedHashMap<>(),
                    Map.of("k", "v")};
            Object v;
            do {
                v = others[r.nextInt(others.length)];
            } while (v != null && old != null && v.getClass() == old.getClass());
            return v;
        }

        static Object hugeNumber(Object old, Random r) {
            String[] n = {"4294967296", "4294967295", "2147483648", "-1", "9223372036854775807",
                    "9223372036854775808", "-9223372036854775809", "18446744073709551616", "1e308", "1e309",
                    "-0", "0.5", "123456789012345678901234567890123456789012345678901234567890123456789"};
            return new Raw(n[r.nextInt(n.length)]);
        }

        static Object nest(Random r) {
            int depth = r.nextBoolean() ? 100 + r.nextInt(400) : 600 + r.nextInt(100_000);
            boolean arrays = r.nextBoolean();
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < depth; i++) {
                b.append(arrays ? "[" : "{\"a\":");
            }
            b.append("1");
            for (int i = 0; i < depth; i++) {
                b.append(arrays ? "]" : "}");
            }
            return new Raw(b.toString());
        }

        static Object longString(Random r) {
            int len = r.nextBoolean() ? 5000 + r.nextInt(5000) : 1 << 20;
            StringBuilder b = new StringBuilder(len);
            for (int i = 0; i < len; i++) {
                b.append((char) ('a' + r.nextInt(26)));
            }
            if (r.nextBoolean()) {
                b.insert(r.nextInt(b.length()), "\n\u0000\u00e9\ud800");
            }
            return b.toString();
        }

        /** JsonWriter for the tree, with {@link Raw} values spliced in as they are. */
        static String write(Object tree) {
            List<String> raws = new ArrayList<>();
            Object marked = mark(tree, raws);
            String text = JsonWriter.pretty(marked);
            for (int i = 0; i < raws.size(); i++) {
                text = text.replace("\"@@raw" + i + "@@\"", raws.get(i));
            }
            return text;
        }

        @SuppressWarnings("unchecked")
        static Object mark(Object v, List<String> raws) {
            if (v instanceof Raw raw) {
                raws.add(raw.text());
                return "@@raw" + (raws.size() - 1) + "@@";
            }
            if (v instanceof Map<?, ?> m) {
                Map<String, Object> out = new LinkedHashMap<>();
                ((Map<String, Object>) m).forEach((k, x) -> out.put(k, mark(x, raws)));
                return out;
            }
            if (v instanceof List<?> l) {
                List<Object> out = new ArrayList<>();
                for (Object x : l) {
                    out.add(mark(x, raws));
                }
                return out;
            }
            return v;
        }
    }

    record Raw(String text) {}

    record Outcome(int exit, String out, String err) {}

    /** Main.execute in this JVM, its stdout and stderr captured; a hang fails the test. */
    Outcome inProcess(String how, String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            Future<Integer> f = worker.submit(() -> Main.execute(args));
            try {
                return new Outcome(f.get(60, TimeUnit.SECONDS), out.toString(StandardCharsets.UTF_8),
                        err.toString(StandardCharsets.UTF_8));
            } catch (TimeoutException e) {
                f.cancel(true);
                throw new AssertionError(how + ": jrun " + String.join(" ", args) + " still running after 60 s");
            } catch (java.util.concurrent.ExecutionException e) {
                throw new AssertionError(how + ": an exception escaped Main.execute", e.getCause());
            }
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** A created container (deleted here) or one line "jrun: ..."; nothing in the state root either way. */
    void check(String how, int exit, String err, Deleter delete) throws Exception {
        if (exit == 0) {
            assertEquals("", err, how);
            Outcome d = delete.delete();
            assertEquals(0, d.exit(), how + ": delete --force: " + d.err());
        } else {
            assertEquals(1, exit, how + ": " + err);
            assertTrue(err.startsWith("jrun: ") && err.indexOf('\n') == err.length() - 1,
                    how + ": not one line: " + err);
            assertTrue(!err.contains("Exception") && !err.contains("\tat "), how + ": " + err);
        }
        if (Files.isDirectory(jrun.stateRoot())) {
            try (var s = Files.list(jrun.stateRoot())) {
                assertEquals(List.of(), s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("."))
                        .toList(), how + ": state left behind");
            }
        }
    }

    interface Deleter {
        Outcome delete() throws Exception;
    }

    @Test
    void hundredsOfMutatedConfigsInProcess() throws Exception {
        Path bundle = Files.createDirectories(tmp.resolve("b"));
        String root = jrun.stateRoot().toString();
        int created = 0;
        List<Mutant> all = mutants(360);
        for (int i = 0; i < all.size(); i++) {
            Mutant m = all.get(i);
            Files.write(bundle.resolve("config.json"), m.config());
            String id = "fuzz-" + i;
            String how = "#" + i + " " + m.how();
            Outcome o = inProcess(how, "--root", root, "create", "--bundle", bundle.toString(), id);
            check(how, o.exit(), o.err(), () -> inProcess(how, "--root", root, "delete", "--force", id));
            created += o.exit() == 0 ? 1 : 0;
        }
        // the mutations must leave some configs valid, or this tests only the reader
        assertTrue(created > 10 && created < all.size() - 100, "created " + created + " of " + all.size());
    }

    @Test
    void mutatedConfigsThroughTheBinary() throws Exception {
        Path bundle = Files.createDirectories(tmp.resolve("b"));
        List<Mutant> all = mutants(360);
        for (int i = 0; i < all.size(); i += 29) {
            Mutant m = all.get(i);
            Files.write(bundle.resolve("config.json"), m.config());
            String id = "fuzzb-" + i;
            String how = "#" + i + " " + m.how();
            JrunCli.Result r = jrun.run("create", "--bundle", bundle.toString(), id);
            assertEquals("", r.stdout(), how);
            check(how, r.exit(), r.stderr(), () -> {
                JrunCli.Result d = jrun.run("delete", "--force", id);
                return new Outcome(d.exit(), d.stdout(), d.stderr());
            });
        }
    }

    @Test
    void theMutationsAreTheSameEveryRun() {
        List<Mutant> a = mutants(40);
        List<Mutant> b = mutants(40);
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).how(), b.get(i).how());
            if (!java.util.Arrays.equals(a.get(i).config(), b.get(i).config())) {
                fail("mutation " + i + " differs between runs");
            }
        }
    }
}
