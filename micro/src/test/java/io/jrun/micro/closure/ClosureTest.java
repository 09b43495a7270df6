package io.jrun.micro.closure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.micro.etc.EtcFiles;
import io.jrun.micro.manifest.Manifest;
import io.jrun.micro.output.RootfsWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The closure over the host's own files (read only), written into a directory; the generated /etc. */
class ClosureTest {
    @TempDir
    Path tmp;

    private static String reasons(Manifest m, String path) {
        Manifest.Item it = m.get(path);
        assertNotNull(it, path + " is not in the manifest:\n" + m.text());
        return String.join("; ", it.reasons());
    }

    @Test
    void pythonBringsItsLoaderAndLibrariesWithTheSymlinksOnTheWay() throws Exception {
        SourceRoot host = new SourceRoot(Path.of("/"));
        Manifest m = new Manifest();
        Closure c = new Closure(host, m);
        assertTrue(c.add("/usr/bin/python3", "named by the user", false));
        assertEquals(Manifest.Kind.SYMLINK, m.get("/usr/bin/python3").kind()); // -> python3.11
        assertEquals("named by the user", reasons(m, "/usr/bin/python3.11"));
        String expat = host.resolve("/lib/x86_64-linux-gnu/libexpat.so.1").path();
        assertTrue(reasons(m, expat).startsWith("ELF dependency of /usr/bin/python3.11 (DT_NEEDED libexpat.so.1"),
                reasons(m, expat));
        String loader = host.resolve("/lib64/ld-linux-x86-64.so.2").path();
        assertTrue(reasons(m, loader).contains("interpreter (PT_INTERP) of /usr/bin/python3.11"), reasons(m, loader));
        assertNotNull(m.get(host.resolve("/lib/x86_64-linux-gnu/libc.so.6").path()));
        assertEquals(List.of(), c.missing());

        Path out = tmp.resolve("rootfs");
        RootfsWriter.write(host, m, out);
        assertEquals(Path.of("python3.11"), Files.readSymbolicLink(out.resolve("usr/bin/python3")));
        assertEquals(Files.getLastModifiedTime(Path.of("/usr/bin/python3.11")),
                Files.getLastModifiedTime(out.resolve("usr/bin/python3.11")), "mtimes are kept");
        assertEquals(Files.getAttribute(Path.of("/usr/bin/python3.11"), "unix:mode"),
                Files.getAttribute(out.resolve("usr/bin/python3.11"), "unix:mode"));
        assertFalse(Files.exists(out.resolve("usr/bin/perl"), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void aScriptBringsItsInterpreterAndAMissingPathIsFalse() throws Exception {
        Path root = tmp.resolve("root");
        Files.createDirectories(root.resolve("app"));
        Files.writeString(root.resolve("app/run"), "#!/bin/busybox sh\necho hi\n");
        Files.createDirectories(root.resolve("bin"));
        Files.copy(Path.of("/bin/busybox").toRealPath(), root.resolve("bin/busybox"));
        Manifest m = new Manifest();
        Closure c = new Closure(new SourceRoot(root), m);
        assertTrue(c.add("/app/run", "named by the user", false));
        assertEquals("interpreter (#!) of /app/run", reasons(m, "/bin/busybox"));
        assertFalse(c.add("/app/missing", "named by the user", false));
        assertTrue(c.add("/app", "named by the user (--add /app)", true));
        assertEquals(Manifest.Kind.DIR, m.get("/app").kind());
    }

    @Test
    void etcIsGeneratedForTheProcessUserFromTheSourcesEntries() throws Exception {
        Path root = tmp.resolve("root");
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n"
                + "web:x:1000:1001:Web:/srv/web:/bin/bash\nother:x:1002:1002::/:/bin/sh\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\nwww:x:1001:\nother:x:1002:\n");
        EtcFiles.User u = EtcFiles.resolve(new SourceRoot(root), "web");
        assertEquals(new EtcFiles.User(1000, 1001, "web", "www", "/srv/web"), u);
        Manifest m = new Manifest();
        EtcFiles.generate(m, u);
        String passwd = new String(m.get("/etc/passwd").content(), StandardCharsets.UTF_8);
        assertEquals("root:x:0:0:root:/root:/sbin/nologin\nweb:x:1000:1001::/srv/web:/sbin/nologin\n"
                + "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n", passwd);
        assertTrue(new String(m.get("/etc/group").content(), StandardCharsets.UTF_8).contains("www:x:1001:\n"));
        assertTrue(new String(m.get("/etc/nsswitch.conf").content(), StandardCharsets.UTF_8).contains("hosts: files dns"));
        assertTrue(new String(m.get("/etc/hosts").content(), StandardCharsets.UTF_8).startsWith("127.0.0.1\tlocalhost"));
        assertEquals(new EtcFiles.User(4242, 7, null, null, null), EtcFiles.resolve(new SourceRoot(root), "4242:7"));
        io.jrun.micro.MicroException e = org.junit.jupiter.api.Assertions.assertThrows(io.jrun.micro.MicroException.class,
                () -> EtcFiles.resolve(new SourceRoot(root), "nobody-here"));
        assertEquals("user \"nobody-here\": no user \"nobody-here\" in " + root.resolve("etc/passwd"), e.getMessage());
    }
}
