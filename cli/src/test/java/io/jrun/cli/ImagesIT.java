package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.image.registry.LocalRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A busybox image made from the rootfs fixture, saved as a docker archive and as an OCI layout,
 * made into bundles by {@code jrun unpack} and run by {@code jrun run}; pull, images and rmi.
 */
class ImagesIT extends CliTest {
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String CMD = "echo hello from $(hostname) as $(id -u):$(id -g) in $(pwd) with $GREETING";

    Path layer;
    String layerDigest;
    byte[] config;
    Path store;

    static String sha256(byte[] b) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static void sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    }

    @BeforeEach
    void busyboxImage() throws Exception {
        Path rootfs = Path.of(System.getProperty("jrun.rootfs.busybox", "../rootfs-fixtures/target/rootfs/busybox"));
        assertTrue(Files.isDirectory(rootfs), rootfs + " is missing: build rootfs-fixtures first");
        Path etc = Files.createDirectories(tmp.resolve("extra/etc"));
        Files.writeString(etc.resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n");
        Files.writeString(etc.resolve("group"), "root:x:0:\napp:x:1000:\n");
        layer = tmp.resolve("layer.tar");
        sh("tar", "-C", rootfs.toString(), "-cf", layer.toString(), ".");
        sh("tar", "-C", tmp.resolve("extra").toString(), "-rf", layer.toString(), "./etc/passwd", "./etc/group");
        layerDigest = sha256(Files.readAllBytes(layer));
        config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-05-01T00:00:00Z\",\"config\":{"
                + "\"Env\":[\"PATH=/bin:/sbin\",\"GREETING=hi\"],\"Entrypoint\":[\"sh\",\"-c\"],\"Cmd\":[\""
                + CMD.replace("$", "$") + "\"],\"WorkingDir\":\"/tmp\",\"User\":\"app\",\"StopSignal\":\"SIGQUIT\"},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + layerDigest + "\"]}}").getBytes();
        store = tmp.resolve("store");
    }

    Path dockerArchive(String repoTag) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("docker-save-" + UUID.randomUUID()));
        String configName = sha256(config).substring(7) + ".json";
        Files.write(dir.resolve(configName), config);
        Files.createDirectories(dir.resolve("abc123"));
        Files.copy(layer, dir.resolve("abc123/layer.tar"));
        Files.writeString(dir.resolve("manifest.json"), "[{\"Config\":\"" + configName + "\",\"RepoTags\":[\"" + repoTag
                + "\"],\"Layers\":[\"abc123/layer.tar\"]}]");
        Path archive = tmp.resolve("busybox-docker.tar");
        sh("tar", "-C", dir.toString(), "-cf", archive.toString(), ".");
        return archive;
    }

    /** The image's OCI manifest: the config and the one layer. */
    byte[] manifest() throws Exception {
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + sha256(config)
                + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                + "\"digest\":\"" + layerDigest + "\",\"size\":" + Files.size(layer) + "}]}").getBytes();
    }

    Path ociLayout(String tag) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("oci/blobs/sha256")).getParent().getParent();
        Files.copy(layer, dir.resolve("blobs/sha256/" + layerDigest.substring(7)));
        Files.write(dir.resolve("blobs/sha256/" + sha256(config).substring(7)), config);
        byte[] manifest = manifest();
        Files.write(dir.resolve("blobs/sha256/" + sha256(manifest).substring(7)), manifest);
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.writeString(dir.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + sha256(manifest) + "\",\"size\":"
                + manifest.length + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + tag + "\"}}]}");
        return dir;
    }

    JrunCli.Result runBundle(Path bundle) throws Exception {
        return jrun.run("run", "--bundle", bundle.toString(), "it-" + UUID.randomUUID().toString().substring(0, 8));
    }

    @Test
    void aDockerArchiveBecomesABundleThatRunsTheImagesCommand() throws Exception {
        Path archive = dockerArchive("example/busybox:1.0");
        Path bundle = tmp.resolve("bundle");
        JrunCli.Result u = jrun.run("unpack", "--image-root", store.toString(), "docker-archive:" + archive, bundle.toString());
        assertEquals(0, u.exit(), u.stderr());
        JrunCli.Result r = runBundle(bundle);
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("hello from jrun as 1000:1000 in /tmp with hi\n", r.stdout());
        assertTrue(Files.readString(bundle.resolve("config.json")).contains("\"org.opencontainers.image.stopSignal\": \"SIGQUIT\""));
        JrunCli.Result images = jrun.run("images", "--image-root", store.toString());
        assertEquals(0, images.exit(), images.stderr());
        assertTrue(images.stdout().matches("(?s)NAME +DIGEST +SIZE +CREATED\nexample/busybox:1.0 +sha256:[0-9a-f]{12} +[0-9.]+ MB"
                + " +2024-05-01T00:00:00Z\n"), images.stdout());
    }

    @Test
    void anImageInALoopbackRegistryIsPulledUnpackedAndRun() throws Exception {
        try (LocalRegistry registry = LocalRegistry.start(Files.createDirectories(tmp.resolve("registry")), "", "",
                null)) {
            registry.pushBlob("jrun/busybox", Files.readAllBytes(layer));
            registry.pushBlob("jrun/busybox", config);
            String digest = registry.pushManifest("jrun/busybox", "1.0", OCI_MANIFEST, manifest());
            String ref = "docker://" + registry.authority() + "/jrun/busybox:1.0";
            Path bundle = tmp.resolve("bundle");
            JrunCli.Result u = jrun.run("unpack", "--image-root", store.toString(), ref, bundle.toString());
            assertEquals(0, u.exit(), u.stderr());
            JrunCli.Result r = runBundle(bundle);
            assertEquals(0, r.exit(), r.stderr());
            assertEquals("hello from jrun as 1000:1000 in /tmp with hi\n", r.stdout());
            // by digest, and what the registry lacks is one line naming it
            JrunCli.Result p = jrun.run("pull", "--image-root", store.toString(), "--name", "by-digest",
                    "docker://" + registry.authority() + "/jrun/busybox@" + digest);
            assertEquals("by-digest " + digest + "\n", p.stdout(), p.stderr());
            JrunCli.Result missing = jrun.run("pull", "--image-root", store.toString(),
                    "docker://" + registry.authority() + "/jrun/busybox:nope");
            assertEquals(1, missing.exit());
            assertEquals("jrun: pull manifest " + registry.authority() + "/jrun/busybox:nope: 404 MANIFEST_UNKNOWN"
                    + " manifest unknown\n", missing.stderr());
        }
    }

    @Test
    void anOciLayoutWithOverridesFromTheCommandLine() throws Exception {
        Path layout = ociLayout("1.0");
        Path bundle = tmp.resolve("bundle");
        JrunCli.Result u = jrun.run("unpack", "--image-root", store.toString(), "--env", "GREETING=servus", "--user", "0",
                "oci:" + layout + ":1.0", bundle.toString(), "--", "sh", "-c", CMD + "; exit 3");
        assertEquals(0, u.exit(), u.stderr());
        JrunCli.Result r = runBundle(bundle);
        assertEquals(3, r.exit(), r.stderr());
        assertEquals("hello from jrun as 0:0 in /tmp with servus\n", r.stdout());
    }

    @Test
    void pullImagesAndRmiWithItsGarbageCollection() throws Exception {
        Path layout = ociLayout("latest");
        JrunCli.Result p = jrun.run("pull", "--image-root", store.toString(), "--name", "bb", "oci:" + layout);
        assertEquals(0, p.exit(), p.stderr());
        assertTrue(p.stdout().matches("bb sha256:[0-9a-f]{64}\n"), p.stdout());
        JrunCli.Result p2 = jrun.run("pull", "--image-root", store.toString(), "docker-archive:" + dockerArchive("bb2:latest"));
        assertEquals(0, p2.exit(), p2.stderr());
        assertEquals("bb\nbb2:latest\n", jrun.run("images", "--image-root", store.toString(), "-q").stdout());
        // the plain name unpacks from the store
        Path bundle = tmp.resolve("bundle");
        JrunCli.Result u = jrun.run("unpack", "--image-root", store.toString(), "bb", bundle.toString());
        assertEquals(0, u.exit(), u.stderr());
        assertEquals(0, runBundle(bundle).exit());
        JrunCli.Result rmi = jrun.run("rmi", "--image-root", store.toString(), "bb", "bb2");
        assertEquals(0, rmi.exit(), rmi.stderr());
        try (Stream<Path> s = Files.list(store.resolve("blobs/sha256"))) {
            assertEquals(List.of(), s.toList());
        }
        JrunCli.Result again = jrun.run("rmi", "--image-root", store.toString(), "bb");
        assertEquals(1, again.exit());
        assertEquals("jrun: rmi bb: no such image in " + store + "\n", again.stderr());
    }

    @Test
    void aFailedUnpackLeavesNoBundleAndSaysWhy() throws Exception {
        Path bundle = tmp.resolve("bundle");
        JrunCli.Result u = jrun.run("unpack", "--image-root", store.toString(), "oci:" + tmp.resolve("nothing"), bundle.toString());
        assertEquals(1, u.exit());
        assertEquals("jrun: open oci:" + tmp.resolve("nothing") + ": no such directory\n", u.stderr());
        // nothing listens on port 1
        JrunCli.Result d = jrun.run("unpack", "--image-root", store.toString(), "docker://localhost:1/x", bundle.toString());
        assertEquals("jrun: pull docker://localhost:1/x:latest: ping registry localhost:1: http://localhost:1/v2/:"
                + " connection refused\n", d.stderr());
        assertFalse(Files.exists(bundle));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(), s.filter(x -> x.getFileName().toString().contains("jrun-unpack")).toList());
        }
    }

    @Test
    void anImageUmociMadeRunsToo() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/umoci")),
                "umoci is not installed (scripts/setup.sh installs it)");
        Path rootfs = Path.of(System.getProperty("jrun.rootfs.busybox", "../rootfs-fixtures/target/rootfs/busybox"));
        Path layout = tmp.resolve("umoci-layout");
        Path work = tmp.resolve("umoci-bundle");
        sh("umoci", "init", "--layout", layout.toString());
        sh("umoci", "new", "--image", layout + ":bb");
        sh("umoci", "unpack", "--image", layout + ":bb", work.toString());
        sh("cp", "-a", rootfs + "/.", work.resolve("rootfs").toString());
        sh("umoci", "repack", "--image", layout + ":bb", work.toString());
        sh("umoci", "config", "--image", layout + ":bb", "--config.entrypoint", "sh", "--config.cmd", "-c",
                "--config.cmd", "echo made by umoci in $(pwd)", "--config.workingdir", "/tmp");
        Path bundle = tmp.resolve("bundle");
        JrunCli.Result u = jrun.run("unpack", "--image-root", store.toString(), "oci:" + layout + ":bb", bundle.toString());
        assertEquals(0, u.exit(), u.stderr());
        JrunCli.Result r = runBundle(bundle);
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("made by umoci in /tmp\n", r.stdout());
    }
}
