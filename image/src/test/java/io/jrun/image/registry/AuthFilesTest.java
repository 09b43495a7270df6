package io.jrun.image.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jrun.image.ImageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthFilesTest {
    @TempDir
    Path dir;

    private static String auth(String userPass) {
        return Base64.getEncoder().encodeToString(userPass.getBytes(StandardCharsets.UTF_8));
    }

    private Path write(String relative, String json) throws IOException {
        Path file = dir.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, json);
        return file;
    }

    private static RegistryReference ref(String s) throws ImageException {
        return RegistryReference.parse(s);
    }

    @Test
    void theUsualFilesInPodmansOrder() {
        assertEquals(List.of(Path.of("/a/auth.json"), Path.of("/run/user/7/containers/auth.json"),
                Path.of("/home/u/.config/containers/auth.json"), Path.of("/home/u/.docker/config.json")),
                AuthFiles.defaultPaths(Map.of("REGISTRY_AUTH_FILE", "/a/auth.json",
                        "XDG_RUNTIME_DIR", "/run/user/7", "HOME", "/home/u"), 7));
        assertEquals(List.of(Path.of("/run/containers/0/auth.json"), Path.of("/root/.config/containers/auth.json"),
                Path.of("/d/config.json")),
                AuthFiles.defaultPaths(Map.of("HOME", "/root", "DOCKER_CONFIG", "/d"), 0));
        assertEquals(List.of(Path.of("/run/containers/1000/auth.json")), AuthFiles.defaultPaths(Map.of(), 1000));
    }

    @Test
    void theFirstFileWithAnEntryWinsAndMissingFilesAreSkipped() throws Exception {
        Path podman = write("run/containers/auth.json",
                "{\"auths\":{\"localhost:5000\":{\"auth\":\"" + auth("alice:s3cret:with:colons") + "\"}}}");
        Path docker = write("home/.docker/config.json",
                "{\"auths\":{\"localhost:5000\":{\"auth\":\"" + auth("bob:pw") + "\"},"
                        + "\"quay.io\":{\"auth\":\"" + auth("carol:pw2") + "\"}}}");
        List<Path> files = List.of(dir.resolve("missing.json"), podman, docker);
        Credentials c = AuthFiles.lookup(files, ref("localhost:5000/busybox")).credentials();
        assertEquals(new Credentials("alice", "s3cret:with:colons", podman), c);
        assertEquals(new Credentials("carol", "pw2", docker),
                AuthFiles.lookup(files, ref("quay.io/x/y:1")).credentials());
        assertEquals(new AuthFiles.Lookup(null, null), AuthFiles.lookup(files, ref("localhost:5001/busybox")));
    }

    @Test
    void dockerStyleUrlKeysAndDockerHubsNames() throws Exception {
        Path docker = write("config.json", "{\"auths\":{"
                + "\"https://index.docker.io/v1/\":{\"auth\":\"" + auth("hub:1") + "\"},"
                + "\"http://registry.example:8443/v2/\":{\"auth\":\"" + auth("ex:2") + "\"}}}");
        assertEquals("hub", AuthFiles.lookup(List.of(docker), ref("busybox")).credentials().username());
        assertEquals("ex", AuthFiles.lookup(List.of(docker), ref("registry.example:8443/a")).credentials().username());
        Path podman = write("auth.json", "{\"auths\":{\"docker.io\":{\"auth\":\"" + auth("hub2:1") + "\"}}}");
        assertEquals("hub2", AuthFiles.lookup(List.of(podman), ref("docker.io/library/alpine")).credentials().username());
    }

    @Test
    void theMostSpecificRepositoryKeyWins() throws Exception {
        Path file = write("auth.json", "{\"auths\":{"
                + "\"quay.io\":{\"auth\":\"" + auth("any:1") + "\"},"
                + "\"quay.io/team\":{\"auth\":\"" + auth("team:2") + "\"},"
                + "\"quay.io/team/app\":{\"auth\":\"" + auth("app:3") + "\"}}}");
        assertEquals("app", AuthFiles.lookup(List.of(file), ref("quay.io/team/app")).credentials().username());
        assertEquals("team", AuthFiles.lookup(List.of(file), ref("quay.io/team/other")).credentials().username());
        assertEquals("any", AuthFiles.lookup(List.of(file), ref("quay.io/else/x")).credentials().username());
    }

    @Test
    void usernameAndPasswordFieldsAndEmptyEntries() throws Exception {
        Path empty = write("a.json", "{\"auths\":{\"localhost:5000\":{}}}");
        Path fields = write("b.json", "{\"auths\":{\"localhost:5000\":{\"username\":\"u\",\"password\":\"p\"}}}");
        assertEquals(new Credentials("u", "p", fields),
                AuthFiles.lookup(List.of(empty, fields), ref("localhost:5000/a")).credentials());
        Path blank = write("c.json", "");
        assertEquals(new AuthFiles.Lookup(null, null), AuthFiles.lookup(List.of(blank), ref("localhost:5000/a")));
    }

    @Test
    void credentialHelpersAreNamedNotRun() throws Exception {
        Path file = write("config.json", "{\"auths\":{},\"credHelpers\":{\"quay.io\":\"secretservice\"}}");
        AuthFiles.Lookup lookup = AuthFiles.lookup(List.of(file), ref("quay.io/a/b"));
        assertNull(lookup.credentials());
        assertEquals("credential helper docker-credential-secretservice (credHelpers in " + file
                + ") is not supported", lookup.helperNote());
        Path store = write("store.json", "{\"auths\":{\"docker.io\":{}},\"credsStore\":\"desktop\"}");
        assertEquals("credential store docker-credential-desktop (credsStore in " + store + ") is not supported",
                AuthFiles.lookup(List.of(store), ref("busybox")).helperNote());
    }

    @Test
    void malformedFilesAreOneLineErrors() throws Exception {
        Path bad = write("bad.json", "{\"auths\": {\n  \"x\": }\n}");
        ImageException e = assertThrows(ImageException.class, () -> AuthFiles.lookup(List.of(bad), ref("x.io/a")));
        assertEquals("read auth file " + bad + ": malformed JSON at line 2, column 8: Unexpected character ('}' (code 125)):"
                + " expected a value", e.getMessage());
        Path notBase64 = write("b64.json", "{\"auths\":{\"x.io\":{\"auth\":\"%%%\"}}}");
        assertEquals("read auth file " + notBase64 + ": auths.\"x.io\".auth: not the base64 of user:password",
                assertThrows(ImageException.class, () -> AuthFiles.lookup(List.of(notBase64), ref("x.io/a"))).getMessage());
        Path array = write("array.json", "[]");
        assertEquals("read auth file " + array + ": not a JSON object",
                assertThrows(ImageException.class, () -> AuthFiles.lookup(List.of(array), ref("x.io/a"))).getMessage());
    }
}
