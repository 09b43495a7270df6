package io.jrun.runtime.cgroups.v1;

import static io.jrun.runtime.cgroups.CgroupFiles.write;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.cgroups.DeviceDefaults;
import io.jrun.runtime.spec.Spec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** linux.resources as cgroup v1 files, one method per controller; {@code dirs} maps controller → the container's dir. */
public final class V1Controllers {
    private V1Controllers() {}

    public static void apply(Map<String, Path> dirs, Spec.Resources r) throws JrunException {
        memory(dir(dirs, "memory", r.memory() != null), r.memory());
        pids(dir(dirs, "pids", r.pidsLimit() != null), r.pidsLimit());
        cpu(dirs, r.cpu());
        blkio(dir(dirs, "blkio", r.blockIo() != null), r.blockIo());
        hugetlb(dir(dirs, "hugetlb", !r.hugepageLimits().isEmpty()), r.hugepageLimits());
        devices(dir(dirs, "devices", !r.devices().isEmpty()), r.devices());
        network(dirs, r.network());
        if (!r.unified().isEmpty()) {
            throw new JrunException("linux.resources.unified: needs cgroup v2, and this host has cgroup v1");
        }
    }

    private static Path dir(Map<String, Path> dirs, String controller, boolean needed) throws JrunException {
        Path d = dirs.get(controller);
        if (d == null && needed) {
            throw new JrunException("cgroups: the " + controller + " controller is not mounted on this host"
                    + " (looked for a cgroup v1 hierarchy with it in /proc/self/mountinfo)");
        }
        return d;
    }

    static void memory(Path dir, Spec.Memory m) throws JrunException {
        if (m == null) {
            return;
        }
        if (m.limit() != null) {
            write(dir, "memory.limit_in_bytes", Long.toString(m.limit()));
        }
        if (m.reservation() != null) {
            write(dir, "memory.soft_limit_in_bytes", Long.toString(m.reservation()));
        }
        if (m.swap() != null && Files.exists(dir.resolve("memory.memsw.limit_in_bytes"))) {
            write(dir, "memory.memsw.limit_in_bytes", Long.toString(m.swap())); // memory+swap, as the spec's swap is on v1
        } else if (m.swap() != null && m.swap() != -1 && (m.limit() == null || !m.swap().equals(m.limit()))) {
            throw new JrunException("linux.resources.memory.swap: this kernel has no swap accounting"
                    + " (memory.memsw.limit_in_bytes is missing)");
        }
        if (m.swappiness() != null && m.swappiness() >= 0) {
            write(dir, "memory.swappiness", Long.toString(m.swappiness()));
        }
        if (Boolean.TRUE.equals(m.disableOOMKiller())) {
            write(dir, "memory.oom_control", "1");
        }
    }

    static void pids(Path dir, Long limit) throws JrunException {
        if (limit != null) {
            write(dir, "pids.max", limit <= 0 ? "max" : Long.toString(limit));
        }
    }

    static void cpu(Map<String, Path> dirs, Spec.Cpu c) throws JrunException {
        if (c == null) {
            return;
        }
        boolean needCpu = c.shares() != null || c.quota() != null || c.period() != null
                || c.realtimeRuntime() != null || c.realtimePeriod() != null;
        Path cpu = dir(dirs, "cpu", needCpu);
        if (c.shares() != null) {
            write(cpu, "cpu.shares", Long.toString(c.shares()));
        }
        if (c.period() != null) {
            write(cpu, "cpu.cfs_period_us", Long.toString(c.period()));
        }
        if (c.quota() != null) {
            write(cpu, "cpu.cfs_quota_us", Long.toString(c.quota()));
        }
        if (c.burst() != null) {
            write(cpu, "cpu.cfs_burst_us", Long.toString(c.burst()));
        }
        if (c.realtimePeriod() != null) {
            write(cpu, "cpu.rt_period_us", Long.toString(c.realtimePeriod()));
        }
        if (c.realtimeRuntime() != null) {
            write(cpu, "cpu.rt_runtime_us", Long.toString(c.realtimeRuntime()));
        }
        Path cpuset = dir(dirs, "cpuset", c.cpus() != null || c.mems() != null);
        if (c.cpus() != null && !c.cpus().isEmpty()) {
            write(cpuset, "cpuset.cpus", c.cpus());
        }
        if (c.mems() != null && !c.mems().isEmpty()) {
            write(cpuset, "cpuset.mems", c.mems());
        }
    }

    static void blkio(Path dir, Spec.BlockIo b) throws JrunException {
        if (b == null) {
            return;
        }
        if (b.weight() != null) {
            write(dir, "blkio.weight", Long.toString(b.weight()));
        }
        for (Spec.DeviceValue d : b.weightDevice()) {
            write(dir, "blkio.weight_device", d.major() + ":" + d.minor() + " " + d.value());
        }
        throttle(dir, "blkio.throttle.read_bps_device", b.throttleReadBpsDevice());
        throttle(dir, "blkio.throttle.write_bps_device", b.throttleWriteBpsDevice());
        throttle(dir, "blkio.throttle.read_iops_device", b.throttleReadIOPSDevice());
        throttle(dir, "blkio.throttle.write_iops_device", b.throttleWriteIOPSDevice());
    }

    private static void throttle(Path dir, String file, List<Spec.DeviceValue> l) throws JrunException {
        for (Spec.DeviceValue d : l) {
            write(dir, file, d.major() + ":" + d.minor() + " " + d.value());
        }
    }

    static void hugetlb(Path dir, List<Spec.HugepageLimit> l) throws JrunException {
        for (Spec.HugepageLimit h : l) {
            write(dir, "hugetlb." + h.pageSize() + ".limit_in_bytes", Long.toString(h.limit()));
        }
    }

    /**
     * Each rule in order, its access normalised; a rule for every device ("a") with all access
     * and no numbers is the kernel's "a" (allow or deny all, dropping the rules before it), any
     * other "a" rule is the same rule for "c" and "b", since the kernel reads "a" as all-or-nothing.
     */
    static void devices(Path dir, List<Spec.DeviceRule> rules) throws JrunException {
        for (Spec.DeviceRule d : rules) {
            String type = d.type() == null || d.type().isEmpty() ? "a" : d.type();
            String access = DeviceDefaults.access(d.access());
            String file = d.allow() ? "devices.allow" : "devices.deny";
            if (!type.equals("a")) {
                write(dir, file, type + " " + num(d.major()) + ":" + num(d.minor()) + " " + access);
            } else if (num(d.major()).equals("*") && num(d.minor()).equals("*") && access.equals("rwm")) {
                write(dir, file, "a");
            } else {
                write(dir, file, "c " + num(d.major()) + ":" + num(d.minor()) + " " + access);
                write(dir, file, "b " + num(d.major()) + ":" + num(d.minor()) + " " + access);
            }
        }
    }

    /** net_cls.classid and net_prio.ifpriomap, each where its controller is mounted, else refused. */
    static void network(Map<String, Path> dirs, Spec.Network n) throws JrunException {
        if (n == null) {
            return;
        }
        if (n.classId() != null) {
            write(dir(dirs, "net_cls", "linux.resources.network.classID"), "net_cls.classid", Long.toString(n.classId()));
        }
        for (Spec.NetPriority p : n.priorities()) {
            write(dir(dirs, "net_prio", "linux.resources.network.priorities"), "net_prio.ifpriomap",
                    p.name() + " " + p.priority());
        }
    }

    private static Path dir(Map<String, Path> dirs, String controller, String field) throws JrunException {
        Path d = dirs.get(controller);
        if (d == null) {
            throw new JrunException(field + ": the " + controller + " cgroup controller is not mounted on this host"
                    + " (no cgroup v1 hierarchy with it in /proc/self/mountinfo)");
        }
        return d;
    }

    private static String num(Long n) {
        return n == null || n < 0 ? "*" : Long.toString(n);
    }
}
