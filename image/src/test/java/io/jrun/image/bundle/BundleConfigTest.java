package io.jrun.image.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jrun.image.ImageException;
import io.jrun.image.json.ImageJson.ConfigJson;
import io.jrun.image.json.ImageJson.ContainerConfigJson;
import io.jrun.image.json.ImageJson.RootfsJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json from an image config: command, env, cwd, user from the rootfs's passwd and group, annotations, overrides. */
class BundleConfigTest {
    @TempDir
    Path rootfs;

    @BeforeEach
    void etc() throws Exception {
        Files.createDirectories(rootfs.resolve("etc"));
        Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nwww:x:33:34:www:/var/www:/bin/false\n");
        Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\nwww:x:34:\nlogs:x:4:www,other\nweb:x:80:www\n");
    }

    static ConfigJson image(ContainerConfigJson c) {
        return new ConfigJson("2024-01-01T00:00:00Z", "amd64", "linux", null, c, new RootfsJson("layers", List.of()));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> process(Map<String, Object> spec) {
        return (Map<String, Object>) spec.get("process");
    }

    @Test
    void theImagesCommandEnvCwdUserAndAnnotations() throws Exception {
        ContainerConfigJson c = new ContainerConfigJson("www", Map.of("80/tcp", Map.of(), "443/tcp", Map.of()),
                List.of("PATH=/opt/bin:/bin", "MODE=prod"), List.of("/bin/server"), List.of("--port", "80"), "/srv",
                Map.of("org.example.team", "web"), "SIGQUIT");
        Map<String, Object> spec = BundleConfig.create(image(c), rootfs, BundleOptions.NONE);
        Map<String, Object> p = process(spec);
        assertEquals(List.of("/bin/server", "--port", "80"), p.get("args"));
        assertEquals(List.of("PATH=/opt/bin:/bin", "MODE=prod"), p.get("env"));
        assertEquals("/srv", p.get("cwd"));
        assertEquals(false, p.get("terminal"));
        assertEquals(Map.of("uid", 33L, "gid", 34L, "additionalGids", List.of(4L, 80L)), p.get("user"));
        assertEquals(new TreeMap<>(Map.of("org.example.team", "web", BundleConfig.EXPOSED_PORTS, "443/tcp,80/tcp",
                BundleConfig.STOP_SIGNAL, "SIGQUIT")), new TreeMap<>((Map<String, Object>) spec.get("annotations")));
        assertEquals("rootfs", ((Map<?, ?>) spec.get("root")).get("path"));
    }

    @Test
    void overridesFromTheCommandLine() throws Exception {
        ContainerConfigJson c = new ContainerConfigJson("www", null, List.of("MODE=prod"), List.of("/bin/server"), null,
                null, null, null);
        Map<String, Object> p = process(BundleConfig.create(image(c), rootfs,
                new BundleOptions(List.of("sh", "-c", "id"), List.of("MODE=dev", "EXTRA=1"), "1000:web", true)));
        assertEquals(List.of("sh", "-c", "id"), p.get("args"));
        assertEquals(List.of(BundleConfig.DEFAULT_PATH, "MODE=dev", "EXTRA=1", "TERM=xterm"), p.get("env"));
        assertEquals(Map.of("uid", 1000L, "gid", 80L), p.get("user"));
        assertEquals(true, p.get("terminal"));
        assertEquals("/", p.get("cwd"));
    }

    @Test
    void usersByNumberNameAndGroup() throws Exception {
        assertEquals(new UserResolver.User(0, 0, List.of()), UserResolver.resolve(rootfs, ""));
        assertEquals(new UserResolver.User(33, 34, List.of(4L, 80L)), UserResolver.resolve(rootfs, "33"));
        assertEquals(new UserResolver.User(33, 4, List.of()), UserResolver.resolve(rootfs, "www:logs"));
        assertEquals(new UserResolver.User(1234, 0, List.of()), UserResolver.resolve(rootfs, "1234"));
        assertEquals(new UserResolver.User(1234, 99, List.of()), UserResolver.resolve(rootfs, "1234:99"));
        assertEquals("user \"nobody\": no user \"nobody\" in the image's /etc/passwd",
                assertThrows(ImageException.class, () -> UserResolver.resolve(rootfs, "nobody")).getMessage());
        assertEquals("user \"www:staff\": no group \"staff\" in the image's /etc/group",
                assertThrows(ImageException.class, () -> UserResolver.resolve(rootfs, "www:staff")).getMessage());
    }

    @Test
    void passwdThroughASymlinkIsReadInsideTheRootfs() throws Exception {
        Files.delete(rootfs.resolve("etc/passwd"));
        Files.createDirectories(rootfs.resolve("usr/share"));
        Files.writeString(rootfs.resolve("usr/share/passwd"), "app:x:500:500::/:/bin/sh\n");
        // absolute: taken from the rootfs's root, not the host's /usr/share
        Files.createSymbolicLink(rootfs.resolve("etc/passwd"), Path.of("/usr/share/passwd"));
        assertEquals(new UserResolver.User(500, 500, List.of()), UserResolver.resolve(rootfs, "app"));
    }

    @Test
    void anImageWithoutACommandNeedsArgs() {
        ContainerConfigJson c = new ContainerConfigJson(null, null, null, null, null, null, null, null);
        assertEquals("the image has no command (no Entrypoint or Cmd): give one with --args",
                assertThrows(ImageException.class, () -> BundleConfig.create(image(c), rootfs, BundleOptions.NONE)).getMessage());
    }
}
