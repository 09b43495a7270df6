package io.jrun.image.unpack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.image.ImageException;
import io.jrun.image.TestImage;
import io.jrun.image.bundle.BundleMaker;
import io.jrun.image.bundle.BundleOptions;
import io.jrun.image.json.ImageJson;
import io.jrun.image.json.ImageJson.ConfigJson;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile layers: each fails with one line naming the entry, writes nothing outside the bundle
 * (a canary directory beside it stays as it was) and leaves no half bundle behind.
 */
class HostileArchiveTest {
    @TempDir
    Path tmp;

    Path outside;
    Path bundle;

    @BeforeEach
    void canary() throws IOException {
        outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "untouched");
        bundle = tmp.resolve("work/bundle");
    }

    @AfterEach
    void nothingOutsideAndNoHalfBundle() throws IOException {
        try (Stream<Path> s = Files.list(outside)) {
            assertEquals(List.of(outside.resolve("secret")), s.toList());
        }
        assertEquals("untouched", Files.readString(outside.resolve("secret")));
        if (Files.exists(tmp.resolve("work"))) {
            try (Stream<Path> s = Files.list(tmp.resolve("work"))) {
                List<Path> left = s.toList();
                assertTrue(left.isEmpty() || left.equals(List.of(bundle)), "left behind: " + left);
            }
        }
    }

    static ConfigJson config() {
        try {
            return ImageJson.read(new TestImage().configBytes(), ConfigJson.class, "config");
        } catch (ImageException e) {
            throw new AssertionError(e);
        }
    }

    String fail(UnpackOptions o, TestImage.Layer... layers) {
        List<Unpacker.Layer> l = UnpackTest.layers("gzip", layers);
        ImageException e = assertThrows(ImageException.class, () -> BundleMaker.make(l, config(), bundle,
                new BundleOptions(List.of("/bin/sh"), List.of(), null, false), o));
        assertTrue(!Files.exists(bundle), "a half bundle is left");
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage().replaceFirst("unpack layer sha256:[0-9a-f]{12} ", "");
    }

    String fail(TestImage.Layer... layers) {
        return fail(UnpackOptions.defaults(), layers);
    }

    /** As containerd and umoci do (umoci insert ... / writes such layers): resolved inside the rootfs. */
    @Test
    void absolutePathsAreInsideTheRootfs() throws Exception {
        List<Unpacker.Layer> l = UnpackTest.layers("none", new TestImage.Layer().file("ok", "fine").dir("/", 0755)
                .dir("/etc", 0755).file("/etc/passwd", "x").hardlink("/etc/passwd2", "/etc/passwd")
                .file("//bin/../bin/tool", "t"));
        BundleMaker.make(l, config(), bundle, new BundleOptions(List.of("/bin/sh"), List.of(), null, false),
                UnpackOptions.defaults());
        Path rootfs = bundle.resolve("rootfs");
        assertEquals("x", Files.readString(rootfs.resolve("etc/passwd")));
        assertEquals("x", Files.readString(rootfs.resolve("etc/passwd2")));
        assertEquals("t", Files.readString(rootfs.resolve("bin/tool")));
        assertEquals("fine", Files.readString(rootfs.resolve("ok")));
    }

    @Test
    void anAbsolutePathStillCannotClimbOut() {
        assertEquals("entry \"/../etc/passwd\": its path leaves the rootfs through \"..\"",
                fail(new TestImage.Layer().file("/../etc/passwd", "x")));
    }

    @Test
    void dotDotOutOfTheRootfs() {
        assertEquals("entry \"a/../../outside/secret\": its path leaves the rootfs through \"..\"",
                fail(new TestImage.Layer().file("a/../../outside/secret", "x")));
    }

    @Test
    void aSymlinkOutThenAFileWrittenThroughIt() {
        String up = "../".repeat(tmp.getNameCount() + 4) + tmp.toString().substring(1) + "/outside";
        assertEquals("entry \"evil/secret\": a symlink on its path leads out of the rootfs",
                fail(new TestImage.Layer().symlink("evil", up).file("evil/secret", "pwned")));
    }

    @Test
    void anAbsoluteSymlinkIsFollowedInsideTheRootfsOnly() throws Exception {
        List<Unpacker.Layer> l = UnpackTest.layers("none",
                new TestImage.Layer().symlink("evil", outside.toString()).file("evil/secret", "contained"));
        BundleMaker.make(l, config(), bundle, new BundleOptions(List.of("/bin/sh"), List.of(), null, false),
                UnpackOptions.defaults());
        assertEquals("contained", Files.readString(bundle.resolve("rootfs").resolve(outside.toString().substring(1)).resolve("secret")));
    }

    @Test
    void aHardlinkToAPathOutsideTheRootfs() {
        assertEquals("entry \"h\": its hardlink target \"../../outside/secret\" leaves the rootfs through \"..\"",
                fail(new TestImage.Layer().hardlink("h", "../../outside/secret")));
        // absolute: taken from the rootfs's root (as containerd does), where there is no such file
        assertEquals("entry \"h\": its hardlink target \"" + outside.resolve("secret") + "\" does not exist",
                fail(new TestImage.Layer().hardlink("h", outside.resolve("secret").toString())));
        // through an absolute symlink: resolved in the rootfs, where there is no such file
        assertEquals("entry \"h\": its hardlink target \"root" + outside.resolve("secret") + "\" does not exist",
                fail(new TestImage.Layer().symlink("root", "/").hardlink("h", "root" + outside.resolve("secret"))));
    }

    @Test
    void whiteoutsAimedOutside() {
        assertEquals("entry \"../.wh.outside\": its path leaves the rootfs through \"..\"",
                fail(new TestImage.Layer().file("../.wh.outside", "")));
        assertEquals("entry \"a/.wh..\": a whiteout of \".\" is aimed outside its directory",
                fail(new TestImage.Layer().dir("a", 0755).file("a/.wh..", "")));
        String up = "../".repeat(tmp.getNameCount() + 4) + tmp.toString().substring(1);
        assertEquals("entry \"up/.wh.outside\": a symlink on its path leads out of the rootfs",
                fail(new TestImage.Layer().symlink("up", up), new TestImage.Layer().file("up/.wh.outside", "")));
    }

    @Test
    void deviceNodesWhenNotRoot() {
        assertEquals("entry \"dev/sda\": a device node (b 8:0) needs root to be made; unpack as root",
                fail(new UnpackOptions(false, Limits.DEFAULT), new TestImage.Layer().node("dev/sda", TarConstants.LF_BLK, 8, 0)));
    }

    @Test
    void aFileLargerThanTheLimit() {
        Limits small = new Limits(1 << 20, Long.MAX_VALUE, 1000, 1000, 1 << 30);
        assertEquals("entry \"big\": size 2097152 bytes is beyond the limit of 1048576",
                fail(UnpackOptions.defaults().withLimits(small), new TestImage.Layer().file("big", "x".repeat(2 << 20))));
    }

    @Test
    void aSparseFileWhoseHolesWouldPassEveryLimit() throws Exception {
        // GNU tar stores only the data of a sparse file; the reader makes up its holes as zeros
        Path dir = Files.createDirectories(tmp.resolve("sparse"));
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(dir.resolve("holes").toFile(), "rw")) {
            f.setLength(64L << 20);
            f.write(1);
        }
        Path tar = tmp.resolve("sparse.tar");
        Process p = new ProcessBuilder("tar", "--sparse", "-C", dir.toString(), "-cf", tar.toString(), "holes")
                .inheritIO().start();
        assertEquals(0, p.waitFor());
        byte[] bytes = Files.readAllBytes(tar);
        assertTrue(bytes.length < 1 << 20, "stored sparse: " + bytes.length);
        List<Unpacker.Layer> layer = List.of(new Unpacker.Layer(TestImage.digest(bytes), TestImage.digest(bytes),
                () -> new java.io.ByteArrayInputStream(bytes)));
        ImageException e = assertThrows(ImageException.class, () -> BundleMaker.make(layer, config(), bundle,
                new BundleOptions(List.of("/bin/sh"), List.of(), null, false), UnpackOptions.defaults()));
        assertTrue(!Files.exists(bundle), "a half bundle is left");
        assertTrue(e.getMessage().endsWith("entry \"holes\": sparse files are not supported in layers"), e.getMessage());
    }

    @Test
    void aDecompressionBomb() throws Exception {
        // 64 MiB of zeros in one entry: about 64 KB of gzip
        TarArchiveEntry e = new TarArchiveEntry("zeros");
        e.setSize(64L << 20);
        Path tar = tmp.resolve("bomb.tar");
        try (OutputStream out = Files.newOutputStream(tar);
                var t = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(out)) {
            t.putArchiveEntry(e);
            byte[] zero = new byte[1 << 20];
            for (int i = 0; i < 64; i++) {
                t.write(zero);
            }
            t.closeArchiveEntry();
        }
        Path gz = tmp.resolve("bomb.tar.gz");
        try (InputStream in = Files.newInputStream(tar); OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            in.transferTo(out);
        }
        byte[] blob = Files.readAllBytes(gz);
        List<Unpacker.Layer> l = List.of(new Unpacker.Layer(TestImage.digest(blob), "sha256:" + "0".repeat(64),
                () -> new ByteArrayInputStream(blob)));
        Limits ratio = new Limits(Long.MAX_VALUE, Long.MAX_VALUE, 1000, 100, 1 << 20);
        ImageException ex = assertThrows(ImageException.class, () -> BundleMaker.make(l, config(), bundle,
                BundleOptions.NONE, UnpackOptions.defaults().withLimits(ratio)));
        assertTrue(ex.getMessage().matches("unpack layer sha256:[0-9a-f]{12} entry \"zeros\": the layer decompresses to "
                + "more than 100 times its compressed size \\(\\d+ bytes from \\d+\\): a decompression bomb\\?"), ex.getMessage());
        Limits size = new Limits(Long.MAX_VALUE, 8 << 20, 1000, 100_000, 1L << 40);
        ex = assertThrows(ImageException.class, () -> BundleMaker.make(l, config(), bundle, BundleOptions.NONE,
                UnpackOptions.defaults().withLimits(size)));
        assertTrue(ex.getMessage().endsWith("entry \"zeros\": the layer decompresses to more than 8388608 bytes (the limit)"),
                ex.getMessage());
    }

    @Test
    void tooManyEntries() {
        TestImage.Layer l = new TestImage.Layer();
        for (int i = 0; i < 6; i++) {
            l.file("f" + i, "");
        }
        Limits few = new Limits(1 << 20, Long.MAX_VALUE, 5, 1000, 1 << 30);
        assertEquals("entry \"f5\": more than 5 entries in one layer (the limit)", fail(UnpackOptions.defaults().withLimits(few), l));
    }

    @Test
    void symlinkLoopsAndFilesUsedAsDirectories() {
        assertEquals("entry \"a/x\": too many levels of symbolic links (ELOOP) at " + "{rootfs}/a",
                fail(new TestImage.Layer().symlink("a", "b").symlink("b", "a").file("a/x", "x"))
                        .replaceAll("/\\S*/rootfs/", "{rootfs}/").replaceAll(" at \\{rootfs\\}/[ab]$", " at {rootfs}/a"));
        assertEquals("entry \"f/x\": f on its path is not a directory (ENOTDIR)",
                fail(new TestImage.Layer().file("f", "x").file("f/x", "y")));
    }

    @Test
    void aDiffIdMismatchLeavesNoBundle() {
        byte[] tar = new TestImage.Layer().file("a", "a").tar();
        List<Unpacker.Layer> l = List.of(new Unpacker.Layer("sha256:" + "1".repeat(64), "sha256:" + "2".repeat(64),
                () -> new ByteArrayInputStream(tar)));
        ImageException e = assertThrows(ImageException.class, () -> BundleMaker.make(l, config(), bundle,
                BundleOptions.NONE, UnpackOptions.defaults()));
        assertTrue(e.getMessage().contains(": diff ID mismatch: the config says sha256:2222"), e.getMessage());
    }

    @Test
    void anExistingNonEmptyBundleIsRefused() throws Exception {
        Files.createDirectories(bundle);
        Files.writeString(bundle.resolve("config.json"), "{}");
        ImageException e = assertThrows(ImageException.class, () -> BundleMaker.make(UnpackTest.layers("none",
                new TestImage.Layer().file("a", "a")), config(), bundle, BundleOptions.NONE, UnpackOptions.defaults()));
        assertEquals("unpack into " + bundle + ": Directory not empty (ENOTEMPTY)", e.getMessage());
        assertEquals("{}", Files.readString(bundle.resolve("config.json")));
    }

    /** A directory of the image turned into a symlink to the host's canary, then written and whited out through. */
    @Test
    void aDirectoryReplacedByASymlinkIsFollowedInsideOnly() throws Exception {
        List<Unpacker.Layer> l = UnpackTest.layers("none",
                new TestImage.Layer().dir("d", 0755).file("d/keep", "k"),
                new TestImage.Layer().symlink("d", outside.toString()).file("d/secret", "contained")
                        .hardlink("d/linked", outside.resolve("secret").toString()),
                new TestImage.Layer().file("d/.wh.secret", "").file("d/.wh.linked", ""));
        BundleMaker.make(l, config(), bundle, new BundleOptions(List.of("/bin/sh"), List.of(), null, false),
                UnpackOptions.defaults());
        Path inside = bundle.resolve("rootfs").resolve(outside.toString().substring(1));
        assertEquals(List.of(), UnpackTest.list(inside), "whited out inside the rootfs");
        assertTrue(Files.isSymbolicLink(bundle.resolve("rootfs/d")));
    }

    /**
     * Another user who can write where the rootfs lies swaps the rootfs and a directory of it for
     * symlinks to the canary while the unpack runs: every write stays inside the rootfs it started in
     * (resolving paths again from the rootfs's path wrote into the canary).
     */
    @Test
    void aConcurrentSymlinkSwapCannotRedirectWrites() throws Exception {
        TestImage.Layer layer = new TestImage.Layer().dir("d", 0755);
        for (int i = 0; i < 3000; i++) {
            layer.file("d/f" + i, "x");
        }
        List<Unpacker.Layer> l = UnpackTest.layers("none", layer);
        Path work = Files.createDirectories(tmp.resolve("work"));
        Path rootfs = Files.createDirectory(work.resolve("rootfs"));
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger swaps = new java.util.concurrent.atomic.AtomicInteger();
        Thread swapper = new Thread(() -> {
            Path d = rootfs.resolve("d");
            Path aside = work.resolve("d-aside");
            Path rootAside = work.resolve("rootfs-aside");
            while (!stop.get()) {
                try {
                    Files.move(d, aside); // d, in the rootfs, becomes a symlink to the canary
                    Files.createSymbolicLink(d, outside);
                    Thread.onSpinWait();
                    Files.delete(d);
                    Files.move(aside, d);
                    swaps.incrementAndGet();
                } catch (IOException e) {
                    // d not there yet, or the unpack just replaced it: try again
                }
                try {
                    Files.move(rootfs, rootAside); // the rootfs itself, by its path
                    Files.createSymbolicLink(rootfs, outside);
                    Thread.onSpinWait();
                    Files.delete(rootfs);
                    Files.move(rootAside, rootfs);
                    swaps.incrementAndGet();
                } catch (IOException e) {
                    // retried
                }
            }
        });
        swapper.start();
        try {
            new Unpacker(UnpackOptions.defaults()).unpack(l, rootfs);
        } catch (ImageException e) {
            // the swaps may fail the unpack (a directory replaced under it): one line, not a write outside
            assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        } finally {
            stop.set(true);
            swapper.join();
        }
        assertTrue(swaps.get() > 0, "the swapper never swapped");
        try (Stream<Path> s = Files.list(outside)) {
            assertEquals(List.of(outside.resolve("secret")), s.toList(), "written outside the rootfs");
        }
        Unpacker.deleteTree(work);
    }
}
