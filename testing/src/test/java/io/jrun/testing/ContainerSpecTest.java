package io.jrun.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.spec.DefaultSpec;
import io.jrun.runtime.spec.Spec;
import io.jrun.runtime.spec.SpecReader;
import io.jrun.runtime.validate.SpecValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spec as a value, and the config.json it becomes, read back by the runtime's own reader and validator. */
class ContainerSpecTest {
    @TempDir
    Path tmp;

    @Test
    void withersMakeNewSpecsAndLeaveTheOldOneAlone() {
        ContainerSpec base = ContainerSpec.fromRootfs(tmp).withCommand("sh");
        ContainerSpec changed = base.withEnv("A", "1").withHostname("h").withReadOnlyRoot();
        assertEquals(Map.of(), base.env());
        assertNull(base.hostname());
        assertFalse(base.readOnlyRoot());
        assertEquals(Map.of("A", "1"), changed.env());
        assertTrue(changed.readOnlyRoot());
        ContainerSpec rebuilt = changed.toBuilder().env("B", "2").command("true").build();
        assertEquals(List.of("true"), rebuilt.command());
        assertEquals(Map.of("A", "1"), changed.env());
        assertThrows(UnsupportedOperationException.class, () -> rebuilt.env().put("C", "3"));
    }

    @Test
    void badValuesAreRefusedWhereTheyAreGiven() {
        ContainerSpec s = ContainerSpec.fromRootfs(tmp);
        assertEquals("user alice: UID or UID:GID, numbers",
                assertThrows(IllegalArgumentException.class, () -> s.withUser("alice")).getMessage());
        assertEquals("workdir tmp: an absolute path in the container",
                assertThrows(IllegalArgumentException.class, () -> s.withWorkdir("tmp")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.withEnv("A=B", "c"));
        assertThrows(IllegalArgumentException.class, () -> s.withCommand(List.of()));
        assertThrows(IllegalArgumentException.class, () -> s.withMemoryLimit(0));
        assertThrows(IllegalArgumentException.class, () -> ContainerSpec.fromImage("oci:x").withoutOverlay());
    }

    private Spec compiled(ContainerSpec spec) throws Exception {
        Map<String, Object> config = DefaultSpec.create(List.of("sh"));
        ConfigOverrides.apply(config, spec, tmp.resolve("rootfs"), "jt-1");
        Path file = tmp.resolve("config.json");
        Files.writeString(file, JsonWriter.pretty(config));
        Spec read = SpecReader.read(file);
        SpecValidator.validate(read, file.toString());
        return read;
    }

    @Test
    void theSpecBecomesAConfigTheRuntimeAccepts() throws Exception {
        Path host = Files.createDirectories(tmp.resolve("data"));
        Spec s = compiled(ContainerSpec.fromRootfs(tmp).withCommand("httpd", "-f").withEnv("PATH", "/bin")
                .withEnv("MODE", "test").withWorkdir("/srv").withUser("1000:2000").withHostname("web")
                .withReadOnlyBind(host, "/data").withTmpfs("/tmp", "size=1m").withReadOnlyRoot()
                .withMemoryLimit(1 << 26));
        assertEquals(List.of("httpd", "-f"), s.process().args());
        assertEquals(List.of("TERM=xterm", "PATH=/bin", "MODE=test"), s.process().env());
        assertEquals("/srv", s.process().cwd());
        assertEquals(1000, s.process().user().uid());
        assertEquals(2000, s.process().user().gid());
        assertEquals("web", s.hostname());
        assertEquals(new Spec.Root(tmp.resolve("rootfs").toString(), true), s.root());
        assertTrue(s.mounts().contains(new Spec.Mount("/data", "bind", host.toString(), List.of("rbind", "ro", "rro"))));
        assertTrue(s.mounts().contains(new Spec.Mount("/tmp", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "size=1m"))));
        assertEquals(1L << 26, s.linux().resources().memory().limit());
        assertTrue(s.linux().namespaces().contains(new Spec.Namespace("network", null)));
        assertEquals("jt-1", s.linux().cgroupsPath());
    }

    @Test
    void networks() throws Exception {
        assertFalse(compiled(ContainerSpec.fromRootfs(tmp).withNetwork(Network.HOST)).linux().namespaces().stream()
                .anyMatch(n -> n.type().equals("network")));
        assertTrue(compiled(ContainerSpec.fromRootfs(tmp).withNetwork(Network.join(Path.of("/proc/1/ns/net"))))
                .linux().namespaces().contains(new Spec.Namespace("network", "/proc/1/ns/net")));
    }

    @Test
    void specsThatMakeTheSameContainerShareAPreparationKeyWhateverTheirStreamsWaitOrName() {
        ContainerSpec base = ContainerSpec.fromRootfs(tmp).withCommand("sh", "-c", "true").withEnv("A", "1");
        ContainerSpec same = ContainerSpec.fromRootfs(tmp).withEnv("A", "1").withCommand("sh", "-c", "true")
                .withLogConsumer(line -> { }).withStdoutTo(tmp.resolve("out")).withName("x")
                .waitingFor(Wait.forLogLine("ready", 1)).withStartupTimeout(java.time.Duration.ofSeconds(5));
        assertEquals(base.preparationKey(), same.preparationKey());
        assertEquals(base.preparationKey().hashCode(), same.preparationKey().hashCode());
        for (ContainerSpec other : List.of(base.withCommand("sh"), base.withEnv("A", "2"), base.withHostname("h"),
                base.withReadOnlyRoot(), base.withMemoryLimit(1 << 20), base.withNetwork(Network.HOST),
                base.withTmpfs("/t"), base.withBind(tmp, "/b"), base.withUser("1"), base.withWorkdir("/tmp"),
                base.withoutOverlay(), ContainerSpec.fromBundle(tmp))) {
            assertFalse(base.preparationKey().equals(other.preparationKey()), other.toString());
        }
        // what is decided at start cannot be made ahead
        assertNull(base.withStdin("x").preparationKey());
        assertNull(base.withInheritedIo().preparationKey());
        assertNull(base.withNetwork(Network.join(Path.of("/proc/1/ns/net"))).preparationKey());
    }
}
