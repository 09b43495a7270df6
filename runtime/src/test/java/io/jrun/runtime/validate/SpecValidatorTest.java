package io.jrun.runtime.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.spec.DefaultSpec;
import io.jrun.runtime.spec.SpecReader;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class SpecValidatorTest {
    @SuppressWarnings("unchecked")
    static String problem(Consumer<Map<String, Object>> change) throws JrunException {
        Map<String, Object> spec = DefaultSpec.create(List.of("sh"));
        change.accept(spec);
        var parsed = SpecReader.parse(JsonWriter.write(spec), "c.json");
        return assertThrows(JrunException.class, () -> SpecValidator.validate(parsed, "c.json")).getMessage();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> sub(Map<String, Object> m, String key) {
        return (Map<String, Object>) m.get(key);
    }

    @Test
    void theDefaultSpecIsValid() throws JrunException {
        SpecValidator.validate(SpecReader.parse(JsonWriter.write(DefaultSpec.create(List.of("sh"))), "c"), "c");
    }

    @Test
    void versions() throws JrunException {
        assertEquals("1", SpecValidator.majorVersion("1.2.0"));
        assertEquals("1", SpecValidator.majorVersion("1.0.2-dev"));
        assertNull(SpecValidator.majorVersion("1.0"));
        assertNull(SpecValidator.majorVersion("v1.0.0"));
        assertEquals("c.json: ociVersion: 2.0.0: unsupported major version (jrun supports runtime-spec 1.x)",
                problem(s -> s.put("ociVersion", "2.0.0")));
        assertEquals("c.json: ociVersion: \"banana\" is not a version (1.x.y)",
                problem(s -> s.put("ociVersion", "banana")));
    }

    @Test
    void processRules() throws JrunException {
        assertEquals("c.json: process.args: must name a program", problem(s -> sub(s, "process").put("args", List.of())));
        assertEquals("c.json: process.cwd: must be an absolute path, got \"tmp\"",
                problem(s -> sub(s, "process").put("cwd", "tmp")));
        assertEquals("c.json: process.env[0]: \"NOEQUALS\" is not KEY=VALUE",
                problem(s -> sub(s, "process").put("env", List.of("NOEQUALS"))));
    }

    @Test
    void namespaceRules() throws JrunException {
        assertEquals("c.json: linux.namespaces[0].type: unknown namespace type \"bogus\" (known: pid, network,"
                + " mount, ipc, uts, user, cgroup, time)", problem(s -> sub(s, "linux").put("namespaces",
                        List.of(Map.of("type", "bogus")))));
        assertEquals("c.json: linux.namespaces[1].type: \"pid\" appears twice", problem(s -> sub(s, "linux")
                .put("namespaces", List.of(Map.of("type", "pid"), Map.of("type", "pid")))));
        assertEquals("c.json: linux.namespaces: a mount namespace is required (jrun never changes the host's"
                + " mount table)", problem(s -> sub(s, "linux").put("namespaces", List.of(Map.of("type", "pid")))));
        assertEquals("c.json: hostname: setting it needs a uts namespace in linux.namespaces",
                problem(s -> sub(s, "linux").put("namespaces", List.of(Map.of("type", "mount")))));
        assertEquals("c.json: linux.namespaces[0].type: network path \"netns\" is not absolute",
                problem(s -> sub(s, "linux").put("namespaces", List.of(Map.of("type", "network", "path", "netns")))));
        assertEquals("c.json: linux.uidMappings and linux.gidMappings: a new user namespace needs both",
                problem(s -> {
                    List<Object> l = new java.util.ArrayList<>((List<Object>) sub(s, "linux").get("namespaces"));
                    l.add(Map.of("type", "user"));
                    sub(s, "linux").put("namespaces", l);
                }));
    }

    @Test
    @SuppressWarnings("unchecked")
    void idMappingsEndAtTheLargestId() throws JrunException {
        assertEquals("c.json: linux.uidMappings[0]: containerID 0, hostID 4294967295 and size 1 reach past"
                + " 4294967294, the largest id", problem(s -> {
                    List<Object> l = new java.util.ArrayList<>((List<Object>) sub(s, "linux").get("namespaces"));
                    l.add(Map.of("type", "user"));
                    sub(s, "linux").put("namespaces", l);
                    sub(s, "linux").put("uidMappings", List.of(Map.of("containerID", 0L, "hostID", 4294967295L,
                            "size", 1L)));
                    sub(s, "linux").put("gidMappings", List.of(Map.of("containerID", 0L, "hostID", 0L,
                            "size", 1L)));
                }));
    }

    @Test
    void securityRules() throws JrunException {
        assertEquals("c.json: process.capabilities.bounding: unknown capability \"CAP_FLY\"",
                problem(s -> sub(s, "process").put("capabilities", Map.of("bounding", List.of("CAP_FLY")))));
        assertEquals("c.json: process.rlimits[0]: unknown type \"RLIMIT_FUN\"", problem(s -> sub(s, "process")
                .put("rlimits", List.of(Map.of("type", "RLIMIT_FUN", "hard", 1L, "soft", 1L)))));
        assertEquals("c.json: process.rlimits[0]: RLIMIT_NOFILE: soft limit 2 exceeds hard limit 1",
                problem(s -> sub(s, "process").put("rlimits",
                        List.of(Map.of("type", "RLIMIT_NOFILE", "hard", 1L, "soft", 2L)))));
        assertEquals("c.json: linux.sysctl: vm.swappiness: refused: it is not namespaced: it would change the host",
                problem(s -> sub(s, "linux").put("sysctl", Map.of("vm.swappiness", "10"))));
        assertEquals("c.json: linux.sysctl: net.ipv4.ip_forward: refused: it needs a new network namespace",
                problem(s -> {
                    sub(s, "linux").put("sysctl", Map.of("net.ipv4.ip_forward", "1"));
                    sub(s, "linux").put("namespaces", List.of(Map.of("type", "mount"), Map.of("type", "uts")));
                }));
        assertEquals("c.json: process.oomScoreAdj: 2000 is not from -1000 to 1000",
                problem(s -> sub(s, "process").put("oomScoreAdj", 2000L)));
    }

    @Test
    void mountAndDeviceRules() throws JrunException {
        assertEquals("c.json: linux.devices[0].type: \"x\" is not one of c, u, b, p", problem(s -> sub(s, "linux")
                .put("devices", List.of(Map.of("path", "/dev/x", "type", "x")))));
        assertEquals("c.json: linux.devices[0].path: \"/etc/x\" is not under /dev", problem(s -> sub(s, "linux")
                .put("devices", List.of(Map.of("path", "/etc/x", "type", "c")))));
        assertEquals("c.json: linux.rootfsPropagation: \"everywhere\" is not one of private, rprivate, shared,"
                + " rshared, slave, rslave, unbindable, runbindable",
                problem(s -> sub(s, "linux").put("rootfsPropagation", "everywhere")));
    }

    @SuppressWarnings("unchecked")
    static void withTimeNamespace(Map<String, Object> s, String path) {
        List<Object> l = new java.util.ArrayList<>((List<Object>) sub(s, "linux").get("namespaces"));
        l.add(path == null ? Map.of("type", "time") : Map.of("type", "time", "path", path));
        sub(s, "linux").put("namespaces", l);
    }

    @Test
    void timeNamespacesAndTheirOffsets() throws JrunException {
        Map<String, Object> spec = DefaultSpec.create(List.of("sh"));
        withTimeNamespace(spec, null);
        sub(spec, "linux").put("timeOffsets", Map.of("boottime", Map.of("secs", 86400L),
                "monotonic", Map.of("secs", -5L, "nanosecs", 999_999_999L)));
        SpecValidator.validate(SpecReader.parse(JsonWriter.write(spec), "c.json"), "c.json");
        assertEquals("c.json: linux.timeOffsets: offsets need a new time namespace in linux.namespaces",
                problem(s -> sub(s, "linux").put("timeOffsets", Map.of("boottime", Map.of("secs", 1L)))));
        assertEquals("c.json: linux.timeOffsets: the time namespace /proc/1/ns/time is joined, and a joined"
                + " namespace's offsets cannot be changed", problem(s -> {
                    withTimeNamespace(s, "/proc/1/ns/time");
                    sub(s, "linux").put("timeOffsets", Map.of("boottime", Map.of("secs", 1L)));
                }));
        assertEquals("c.json: linux.timeOffsets: unknown clock \"realtime\" (known: monotonic, boottime)",
                problem(s -> {
                    withTimeNamespace(s, null);
                    sub(s, "linux").put("timeOffsets", Map.of("realtime", Map.of("secs", 1L)));
                }));
        assertEquals("c.json: linux.timeOffsets.boottime.nanosecs: 1000000000 is not below 1000000000",
                problem(s -> {
                    withTimeNamespace(s, null);
                    sub(s, "linux").put("timeOffsets", Map.of("boottime", Map.of("nanosecs", 1_000_000_000L)));
                }));
    }

    @Test
    void personalityRules() throws JrunException {
        Map<String, Object> spec = DefaultSpec.create(List.of("sh"));
        sub(spec, "linux").put("personality", Map.of("domain", "LINUX32"));
        SpecValidator.validate(SpecReader.parse(JsonWriter.write(spec), "c.json"), "c.json");
        assertEquals("c.json: linux.personality.domain: \"LINUX64\" is not one of LINUX, LINUX32",
                problem(s -> sub(s, "linux").put("personality", Map.of("domain", "LINUX64"))));
        assertEquals("c.json: linux.personality.flags: unknown flag \"ADDR_NO_RANDOMIZE\" (the runtime-spec"
                + " defines none)", problem(s -> sub(s, "linux").put("personality", Map.of("domain", "LINUX",
                        "flags", List.of("ADDR_NO_RANDOMIZE")))));
        assertEquals("c.json: linux.personality.domain: missing",
                assertThrows(JrunException.class, () -> SpecReader.parse("{\"ociVersion\":\"1.0.0\",\"linux\":"
                        + "{\"personality\":{\"flags\":[]}}}", "c.json")).getMessage());
    }

    @Test
    void runtimeSpec12ProcessRules() throws JrunException {
        assertEquals("c.json: process.ioPriority.class: \"IOPRIO_CLASS_FAST\" is not IOPRIO_CLASS_RT, IOPRIO_CLASS_BE"
                + " or IOPRIO_CLASS_IDLE", problem(s -> sub(s, "process").put("ioPriority",
                        Map.of("class", "IOPRIO_CLASS_FAST", "priority", 1L))));
        assertEquals("c.json: process.ioPriority.priority: 8 is not from 0 to 7", problem(s -> sub(s, "process")
                .put("ioPriority", Map.of("class", "IOPRIO_CLASS_BE", "priority", 8L))));
        assertEquals("c.json: process.scheduler.flags: unknown flag \"SCHED_FLAG_FAST\"", problem(s -> sub(s,
                "process").put("scheduler", Map.of("policy", "SCHED_OTHER", "flags", List.of("SCHED_FLAG_FAST")))));
        assertEquals("c.json: process.scheduler.nice: 20 is not from -20 to 19", problem(s -> sub(s, "process")
                .put("scheduler", Map.of("policy", "SCHED_OTHER", "nice", 20L))));
        assertEquals("c.json: process.execCPUAffinity.final: \"0-x\" is not a CPU list (such as 0-3,7)",
                problem(s -> sub(s, "process").put("execCPUAffinity", Map.of("final", "0-x"))));
        assertEquals("c.json: process.execCPUAffinity.initial: \"3-1\": the range 3-1 is not from 0 to 8191, low to"
                + " high", problem(s -> sub(s, "process").put("execCPUAffinity", Map.of("initial", "3-1"))));
    }

    @Test
    void anEmptyExecCPUAffinityListSetsNothing() throws JrunException {
        Map<String, Object> spec = DefaultSpec.create(List.of("sh"));
        sub(spec, "process").put("execCPUAffinity", Map.of("initial", "", "final", ""));
        SpecValidator.validate(SpecReader.parse(JsonWriter.write(spec), "c.json"), "c.json");
    }

    @Test
    void idmappedMountRules() throws JrunException {
        List<Map<String, Object>> map = List.of(Map.of("containerID", 0L, "hostID", 1000L, "size", 1L));
        assertEquals("c.json: mounts[0]: uidMappings/gidMappings need the option \"idmap\" or \"ridmap\"",
                problem(s -> s.put("mounts", List.of(Map.of("destination", "/m", "type", "bind", "source", "/x",
                        "options", List.of("rbind"), "uidMappings", map, "gidMappings", map)))));
        assertEquals("c.json: mounts[0]: the option \"idmap\" or \"ridmap\" needs uidMappings and gidMappings, its"
                + " own or the container's user namespace's",
                problem(s -> s.put("mounts", List.of(Map.of("destination", "/m", "type", "bind", "source", "/x",
                        "options", List.of("rbind", "idmap"))))));
        assertEquals("c.json: mounts[0]: an idmapped mount needs both uidMappings and gidMappings",
                problem(s -> s.put("mounts", List.of(Map.of("destination", "/m", "type", "bind", "source", "/x",
                        "options", List.of("rbind", "idmap"), "uidMappings", map)))));
        assertEquals("c.json: mounts[0]: \"idmap\" and \"ridmap\" are supported on bind mounts only",
                problem(s -> s.put("mounts", List.of(Map.of("destination", "/m", "type", "tmpfs", "source", "tmpfs",
                        "options", List.of("idmap"), "uidMappings", map, "gidMappings", map)))));
    }
}
