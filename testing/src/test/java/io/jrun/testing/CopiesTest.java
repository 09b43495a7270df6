package io.jrun.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * copyOut's side on the host: the tar stream comes from a tar in the container, which the
 * container's image (or a process in it) controls, so its entries may not reach outside the
 * destination, through names or through symlinks the stream itself made.
 */
class CopiesTest {
    @TempDir
    Path tmp;

    private static byte[] tar(Object[]... entries) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(b)) {
            for (Object[] e : entries) {
                String name = (String) e[0];
                String kind = (String) e[1];
                TarArchiveEntry te;
                if (kind.equals("link")) {
                    te = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
                    te.setLinkName((String) e[2]);
                } else if (kind.equals("dir")) {
                    te = new TarArchiveEntry(name + "/");
                    te.setMode(040000 | (Integer) e[2]);
                } else {
                    te = new TarArchiveEntry(name);
                    byte[] content = ((String) e[2]).getBytes(StandardCharsets.UTF_8);
                    te.setSize(content.length);
                    te.setMode(0100644);
                    t.putArchiveEntry(te);
                    t.write(content);
                    t.closeArchiveEntry();
                    continue;
                }
                t.putArchiveEntry(te);
                t.closeArchiveEntry();
            }
        }
        return b.toByteArray();
    }

    private static void extract(byte[] tar, String top, Path dest) throws IOException {
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            Copies.extract(in, top, dest);
        }
    }

    @Test
    void aTreeWithASymlinkInsideComesOutAsItIs() throws Exception {
        Path dest = tmp.resolve("out");
        extract(tar(new Object[] {"app", "dir", 0755}, new Object[] {"app/conf", "file", "x=1\n"},
                new Object[] {"app/current", "link", "conf"}), "app", dest);
        assertEquals("x=1\n", Files.readString(dest.resolve("conf")));
        assertEquals(Path.of("conf"), Files.readSymbolicLink(dest.resolve("current")));
    }

    @Test
    void aFileWrittenThroughASymlinkTheStreamMadeIsRefused() throws Exception {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Path dest = tmp.resolve("out");
        IOException e = assertThrows(IOException.class, () -> extract(tar(new Object[] {"app", "dir", 0755},
                new Object[] {"app/evil", "link", outside.toString()},
                new Object[] {"app/evil/pwned", "file", "owned\n"}), "app", dest));
        assertTrue(e.getMessage().contains("app/evil/pwned"), e.getMessage());
        assertFalse(Files.exists(outside.resolve("pwned")), "a file was written outside the destination");
    }

    @Test
    void aDirectoryModeSetThroughASymlinkTheStreamMadeIsRefused() throws Exception {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwx------"));
        Path dest = tmp.resolve("out");
        assertThrows(IOException.class, () -> extract(tar(new Object[] {"app", "dir", 0755},
                new Object[] {"app/evil", "link", outside.toString()}, new Object[] {"app/evil", "dir", 0777}),
                "app", dest));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(outside)));
    }

    @Test
    void aDirectoryReplacedByASymlinkLaterKeepsTheModeOffItsTarget() throws Exception {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwx------"));
        Path dest = tmp.resolve("out");
        extract(tar(new Object[] {"app", "dir", 0755}, new Object[] {"app/d", "dir", 0777},
                new Object[] {"app/d", "link", outside.toString()}), "app", dest);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(outside)));
    }

    @Test
    void aNameLeavingTheDestinationIsRefused() throws Exception {
        Path dest = tmp.resolve("out");
        assertThrows(IOException.class, () -> extract(tar(new Object[] {"app", "dir", 0755},
                new Object[] {"app/../../escaped", "file", "x"}), "app", dest));
        assertFalse(Files.exists(tmp.resolve("escaped")));
    }
}
