package io.jrun.runtime.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.cgroups.v1.V1Controllers;
import io.jrun.runtime.cgroups.v2.V2Controllers;
import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.spec.DefaultSpec;
import io.jrun.runtime.spec.Spec;
import io.jrun.runtime.spec.SpecReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each controller's file writes, for both cgroup versions, against a temporary directory. */
class ControllersTest {
    @TempDir
    Path dir;

    static final String RESOURCES = "{\"memory\": {\"limit\": 67108864, \"reservation\": 33554432, \"swappiness\": 10},"
            + " \"pids\": {\"limit\": 64}, \"cpu\": {\"shares\": 512, \"quota\": 20000, \"period\": 100000,"
            + " \"cpus\": \"0\", \"mems\": \"0\"}, \"blockIO\": {\"weight\": 500, \"throttleReadBpsDevice\":"
            + " [{\"major\": 8, \"minor\": 0, \"rate\": 1048576}]}, \"hugepageLimits\": [{\"pageSize\": \"2MB\","
            + " \"limit\": 0}], \"devices\": [{\"allow\": false, \"access\": \"rwm\"}, {\"allow\": true, \"type\": \"c\","
            + " \"major\": 1, \"minor\": 3, \"access\": \"rw\"}, {\"allow\": true, \"type\": \"c\", \"major\": 136,"
            + " \"access\": \"rwm\"}]}";

    String read(String file) throws Exception {
        return Files.readString(dir.resolve(file));
    }

    /** A cgroup directory has its files already: jrun never creates one (a missing file is a missing controller). */
    @org.junit.jupiter.api.BeforeEach
    void cgroupFiles() throws Exception {
        for (String f : List.of("memory.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.swappiness", "pids.max",
                "cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpuset.cpus", "cpuset.mems", "blkio.weight",
                "blkio.throttle.read_bps_device", "hugetlb.2MB.limit_in_bytes", "devices.allow", "devices.deny",
                "memory.max", "memory.low", "cpu.max", "cpu.weight", "io.max", "io.weight", "hugetlb.2MB.max",
                "memory.high")) {
            Files.writeString(dir.resolve(f), "");
        }
    }

    static Spec.Resources devices(Spec.DeviceRule... rules) {
        return new Spec.Resources(null, null, null, null, List.of(), List.of(rules), Map.of());
    }

    @Test
    void v1DeviceAccessIsNormalisedAsRuncWritesIt() throws Exception {
        Map<String, Path> dirs = Map.of("devices", dir);
        V1Controllers.apply(dirs, devices(new Spec.DeviceRule(false, null, null, null, "mwr")));
        assertEquals("a", read("devices.deny"), "a deny-all in any order");
        V1Controllers.apply(dirs, devices(new Spec.DeviceRule(true, "c", 1L, 3L, "wrw")));
        assertEquals("c 1:3 rw", read("devices.allow"));
        V1Controllers.apply(dirs, devices(new Spec.DeviceRule(true, "b", 8L, null, "")));
        assertEquals("b 8:* rwm", read("devices.allow"));
        V1Controllers.apply(dirs, devices(new Spec.DeviceRule(false, "a", null, null, "mr")));
        assertEquals("b *:* rm", read("devices.deny"), "not the kernel's all-or-nothing \"a\": c, then b");
        JrunException e = assertThrows(JrunException.class,
                () -> V1Controllers.apply(dirs, devices(new Spec.DeviceRule(true, "c", 1L, 3L, "rwa"))));
        assertEquals("linux.resources.devices: access \"rwa\" has 'a', not one of r, w, m", e.getMessage());
        assertEquals("rwm", DeviceDefaults.access("mmwrw"));
    }

    @Test
    void networkIsWrittenWhereNetClsAndNetPrioAreMountedAndRefusedElsewhere() throws Exception {
        Files.writeString(dir.resolve("net_cls.classid"), "");
        Files.writeString(dir.resolve("net_prio.ifpriomap"), "");
        Spec.Resources r = SpecReader.parseResources("{\"network\": {\"classID\": 1048577, \"priorities\":"
                + " [{\"name\": \"lo\", \"priority\": 7}]}}", "r.json");
        V1Controllers.apply(Map.of("net_cls", dir, "net_prio", dir), r);
        assertEquals("1048577", read("net_cls.classid"));
        assertEquals("lo 7", read("net_prio.ifpriomap"));
        JrunException e = assertThrows(JrunException.class, () -> V1Controllers.apply(Map.of("memory", dir), r));
        assertEquals("linux.resources.network.classID: the net_cls cgroup controller is not mounted on this host"
                + " (no cgroup v1 hierarchy with it in /proc/self/mountinfo)", e.getMessage());
        e = assertThrows(JrunException.class, () -> V2Controllers.apply(dir, r));
        assertEquals("linux.resources.network: cgroup v2 has no net_cls or net_prio controller; jrun refuses the"
                + " setting rather than drop it", e.getMessage());
    }

    @Test
    void aMissingFileIsAMissingControllerNotAFileToCreate() throws Exception {
        Files.delete(dir.resolve("blkio.weight"));
        JrunException e = assertThrows(JrunException.class, () -> V1Controllers.apply(Map.of("blkio", dir),
                new Spec.Resources(null, null, null, new Spec.BlockIo(500L, List.of(), List.of(), List.of(), List.of(),
                        List.of()), List.of(), List.of(), Map.of())));
        assertEquals("write 500 to " + dir.resolve("blkio.weight") + ": No such file or directory (ENOENT): the"
                + " controller or this setting is missing on this host", e.getMessage());
    }

    @Test
    void v1() throws Exception {
        Spec.Resources r = SpecReader.parseResources(RESOURCES, "r.json");
        Map<String, Path> dirs = new LinkedHashMap<>();
        for (String c : List.of("memory", "pids", "cpu", "cpuset", "blkio", "hugetlb", "devices")) {
            dirs.put(c, dir);
        }
        // devices.allow keeps only the last write in a plain directory: check the rules one by one
        V1Controllers.apply(dirs, new Spec.Resources(r.memory(), r.cpu(), r.pidsLimit(), r.blockIo(),
                r.hugepageLimits(), List.of(), Map.of()));
        assertEquals("67108864", read("memory.limit_in_bytes"));
        assertEquals("33554432", read("memory.soft_limit_in_bytes"));
        assertEquals("10", read("memory.swappiness"));
        assertEquals("64", read("pids.max"));
        assertEquals("512", read("cpu.shares"));
        assertEquals("20000", read("cpu.cfs_quota_us"));
        assertEquals("100000", read("cpu.cfs_period_us"));
        assertEquals("0", read("cpuset.cpus"));
        assertEquals("500", read("blkio.weight"));
        assertEquals("8:0 1048576", read("blkio.throttle.read_bps_device"));
        assertEquals("0", read("hugetlb.2MB.limit_in_bytes"));
        V1Controllers.apply(dirs, new Spec.Resources(null, null, null, null, List.of(), r.devices().subList(0, 1),
                Map.of()));
        assertEquals("a", read("devices.deny"));
        V1Controllers.apply(dirs, new Spec.Resources(null, null, null, null, List.of(), r.devices().subList(1, 2),
                Map.of()));
        assertEquals("c 1:3 rw", read("devices.allow"));
        V1Controllers.apply(dirs, new Spec.Resources(null, null, null, null, List.of(), r.devices().subList(2, 3),
                Map.of()));
        assertEquals("c 136:* rwm", read("devices.allow"));
        assertEquals("linux.resources.unified: needs cgroup v2, and this host has cgroup v1",
                assertThrows(JrunException.class, () -> V1Controllers.apply(dirs, new Spec.Resources(null, null,
                        null, null, List.of(), List.of(), Map.of("memory.high", "1")))).getMessage());
        assertEquals("cgroups: the hugetlb controller is not mounted on this host (looked for a cgroup v1 hierarchy"
                + " with it in /proc/self/mountinfo)", assertThrows(JrunException.class, () -> V1Controllers.apply(
                        Map.of(), new Spec.Resources(null, null, null, null, r.hugepageLimits(), List.of(), Map.of())))
                        .getMessage());
    }

    @Test
    void v2() throws Exception {
        Spec.Resources r = SpecReader.parseResources(RESOURCES, "r.json");
        V2Controllers.apply(dir, new Spec.Resources(r.memory(), r.cpu(), r.pidsLimit(), r.blockIo(),
                r.hugepageLimits(), List.of(), Map.of("memory.high", "50000000")));
        assertEquals("67108864", read("memory.max"));
        assertEquals("33554432", read("memory.low"));
        assertEquals("64", read("pids.max"));
        assertEquals("20000 100000", read("cpu.max"));
        assertEquals(Long.toString(V2Controllers.weightOfShares(512)), read("cpu.weight"));
        assertEquals("8:0 rbps=1048576", read("io.max"));
        assertEquals("0", read("hugetlb.2MB.max"));
        assertEquals("50000000", read("memory.high"));
        assertEquals(List.of("pids", "memory", "cpu", "cpuset", "io", "hugetlb"), V2Controllers.needed(r));
    }

    @Test
    void sharesToWeightAsRuncConvertsThem() {
        assertEquals(1, V2Controllers.weightOfShares(2));
        assertEquals(39, V2Controllers.weightOfShares(1024));
        assertEquals(10000, V2Controllers.weightOfShares(262144));
    }

    @Test
    void defaultDevicesFollowTheLastDenyAll() throws Exception {
        Map<String, Object> m = DefaultSpec.create(List.of("sh"));
        @SuppressWarnings("unchecked")
        Map<String, Object> linux = (Map<String, Object>) m.get("linux");
        linux.put("resources", Map.of("devices", List.of(Map.of("allow", false, "access", "rwm"),
                Map.of("allow", false, "type", "c", "major", 1L, "minor", 5L, "access", "rwm"))));
        Spec spec = SpecReader.parse(JsonWriter.write(m), "c");
        List<Spec.DeviceRule> rules = DeviceDefaults.withDefaults(spec).devices();
        assertEquals(false, rules.get(0).allow());
        assertEquals(new Spec.DeviceRule(true, "c", 1L, 3L, "rwm"), rules.get(1));
        assertEquals(new Spec.DeviceRule(false, "c", 1L, 5L, "rwm"), rules.get(rules.size() - 1), "the config wins");
    }
}
