package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jrun spec} writes what {@code runc spec} 1.1.5 writes: the resources hold runc's own
 * output (its hostname "runc" made "jrun"; the ociVersion is each runtime's own).
 */
class SpecCommandTest {
    @TempDir
    Path tmp;

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(String text) {
        Map<String, Object> m = (Map<String, Object>) Json.parse(text);
        assertTrue(m.remove("ociVersion").toString().startsWith("1."));
        return m;
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = SpecCommandTest.class.getResourceAsStream("/runc/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private Map<String, Object> spec(String... flags) throws IOException {
        String[] args = new String[flags.length + 3];
        args[0] = "spec";
        args[1] = "--bundle";
        args[2] = tmp.toString();
        System.arraycopy(flags, 0, args, 3, flags.length);
        Captured c = Captured.run(args);
        assertEquals(0, c.exit(), c.stderr());
        String text = Files.readString(tmp.resolve("config.json"));
        Files.delete(tmp.resolve("config.json"));
        return json(text);
    }

    @Test
    void writesWhatRuncSpecWrites() throws IOException {
        assertEquals(json(resource("spec.json")), spec());
    }

    @Test
    @SuppressWarnings("unchecked")
    void rootlessAsRuncSpecRootless() throws IOException {
        // runc's output was made as root; root inside is the caller's uid and gid
        Map<String, Object> expected = json(resource("spec-rootless.json"));
        Map<String, Object> linux = (Map<String, Object>) expected.get("linux");
        ((Map<String, Object>) ((java.util.List<?>) linux.get("uidMappings")).get(0)).put("hostID", id("Uid:"));
        ((Map<String, Object>) ((java.util.List<?>) linux.get("gidMappings")).get(0)).put("hostID", id("Gid:"));
        assertEquals(expected, spec("--rootless"));
    }

    private static Object id(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field)) {
                return Json.parse(line.substring(field.length()).trim().split("\\s+")[0]);
            }
        }
        throw new AssertionError(field);
    }

    @Test
    @SuppressWarnings("unchecked")
    void hardenedKeepsJrunsProfile() throws IOException {
        Map<String, Object> h = spec("--hardened");
        Map<String, Object> linux = (Map<String, Object>) h.get("linux");
        assertTrue(linux.containsKey("seccomp"));
        assertTrue(linux.get("namespaces").toString().contains("cgroup"));
        assertEquals(false, ((Map<String, Object>) h.get("process")).get("terminal"));
    }

    @Test
    void refusesToOverwrite() throws IOException {
        Files.writeString(tmp.resolve("config.json"), "{}");
        Captured c = Captured.run("spec", "--bundle", tmp.toString());
        assertEquals(1, c.exit());
        assertEquals("jrun: write " + tmp.resolve("config.json") + ": File exists (EEXIST): remove it first\n",
                c.stderr());
        assertEquals("{}", Files.readString(tmp.resolve("config.json")));
        assertFalse(Captured.run("spec", "--bundle", tmp.toString(), "extra").exit() == 0);
    }

    /** One line naming the operation, the path and the errno (was: the path twice, no errno). */
    @Test
    void aWriteThatFailsNamesTheErrno() {
        Path missing = tmp.resolve("no-such-dir");
        Captured c = Captured.run("spec", "--bundle", missing.toString());
        assertEquals(1, c.exit());
        assertEquals("jrun: write " + missing.resolve("config.json") + ": No such file or directory (ENOENT)\n",
                c.stderr());
    }
}
