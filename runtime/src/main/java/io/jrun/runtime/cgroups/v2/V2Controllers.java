package io.jrun.runtime.cgroups.v2;

import static io.jrun.runtime.cgroups.CgroupFiles.write;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.spec.Spec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** linux.resources as cgroup v2 files in one directory, one method per controller. */
public final class V2Controllers {
    private V2Controllers() {}

    /** The controllers a set of resources needs enabled in the parents' cgroup.subtree_control. */
    public static List<String> needed(Spec.Resources r) {
        java.util.List<String> c = new java.util.ArrayList<>(List.of("pids", "memory"));
        if (r.cpu() != null) {
            c.add("cpu");
            if (r.cpu().cpus() != null || r.cpu().mems() != null) {
                c.add("cpuset");
            }
        }
        if (r.blockIo() != null) {
            c.add("io");
        }
        if (!r.hugepageLimits().isEmpty()) {
            c.add("hugetlb");
        }
        return c;
    }

    /** The limits as files; the device rules are a program ({@link DeviceProgram}) that the stage attaches. */
    public static void apply(Path dir, Spec.Resources r) throws JrunException {
        memory(dir, r.memory());
        if (r.pidsLimit() != null) {
            write(dir, "pids.max", r.pidsLimit() <= 0 ? "max" : Long.toString(r.pidsLimit()));
        }
        cpu(dir, r.cpu());
        io(dir, r.blockIo());
        for (Spec.HugepageLimit h : r.hugepageLimits()) {
            write(dir, "hugetlb." + h.pageSize() + ".max", Long.toString(h.limit()));
        }
        if (r.network() != null && (r.network().classId() != null || !r.network().priorities().isEmpty())) {
            throw new JrunException("linux.resources.network: cgroup v2 has no net_cls or net_prio controller;"
                    + " jrun refuses the setting rather than drop it");
        }
        for (Map.Entry<String, String> e : r.unified().entrySet()) {
            if (e.getKey().contains("/") || e.getKey().startsWith(".")) {
                throw new JrunException("linux.resources.unified: \"" + e.getKey() + "\" is not a cgroup file name");
            }
            write(dir, e.getKey(), e.getValue());
        }
    }

    static void memory(Path dir, Spec.Memory m) throws JrunException {
        if (m == null) {
            return;
        }
        if (m.limit() != null) {
            write(dir, "memory.max", m.limit() < 0 ? "max" : Long.toString(m.limit()));
        }
        if (m.reservation() != null) {
            write(dir, "memory.low", Long.toString(m.reservation()));
        }
        if (m.swap() != null) {
            // the spec's swap is memory+swap (v1 semantics); v2 limits swap alone
            long swap = m.swap() < 0 ? -1 : m.limit() == null || m.limit() < 0 ? m.swap() : m.swap() - m.limit();
            if (swap < -1) {
                throw new JrunException("linux.resources.memory.swap " + m.swap() + " is below memory.limit "
                        + m.limit());
            }
            write(dir, "memory.swap.max", swap < 0 ? "max" : Long.toString(swap));
        }
        if (Boolean.TRUE.equals(m.disableOOMKiller())) {
            throw new JrunException("linux.resources.memory.disableOOMKiller: cgroup v2 cannot disable the OOM killer");
        }
    }

    /** cpu.shares (2..262144) to cpu.weight (1..10000), as runc converts them. */
    public static long weightOfShares(long shares) {
        if (shares == 0) {
            return 0;
        }
        return 1 + ((shares - 2) * 9999) / 262142;
    }

    static void cpu(Path dir, Spec.Cpu c) throws JrunException {
        if (c == null) {
            return;
        }
        if (c.shares() != null && c.shares() != 0) {
            write(dir, "cpu.weight", Long.toString(weightOfShares(c.shares())));
        }
        if (c.quota() != null || c.period() != null) {
            String quota = c.quota() == null || c.quota() < 0 ? "max" : Long.toString(c.quota());
            write(dir, "cpu.max", quota + " " + (c.period() == null ? 100000 : c.period()));
        }
        if (c.burst() != null) {
            write(dir, "cpu.max.burst", Long.toString(c.burst()));
        }
        if (c.realtimeRuntime() != null || c.realtimePeriod() != null) {
            throw new JrunException("linux.resources.cpu.realtime*: cgroup v2 has no realtime cpu controller");
        }
        if (c.cpus() != null && !c.cpus().isEmpty()) {
            write(dir, "cpuset.cpus", c.cpus());
        }
        if (c.mems() != null && !c.mems().isEmpty()) {
            write(dir, "cpuset.mems", c.mems());
        }
    }

    static void io(Path dir, Spec.BlockIo b) throws JrunException {
        if (b == null) {
            return;
        }
        if (b.weight() != null) {
            // blkio.weight 10..1000 to io.weight 1..10000
            write(dir, "io.weight", "default " + (1 + (b.weight() - 10) * 9999 / 990));
        }
        for (Spec.DeviceValue d : b.weightDevice()) {
            write(dir, "io.weight", d.major() + ":" + d.minor() + " " + (1 + (d.value() - 10) * 9999 / 990));
        }
        max(dir, "rbps", b.throttleReadBpsDevice());
        max(dir, "wbps", b.throttleWriteBpsDevice());
        max(dir, "riops", b.throttleReadIOPSDevice());
        max(dir, "wiops", b.throttleWriteIOPSDevice());
    }

    private static void max(Path dir, String key, List<Spec.DeviceValue> l) throws JrunException {
        for (Spec.DeviceValue d : l) {
            write(dir, "io.max", d.major() + ":" + d.minor() + " " + key + "=" + d.value());
        }
    }
}
