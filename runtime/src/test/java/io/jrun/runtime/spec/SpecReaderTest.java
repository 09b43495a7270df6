package io.jrun.runtime.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.json.JsonWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpecReaderTest {
    static String message(String json) {
        return assertThrows(JrunException.class, () -> SpecReader.parse(json, "config.json")).getMessage();
    }

    @Test
    void readsTheDefaultSpec() throws JrunException {
        Spec s = SpecReader.parse(JsonWriter.pretty(DefaultSpec.create(List.of("sh", "-c", "true"))), "config.json");
        assertEquals(Spec.RUNTIME_SPEC_VERSION, s.ociVersion());
        assertEquals(List.of("sh", "-c", "true"), s.process().args());
        assertEquals("/", s.process().cwd());
        assertEquals(0, s.process().user().uid());
        assertEquals(new Spec.Root("rootfs", true), s.root());
        assertEquals("jrun", s.hostname());
        assertEquals(6, s.mounts().size());
        assertEquals(new Spec.Mount("/dev/pts", "devpts", "devpts",
                List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")), s.mounts().get(2));
        assertEquals(List.of("pid", "network", "ipc", "uts", "mount", "cgroup"),
                s.linux().namespaces().stream().map(Spec.Namespace::type).toList());
    }

    @Test
    void wrongTypesNameTheField() {
        assertEquals("config.json: process.args[1]: expected a string, got the number 3",
                message("{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"a\",3]}}"));
        assertEquals("config.json: root.readonly: expected true or false, got the string \"yes\"",
                message("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\",\"readonly\":\"yes\"}}"));
        assertEquals("config.json: linux.namespaces[0]: expected an object, got the string \"pid\"",
                message("{\"ociVersion\":\"1.0.0\",\"linux\":{\"namespaces\":[\"pid\"]}}"));
        assertEquals("config.json: process.user.additionalGids[0]: expected an integer from 0 to 4294967295,"
                + " got the number -1", message("{\"ociVersion\":\"1.0.0\",\"process\":{\"user\":{\"additionalGids\":[-1]}}}"));
        assertEquals("config.json: mounts: expected an array, got an object",
                message("{\"ociVersion\":\"1.0.0\",\"mounts\":{}}"));
        assertEquals("config.json: ociVersion: missing", message("{}"));
    }

    @Test
    void malformedJsonSaysWhere() {
        assertEquals("config.json: malformed JSON at line 2, column 1: expected ',' or '}'",
                message("{\"ociVersion\":\"1.0.0\"\n\"x\":1}"));
    }
}
