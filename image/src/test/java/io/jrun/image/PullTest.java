package io.jrun.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.image.bundle.BundleOptions;
import io.jrun.image.pull.Platform;
import io.jrun.image.pull.PullProgress;
import io.jrun.image.pull.Puller;
import io.jrun.image.source.OciLayoutSource;
import io.jrun.image.store.ContentStore;
import io.jrun.image.store.StoredImage;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each source format pulled into a store and unpacked into a bundle; indexes, verification, resumption, rmi. */
class PullTest {
    @TempDir
    Path tmp;

    static TestImage twoLayers(String compression) {
        return new TestImage()
                .layer(new TestImage.Layer().dir("bin", 0755).file("bin/hello", "#!/bin/sh\necho hi\n", 0755, 0, 0)
                        .file("etc/motd", "old\n"), compression)
                .layer(new TestImage.Layer().file("etc/motd", "new\n").file(".wh.gone", ""), compression);
    }

    Images images() throws ImageException {
        return Images.open(tmp.resolve("store"));
    }

    void assertBundle(Path bundle) throws IOException {
        assertEquals("#!/bin/sh\necho hi\n", Files.readString(bundle.resolve("rootfs/bin/hello")));
        assertEquals("new\n", Files.readString(bundle.resolve("rootfs/etc/motd")));
        assertTrue(Files.readString(bundle.resolve("config.json")).contains("\"/bin/sh\""));
    }

    @Test
    void ociLayoutDirectoryByTagAndAsTheOnlyImage() throws Exception {
        twoLayers("gzip").writeOciLayout(tmp.resolve("layout"), "v1");
        Images images = images();
        StoredImage img = images.pull("oci:" + tmp.resolve("layout") + ":v1", null);
        assertEquals("layout:v1", img.name());
        assertEquals("2024-01-02T03:04:05Z", img.created());
        images.unpack("oci:" + tmp.resolve("layout"), tmp.resolve("b1"), BundleOptions.NONE);
        assertBundle(tmp.resolve("b1"));
        ImageException e = assertThrows(ImageException.class, () -> images.pull("oci:" + tmp.resolve("layout") + ":v2", null));
        assertEquals("oci:" + tmp.resolve("layout") + ": no image tagged \"v2\" (tags: v1)", e.getMessage());
    }

    @Test
    void ociArchiveWithZstdLayers() throws Exception {
        twoLayers("zstd").writeOciLayout(tmp.resolve("layout"), "latest");
        TestImage.tarDirectory(tmp.resolve("layout"), tmp.resolve("img.tar"));
        images().unpack("oci-archive:" + tmp.resolve("img.tar") + ":latest", tmp.resolve("b"), BundleOptions.NONE);
        assertBundle(tmp.resolve("b"));
        assertEquals("img:latest", images().images().get(0).name());
    }

    @Test
    void dockerArchiveClassicAndOciForms() throws Exception {
        twoLayers("none").writeDockerArchive(tmp.resolve("classic.tar"), "example/app:1.0", false);
        twoLayers("none").writeDockerArchive(tmp.resolve("new.tar"), "example/app:2.0", true);
        Images images = images();
        images.unpack("docker-archive:" + tmp.resolve("classic.tar"), tmp.resolve("b1"), BundleOptions.NONE);
        images.unpack("docker-archive:" + tmp.resolve("new.tar") + ":example/app:2.0", tmp.resolve("b2"), BundleOptions.NONE);
        assertBundle(tmp.resolve("b1"));
        assertBundle(tmp.resolve("b2"));
        // the same layers: the store holds them once
        List<String> names = images.images().stream().map(StoredImage::name).toList();
        assertEquals(List.of("example/app:1.0", "example/app:2.0"), names);
        assertEquals(images.images().get(0).digest(), images.images().get(1).digest());
        ImageException e = assertThrows(ImageException.class,
                () -> images.pull("docker-archive:" + tmp.resolve("new.tar") + ":other", null));
        assertEquals("docker-archive:" + tmp.resolve("new.tar") + ": no image named \"other\" (names: example/app:2.0)",
                e.getMessage());
    }

    @Test
    void theNewDockerSaveIsAlsoAnOciArchive() throws Exception {
        twoLayers("none").writeDockerArchive(tmp.resolve("new.tar"), "app:2.0", true);
        images().unpack("oci-archive:" + tmp.resolve("new.tar") + ":app:2.0", tmp.resolve("b"), BundleOptions.NONE);
        assertBundle(tmp.resolve("b"));
    }

    @Test
    void anIndexGivesTheHostsPlatformOrTheOneAskedFor() throws Exception {
        TestImage host = twoLayers("gzip");
        TestImage other = new TestImage().layer(new TestImage.Layer().file("bin/hello", "s390x\n"));
        TestImage.writeMultiPlatform(tmp.resolve("multi"), "latest", host, other);
        Images images = images();
        images.unpack("oci:" + tmp.resolve("multi") + ":latest", tmp.resolve("b"), BundleOptions.NONE);
        assertBundle(tmp.resolve("b"));
        StoredImage s = images.withPlatform(Platform.parse("linux/s390x")).pull("oci:" + tmp.resolve("multi"), "s390x");
        assertEquals(TestImage.digest(other.manifestBytes()), s.digest());
        ImageException e = assertThrows(ImageException.class,
                () -> images.withPlatform(Platform.parse("linux/riscv64")).pull("oci:" + tmp.resolve("multi"), "x"));
        assertEquals("pull oci:" + tmp.resolve("multi") + ": no image for linux/riscv64 in its index (it has: linux/s390x, linux/"
                + Platform.host().architecture() + ")", e.getMessage());
    }

    @Test
    void aBlobThatIsNotWhatItsDigestSaysIsRefusedAndNothingIsNamed() throws Exception {
        TestImage img = twoLayers("gzip");
        Path layout = img.writeOciLayout(tmp.resolve("layout"), "latest");
        String layer = TestImage.digest(img.blobs.get(1));
        byte[] evil = TestImage.gzip(new TestImage.Layer().file("etc/motd", "evil\n").tar());
        byte[] same = new byte[img.blobs.get(1).length];
        System.arraycopy(evil, 0, same, 0, Math.min(evil.length, same.length));
        Files.write(layout.resolve("blobs/sha256/" + layer.substring(7)), same);
        Images images = images();
        ImageException e = assertThrows(ImageException.class, () -> images.pull("oci:" + layout, null));
        assertTrue(e.getMessage().startsWith("pull blob " + layer + ": digest mismatch: the " + same.length
                + " bytes received are sha256:"), e.getMessage());
        assertEquals(List.of(), images.images());
        assertFalse(Files.exists(images.store().blobPath(layer)));
    }

    /** A source whose blobs break off after {@code cut} bytes, once each, as a dropped connection does. */
    static final class Flaky implements ImageSource {
        final ImageSource inner;
        final long cut;
        final List<Long> offsets = Collections.synchronizedList(new ArrayList<>());
        boolean broken = true;

        Flaky(ImageSource inner, long cut) {
            this.inner = inner;
            this.cut = cut;
        }

        @Override
        public Manifest manifest(String reference) throws IOException, ImageException {
            return inner.manifest(reference);
        }

        @Override
        public InputStream blob(Descriptor d, long offset) throws IOException, ImageException {
            offsets.add(offset);
            InputStream in = inner.blob(d, offset);
            if (!broken || d.size() <= cut) {
                return in;
            }
            return new FilterInputStream(in) {
                long n = offset;

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (n >= cut) {
                        throw new IOException("Connection reset");
                    }
                    int r = in.read(b, off, (int) Math.min(len, cut - n));
                    n += Math.max(r, 0);
                    return r;
                }
            };
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }

    @Test
    void anInterruptedDownloadResumesWhereItStopped() throws Exception {
        byte[] big = new byte[300_000];
        new java.util.Random(7).nextBytes(big);
        TestImage img = new TestImage().layer(new TestImage.Layer().file("data", new String(big, java.nio.charset.StandardCharsets.ISO_8859_1)), "none");
        Path layout = img.writeOciLayout(tmp.resolve("layout"), "latest");
        ContentStore store = ContentStore.open(tmp.resolve("store"));
        Puller puller = new Puller(store, Platform.host(), PullProgress.QUIET);
        try (Flaky flaky = new Flaky(OciLayoutSource.open(layout, false), 100_000)) {
            ImageException e = assertThrows(ImageException.class, () -> puller.pull(flaky, "latest", "x", "flaky"));
            assertTrue(e.getMessage().contains("Connection reset (100000 of " + img.blobs.get(0).length
                    + " bytes kept in"), e.getMessage());
            flaky.broken = false;
            flaky.offsets.clear();
            StoredImage s = puller.pull(flaky, "latest", "x", "flaky");
            assertEquals("x", s.name());
            assertTrue(flaky.offsets.contains(100_000L), flaky.offsets.toString());
        }
        try (Stream<Path> ingest = Files.list(tmp.resolve("store/ingest"))) {
            assertEquals(List.of(), ingest.toList());
        }
    }

    @Test
    void rmiRemovesTheNameAndOnlyTheBlobsNoOtherImageUses() throws Exception {
        TestImage.Layer base = new TestImage.Layer().file("base", "shared\n");
        byte[] baseTar = base.tar();
        TestImage a = new TestImage().layer(new TestImage.Layer().file("base", "shared\n"), "none")
                .layer(new TestImage.Layer().file("a", "a\n"), "none");
        TestImage b = new TestImage().layer(new TestImage.Layer().file("base", "shared\n"), "none")
                .layer(new TestImage.Layer().file("b", "b\n"), "none");
        assertEquals(TestImage.digest(baseTar), TestImage.digest(a.tars.get(0)));
        a.writeOciLayout(tmp.resolve("a"), "latest");
        b.writeOciLayout(tmp.resolve("b"), "latest");
        Images images = images();
        images.pull("oci:" + tmp.resolve("a"), "a");
        images.pull("oci:" + tmp.resolve("b"), "b");
        ContentStore store = images.store();
        String shared = TestImage.digest(baseTar);
        assertEquals(3, images.remove("a")); // manifest, config, own layer
        assertTrue(Files.exists(store.blobPath(shared)));
        assertEquals(List.of("b"), images.images().stream().map(StoredImage::name).toList());
        images.remove("b");
        try (Stream<Path> s = Files.list(tmp.resolve("store/blobs/sha256"))) {
            assertEquals(0, s.count());
        }
        ImageException e = assertThrows(ImageException.class, () -> images.remove("b"));
        assertEquals("rmi b: no such image in " + tmp.resolve("store"), e.getMessage());
    }

    @Test
    void concurrentPullsOfTheSameImageAndAnRmiShareTheStoreSafely() throws Exception {
        twoLayers("gzip").writeOciLayout(tmp.resolve("layout"), "latest");
        twoLayers("zstd").writeOciLayout(tmp.resolve("other"), "latest");
        Images images = images();
        images.pull("oci:" + tmp.resolve("other"), "other");
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<?>> all = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int n = i;
                all.add(pool.submit(() -> {
                    images.unpack("oci:" + tmp.resolve("layout"), tmp.resolve("b" + n), BundleOptions.NONE);
                    return null;
                }));
            }
            all.add(pool.submit(() -> images.remove("other")));
            for (java.util.concurrent.Future<?> f : all) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        for (int i = 0; i < 4; i++) {
            assertBundle(tmp.resolve("b" + i));
        }
        assertEquals(List.of("layout:latest"), images.images().stream().map(StoredImage::name).toList());
    }

    /** A source held in memory, as a registry serves it: media types with each manifest, blobs by digest. */
    static final class MemorySource implements ImageSource {
        final java.util.Map<String, Manifest> manifests = new java.util.HashMap<>();
        final java.util.Map<String, byte[]> blobs = new java.util.HashMap<>();

        @Override
        public Manifest manifest(String reference) throws ImageException {
            Manifest m = manifests.get(reference);
            if (m == null) {
                throw new ImageException("memory: no manifest " + reference);
            }
            return m;
        }

        @Override
        public InputStream blob(Descriptor d, long offset) throws ImageException {
            byte[] b = blobs.get(d.digest());
            if (b == null) {
                throw new ImageException("memory: no blob " + d.digest());
            }
            return new java.io.ByteArrayInputStream(b, (int) offset, b.length - (int) offset);
        }

        @Override
        public void close() {}
    }

    @Test
    void aDockerManifestListFromAnyImageSourceWithProgressOnATerminal() throws Exception {
        TestImage img = twoLayers("gzip");
        String manifest = new String(img.manifestBytes(), java.nio.charset.StandardCharsets.UTF_8)
                .replace(io.jrun.image.json.MediaTypes.OCI_MANIFEST, io.jrun.image.json.MediaTypes.DOCKER_MANIFEST)
                .replace(io.jrun.image.json.MediaTypes.OCI_CONFIG, io.jrun.image.json.MediaTypes.DOCKER_CONFIG)
                .replace(io.jrun.image.json.MediaTypes.OCI_LAYER_GZIP, io.jrun.image.json.MediaTypes.DOCKER_LAYER_GZIP);
        byte[] m = manifest.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String list = "{\"schemaVersion\":2,\"mediaType\":\"" + io.jrun.image.json.MediaTypes.DOCKER_LIST + "\",\"manifests\":[{"
                + "\"mediaType\":\"" + io.jrun.image.json.MediaTypes.DOCKER_MANIFEST + "\",\"digest\":\"" + TestImage.digest(m)
                + "\",\"size\":" + m.length + ",\"platform\":{\"architecture\":\"" + Platform.host().architecture()
                + "\",\"os\":\"linux\"}}]}";
        MemorySource source = new MemorySource();
        source.manifests.put("1.0", new ImageSource.Manifest(io.jrun.image.json.MediaTypes.DOCKER_LIST,
                list.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        source.manifests.put(TestImage.digest(m), new ImageSource.Manifest(io.jrun.image.json.MediaTypes.DOCKER_MANIFEST, m));
        source.blobs.putAll(img.allBlobs());
        java.io.ByteArrayOutputStream shown = new java.io.ByteArrayOutputStream();
        ContentStore store = ContentStore.open(tmp.resolve("store"));
        StoredImage s = new Puller(store, Platform.host(), new io.jrun.image.pull.ConsoleProgress(
                new java.io.PrintStream(shown, true))).pull(source, "1.0", "mem:1.0", "memory");
        assertEquals(TestImage.digest(m), s.digest());
        String out = shown.toString();
        assertTrue(out.startsWith("\rpulling: 0 of 3 blobs, 0.0 MB of 0.0 MB"), out);
        assertTrue(out.endsWith("pulling: 3 of 3 blobs, 0.0 MB of 0.0 MB   \n"), out);
        io.jrun.image.bundle.BundleMaker.make(store, s, tmp.resolve("b"), BundleOptions.NONE,
                io.jrun.image.unpack.UnpackOptions.defaults());
        assertBundle(tmp.resolve("b"));
        // a manifest asked for by digest must have that digest
        source.manifests.put(TestImage.digest("x".getBytes()), new ImageSource.Manifest(io.jrun.image.json.MediaTypes.DOCKER_MANIFEST, m));
        ImageException e = assertThrows(ImageException.class, () -> new Puller(store, Platform.host(), PullProgress.QUIET)
                .pull(source, TestImage.digest("x".getBytes()), "bad", "memory"));
        assertEquals("pull memory: manifest digest mismatch: asked for " + TestImage.digest("x".getBytes())
                + ", the bytes are " + TestImage.digest(m), e.getMessage());
    }
}
