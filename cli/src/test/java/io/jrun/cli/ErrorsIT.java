package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.TestBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each error: one line on stderr that says what and where, a non-zero exit, nothing left behind. */
class ErrorsIT extends CliTest {

    /** Runs the bundle in dir and returns the single line jrun printed on stderr. */
    String failure(Path bundle) throws Exception {
        JrunCli.Result r = jrun.run("run", "--bundle", bundle.toString(), "err-1");
        assertNotEquals(0, r.exit());
        assertEquals("", r.stdout());
        assertTrue(r.stderr().endsWith("\n") && r.stderr().indexOf('\n') == r.stderr().length() - 1,
                "not one line: " + r.stderr());
        assertTrue(r.stderr().startsWith("jrun: "), r.stderr());
        if (Files.isDirectory(jrun.stateRoot())) {
            try (var s = Files.list(jrun.stateRoot())) {
                assertEquals(List.of(), s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("."))
                        .toList(), "state left behind");
            }
        }
        return r.stderr().substring(6).trim();
    }

    Path bundleWith(String configJson) throws IOException {
        Path b = Files.createDirectories(tmp.resolve("b"));
        Files.writeString(b.resolve("config.json"), configJson);
        return b;
    }

    @Test
    void noBundle() throws Exception {
        assertEquals("bundle " + tmp.resolve("nope") + ": No such file or directory (ENOENT)",
                failure(tmp.resolve("nope")));
    }

    @Test
    void noConfig() throws Exception {
        Path b = Files.createDirectories(tmp.resolve("b"));
        assertEquals("read " + b.resolve("config.json") + ": No such file or directory (ENOENT)", failure(b));
    }

    @Test
    void unreadableConfig() throws Exception {
        Path b = Files.createDirectories(tmp.resolve("b"));
        Files.createDirectory(b.resolve("config.json"));
        assertEquals("read " + b.resolve("config.json") + ": Is a directory (EISDIR)", failure(b));
    }

    @Test
    void endlessHugeOrBlockingConfigIsReadWithABound() throws Exception {
        Path b = Files.createDirectories(tmp.resolve("b"));
        Path config = b.resolve("config.json");
        Files.createSymbolicLink(config, Path.of("/dev/zero"));
        assertEquals("read " + config + ": not a regular file (a FIFO, a device or a socket)", failure(b));
        Files.delete(config);
        assertEquals(0, new ProcessBuilder("mkfifo", config.toString()).start().waitFor());
        assertEquals("read " + config + ": not a regular file (a FIFO, a device or a socket)", failure(b));
        Files.delete(config);
        try (var ch = java.nio.channels.FileChannel.open(config, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {' '}), 64L << 20); // sparse: 64 MiB of nothing
        }
        assertEquals("read " + config + ": " + ((64L << 20) + 1) + " bytes, more than the limit of 16777216",
                failure(b));
    }

    @Test
    void pathsJavaCannotNameAreOneLine() throws Exception {
        TestBundle t = TestBundle.in(tmp.resolve("b"));
        t.root().put("path", "root\u0000fs");
        assertEquals("path \"root\\x00fs\": Nul character not allowed", failure(t.write()));
        // bytes that are not UTF-8 in the bundle's name, with the C locale: no InvalidPathException trace
        ProcessBuilder pb = jrun.builder("run", "--bundle", tmp + "/\u00e9\u00ff", "err-3");
        pb.environment().clear();
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(1, p.waitFor());
        assertTrue(err.startsWith("jrun: bundle " + tmp + "/") && err.endsWith(": No such file or directory (ENOENT)\n")
                && err.indexOf('\n') == err.length() - 1, err);
    }

    @Test
    void malformedJsonSaysWhere() throws Exception {
        Path b = bundleWith("{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": {\"args\": [\"sh\" \"x\"]}\n}\n");
        assertEquals(b.resolve("config.json") + ": malformed JSON at line 3, column 29: expected ',' or ']'",
                failure(b));
    }

    @Test
    void wrongTypeNamesTheField() throws Exception {
        TestBundle t = TestBundle.in(tmp.resolve("b"));
        t.process().put("args", List.of("sh", 5L));
        assertEquals(t.write().resolve("config.json") + ": process.args[1]: expected a string, got the number 5",
                failure(t.dir()));
        t.process().put("args", List.of("sh"));
        t.process().put("user", Map.of("uid", "root"));
        assertEquals(t.write().resolve("config.json")
                + ": process.user.uid: expected an integer from 0 to 4294967295, got the string \"root\"",
                failure(t.dir()));
    }

    /** (uid_t)-1 means "leave unchanged" to setresuid: 4294967295 ran the program as root. */
    @Test
    void idsAbove2147483647AreRefused() throws Exception {
        TestBundle t = TestBundle.in(tmp.resolve("b")).args("/bin/id", "-u");
        t.process().put("user", Map.of("uid", 4294967295L, "gid", 0L));
        assertEquals(t.write().resolve("config.json") + ": process.user.uid: 4294967295 is out of range"
                + " (uids and gids must be from 0 to 2147483647)", failure(t.dir()));
        t.process().put("user", Map.of("uid", 0L, "gid", 2147483648L));
        assertEquals(t.write().resolve("config.json") + ": process.user.gid: 2147483648 is out of range"
                + " (uids and gids must be from 0 to 2147483647)", failure(t.dir()));
        t.process().put("user", Map.of("uid", 0L, "gid", 0L, "additionalGids", List.of(1L, 4294967295L)));
        assertEquals(t.write().resolve("config.json") + ": process.user.additionalGids[1]: 4294967295 is out of"
                + " range (uids and gids must be from 0 to 2147483647)", failure(t.dir()));
    }

    @Test
    void unknownNamespaceType() throws Exception {
        TestBundle t = TestBundle.in(tmp.resolve("b")).namespaces("mount", "pid", "chroot");
        assertEquals(t.write().resolve("config.json") + ": linux.namespaces[2].type: unknown namespace type"
                + " \"chroot\" (known: pid, network, mount, ipc, uts, user, cgroup, time)", failure(t.dir()));
    }

    @Test
    void unknownMajorVersion() throws Exception {
        TestBundle t = TestBundle.in(tmp.resolve("b")).set("ociVersion", "2.0.0");
        assertEquals(t.write().resolve("config.json")
                + ": ociVersion: 2.0.0: unsupported major version (jrun supports runtime-spec 1.x)", failure(t.dir()));
    }

    @Test
    void rootfsMissing() throws Exception {
        TestBundle t = TestBundle.in(tmp.resolve("b"));
        t.root().put("path", "rootfs");
        assertEquals("rootfs " + t.write().resolve("rootfs") + ": No such file or directory (ENOENT)",
                failure(t.dir()));
    }

    @Test
    void executableNotFoundIsNamed() throws Exception {
        TestBundle t = TestBundle.in(tmp.resolve("b")).args("frobnicate", "--now");
        assertEquals("exec \"frobnicate\": executable file not found in the rootfs (searched $PATH"
                + " /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)", failure(t.write()));
        t.args("/bin/nope");
        assertEquals("exec \"/bin/nope\": No such file or directory (ENOENT)", failure(t.write()));
    }

    @Test
    void aFailingMountNamesItsTarget() throws Exception {
        TestBundle t = TestBundle.in(tmp.resolve("b"))
                .mount(Map.of("destination", "/mnt", "type", "no-such-fs", "source", "none"));
        assertEquals("mount none on /mnt: mount: No such device (ENODEV)", failure(t.write()));
    }

    @Test
    void notRoot() throws Exception {
        TestBundle t = TestBundle.in(tmp.resolve("b"));
        t.write();
        // the temp dir must be reachable for the unprivileged user
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        ProcessBuilder pb = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                JrunCli.launcher().toString(), "--root", tmp.resolve("state-nobody").toString(), "run",
                "--bundle", t.dir().toString(), "err-2");
        pb.environment().put("HOME", "/tmp");
        Process p = pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String err = new String(p.getErrorStream().readAllBytes());
        assertEquals(1, p.waitFor());
        assertEquals("jrun: jrun needs root: running as uid 65534 (rootless containers are not supported yet)\n", err);
    }
}
