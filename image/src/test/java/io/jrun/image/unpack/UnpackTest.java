package io.jrun.image.unpack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jrun.image.ImageException;
import io.jrun.image.TestImage;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layers applied to a rootfs: order, whiteouts, every entry type, owners, modes, times, xattrs, diff IDs. */
class UnpackTest {
    static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    @TempDir
    Path tmp;

    static List<Unpacker.Layer> layers(String compression, TestImage.Layer... layers) {
        List<Unpacker.Layer> out = new ArrayList<>();
        for (TestImage.Layer l : layers) {
            byte[] tar = l.tar();
            byte[] blob = compression.equals("gzip") ? TestImage.gzip(tar)
                    : compression.equals("zstd") ? TestImage.zstd(tar) : tar;
            out.add(new Unpacker.Layer(TestImage.digest(blob), TestImage.digest(tar), () -> new ByteArrayInputStream(blob)));
        }
        return out;
    }

    Path unpack(UnpackOptions o, List<Unpacker.Layer> layers) throws Exception {
        Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
        new Unpacker(o).unpack(layers, rootfs);
        return rootfs;
    }

    static List<String> list(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void layersApplyInOrderWithWhiteoutsAndOpaqueDirectories() throws Exception {
        Path r = unpack(UnpackOptions.defaults(), layers("gzip",
                new TestImage.Layer().dir("a", 0755).file("a/x", "x").file("a/y", "y").dir("keep", 0755)
                        .file("keep/z", "z").file("keep/w", "w").file("gone", "g").file("f", "lower"),
                new TestImage.Layer().dir("a", 0755).file("a/.wh..wh..opq", "").file("a/new", "n").file(".wh.gone", "")
                        .file("keep/.wh.z", "").file("f", "upper").file(".wh.never-there", "")));
        assertEquals(List.of("a", "f", "keep"), list(r));
        assertEquals(List.of("new"), list(r.resolve("a")));
        assertEquals(List.of("w"), list(r.resolve("keep")));
        assertEquals("upper", Files.readString(r.resolve("f")));
    }

    /** An opaque marker hides lower layers' entries only: its own layer's, under directories it made implicitly too, stay. */
    @Test
    void anOpaqueWhiteoutKeepsItsOwnLayersImplicitDirectories() throws Exception {
        Path r = unpack(UnpackOptions.defaults(), layers("none",
                new TestImage.Layer().dir("a", 0755).file("a/b/old", "o").file("a/c/lower", "l").file("a/top", "t"),
                new TestImage.Layer().file("a/n/deep/file", "mine").file("a/b/new", "n")
                        .file("a/.wh..wh..opq", "").file("a/after/x", "x")));
        assertEquals(List.of("after", "b", "n"), list(r.resolve("a")));
        assertEquals(List.of("new"), list(r.resolve("a/b")), "a/b/old of the lower layer is hidden");
        assertEquals("mine", Files.readString(r.resolve("a/n/deep/file")));
        assertEquals("x", Files.readString(r.resolve("a/after/x")));
    }

    /** A directory or symlink replaced below the root: the directory holding it stays held for the new entry. */
    @Test
    void replacementsBelowTheRoot() throws Exception {
        Path r = unpack(UnpackOptions.defaults(), layers("none",
                new TestImage.Layer().dir("d/sub", 0755).file("d/sub/x", "x").symlink("d/link", "sub").file("d/f", "f"),
                new TestImage.Layer().file("d/sub", "now a file").dir("d/link", 0700).file("d/link/in", "in")
                        .symlink("d/f", "sub").file("d/.wh.nothing", "").file("d/after", "a")));
        assertEquals("now a file", Files.readString(r.resolve("d/sub")));
        assertEquals("in", Files.readString(r.resolve("d/link/in")));
        assertEquals("sub", Files.readSymbolicLink(r.resolve("d/f")).toString());
        assertEquals(List.of("after", "f", "link", "sub"), list(r.resolve("d")));
    }

    @Test
    void compressionIsTakenFromTheBytes() throws Exception {
        for (String c : List.of("gzip", "zstd", "none")) {
            Path rootfs = Files.createDirectories(tmp.resolve(c));
            new Unpacker(UnpackOptions.defaults()).unpack(layers(c, new TestImage.Layer().file("hello", c)), rootfs);
            assertEquals(c, Files.readString(rootfs.resolve("hello")));
        }
    }

    @Test
    void hardlinksSymlinksFifosAndReplacements() throws Exception {
        Path r = unpack(UnpackOptions.defaults(), layers("none",
                new TestImage.Layer().dir("usr/lib", 0755).symlink("lib", "usr/lib").file("usr/lib/libc.so", "libc")
                        .hardlink("usr/lib/libc.so.6", "usr/lib/libc.so").node("run/fifo", TarConstants.LF_FIFO, 0, 0)
                        .dir("was-dir", 0755).file("was-dir/child", "c").file("was-file", "f"),
                new TestImage.Layer().file("lib/through-link", "in usr/lib").symlink("was-dir", "usr")
                        .dir("was-file", 0700).symlink("abs", "/usr/lib").file("abs/via-abs", "abs")));
        assertEquals("usr/lib", Files.readSymbolicLink(r.resolve("lib")).toString());
        assertTrue(Files.isSameFile(r.resolve("usr/lib/libc.so"), r.resolve("usr/lib/libc.so.6")));
        assertEquals(2, Files.getAttribute(r.resolve("usr/lib/libc.so"), "unix:nlink"));
        assertEquals(010000, (Integer) Files.getAttribute(r.resolve("run/fifo"), "unix:mode", NOFOLLOW) & 0170000);
        assertEquals("in usr/lib", Files.readString(r.resolve("usr/lib/through-link")));
        assertEquals("abs", Files.readString(r.resolve("usr/lib/via-abs")));
        assertTrue(Files.isSymbolicLink(r.resolve("was-dir")));
        assertTrue(Files.isDirectory(r.resolve("was-file"), NOFOLLOW));
    }

    @Test
    void ownersModesAndTimesAsRoot() throws Exception {
        assumeTrue(UnpackOptions.effectiveUid() == 0, "owners need root");
        TarArchiveEntry dev = new TarArchiveEntry("dev/null", TarConstants.LF_CHR);
        dev.setMode(0666);
        dev.setDevMajor(1);
        dev.setDevMinor(3);
        dev.setModTime(TestImage.Layer.MTIME);
        TarArchiveEntry link = new TarArchiveEntry("link", TarConstants.LF_SYMLINK);
        link.setLinkName("bin/su");
        link.setUserId(7);
        link.setGroupId(8);
        link.setModTime(TestImage.Layer.MTIME);
        Path r = unpack(UnpackOptions.defaults(), layers("gzip",
                new TestImage.Layer().dir("bin", 0755).file("bin/su", "su", 04755, 0, 0).file("bin/wall", "w", 02755, 1000, 5)
                        .dir("tmp", 01777).dir("ro", 0555).file("ro/inside", "ok").entry(dev, null).entry(link, null)));
        assertEquals(0104755, Files.getAttribute(r.resolve("bin/su"), "unix:mode"));
        assertEquals(0102755, Files.getAttribute(r.resolve("bin/wall"), "unix:mode"));
        assertEquals(1000, Files.getAttribute(r.resolve("bin/wall"), "unix:uid"));
        assertEquals(5, Files.getAttribute(r.resolve("bin/wall"), "unix:gid"));
        assertEquals(041777, Files.getAttribute(r.resolve("tmp"), "unix:mode"));
        assertEquals(040555, Files.getAttribute(r.resolve("ro"), "unix:mode"));
        assertEquals(7, Files.getAttribute(r.resolve("link"), "unix:uid", NOFOLLOW));
        assertEquals(0, Files.getAttribute(r.resolve("bin/su"), "unix:uid"));
        assertEquals(0x103L, ((Number) Files.getAttribute(r.resolve("dev/null"), "unix:rdev")).longValue());
        // directories get their mtime after their children were written
        FileTime t = FileTime.fromMillis(TestImage.Layer.MTIME);
        assertEquals(t, Files.getLastModifiedTime(r.resolve("bin")));
        assertEquals(t, Files.getLastModifiedTime(r.resolve("ro")));
        assertEquals(t, Files.getLastModifiedTime(r.resolve("bin/su")));
        assertEquals(t, Files.getLastModifiedTime(r.resolve("link"), NOFOLLOW));
    }

    @Test
    void userXattrsWhereTheFilesystemTakesThem() throws Exception {
        TarArchiveEntry e = new TarArchiveEntry("f");
        e.setSize(1);
        e.setModTime(TestImage.Layer.MTIME);
        e.addPaxHeader("SCHILY.xattr.user.origin", "layer-1");
        Path r = unpack(UnpackOptions.defaults(), layers("none", new TestImage.Layer().entry(e, new byte[] {'x'})));
        UserDefinedFileAttributeView v = Files.getFileAttributeView(r.resolve("f"), UserDefinedFileAttributeView.class);
        assumeTrue(v.list().contains("origin"), "this filesystem takes no user xattrs");
        ByteBuffer b = ByteBuffer.allocate(v.size("origin"));
        v.read("origin", b);
        assertEquals("layer-1", new String(b.array(), StandardCharsets.UTF_8));
    }

    @Test
    void aDiffIdThatDoesNotMatchTheConfigFailsTheUnpack() throws Exception {
        byte[] tar = new TestImage.Layer().file("a", "a").tar();
        byte[] blob = TestImage.gzip(tar);
        String wrong = TestImage.digest("other".getBytes(StandardCharsets.UTF_8));
        Unpacker.Layer l = new Unpacker.Layer(TestImage.digest(blob), wrong, () -> new ByteArrayInputStream(blob));
        ImageException e = assertThrows(ImageException.class, () -> unpack(UnpackOptions.defaults(), List.of(l)));
        assertEquals("unpack layer " + TestImage.digest(blob) + ": diff ID mismatch: the config says " + wrong
                + ", the uncompressed layer is " + TestImage.digest(tar), e.getMessage());
    }

    @Test
    void withoutRootFilesKeepTheCallersOwnerAndFifosStillWork() throws Exception {
        Path r = unpack(new UnpackOptions(false, Limits.DEFAULT), layers("none",
                new TestImage.Layer().file("f", "x", 0640, 1234, 1234).node("p", TarConstants.LF_FIFO, 0, 0)));
        assertEquals(UnpackOptions.effectiveUid(), Files.getAttribute(r.resolve("f"), "unix:uid"));
        assertEquals(0100640, Files.getAttribute(r.resolve("f"), "unix:mode"));
        assertFalse(Files.isRegularFile(r.resolve("p")));
    }
}
