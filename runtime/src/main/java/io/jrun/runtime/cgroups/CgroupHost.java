package io.jrun.runtime.cgroups;

import io.jrun.runtime.JrunException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cgroup hierarchies of this host, read from /proc/self/mountinfo and /proc/self/cgroup:
 * pure v2 (cgroup2 at the top), or v1 controllers (with a cgroup2 beside them on hybrid
 * hosts, usually /sys/fs/cgroup/unified, where a container is placed too, as runc does).
 * Each hierarchy comes with this process's own cgroup in it, under which relative
 * cgroupsPaths are placed.
 */
public final class CgroupHost {
    /** One v1 hierarchy: its controllers (as mounted together), mount point and our cgroup in it. */
    public record Hierarchy(List<String> controllers, Path mount, String own) {
        public Path dirOf(String cgroupPath) {
            return mount.resolve(cgroupPath.startsWith("/") ? cgroupPath.substring(1) : cgroupPath);
        }
    }

    private final Path v2Mount;      // null on v1/hybrid hosts
    private final String v2Own;
    private final Map<String, Hierarchy> v1; // controller -> hierarchy
    private final Hierarchy unified; // hybrid hosts: the cgroup2 beside the v1 controllers, else null

    private CgroupHost(Path v2Mount, String v2Own, Map<String, Hierarchy> v1, Hierarchy unified) {
        this.v2Mount = v2Mount;
        this.v2Own = v2Own;
        this.v1 = v1;
        this.unified = unified;
    }

    /** On a hybrid host, its cgroup2 hierarchy (no controllers: {@code List.of()}) and our cgroup in it; else null. */
    public Hierarchy unified() {
        return unified;
    }

    public boolean isV2() {
        return v2Mount != null;
    }

    public Path v2Mount() {
        return v2Mount;
    }

    public String v2Own() {
        return v2Own;
    }

    public Map<String, Hierarchy> v1() {
        return v1;
    }

    private static volatile CgroupHost detected;

    public static CgroupHost detect() throws JrunException {
        CgroupHost h = detected;
        if (h == null) {
            try {
                h = parse(Files.readAllLines(Path.of("/proc/self/mountinfo")),
                        Files.readAllLines(Path.of("/proc/self/cgroup")));
            } catch (IOException e) {
                throw new JrunException("read /proc/self/mountinfo and /proc/self/cgroup: " + e.getMessage());
            }
            detected = h;
        }
        return h;
    }

    /** From the text of mountinfo and /proc/self/cgroup (testable on any host). */
    public static CgroupHost parse(List<String> mountinfo, List<String> procCgroup) throws JrunException {
        Map<String, String> ownV1 = new LinkedHashMap<>();
        String ownV2 = null;
        for (String line : procCgroup) {
            String[] f = line.split(":", 3);
            if (f.length < 3) {
                continue;
            }
            if (f[0].equals("0") && f[1].isEmpty()) {
                ownV2 = f[2];
            } else {
                for (String c : f[1].split(",")) {
                    ownV1.put(c, f[2]);
                }
            }
        }
        Path v2 = null;
        Hierarchy unified = null;
        Map<String, Hierarchy> v1 = new LinkedHashMap<>();
        for (String line : mountinfo) {
            String[] f = line.split(" ");
            int dash = java.util.Arrays.asList(f).indexOf("-");
            if (dash < 0 || dash + 3 >= f.length) {
                continue;
            }
            String fstype = f[dash + 1];
            Path mountPoint = Path.of(f[4]);
            if (fstype.equals("cgroup2") && mountPoint.equals(Path.of("/sys/fs/cgroup"))) {
                v2 = mountPoint;
            } else if (fstype.equals("cgroup2") && unified == null && mountPoint.startsWith("/sys/fs/cgroup")) {
                String own = ownV2 == null ? "/" : ownV2;
                String root = f[3];
                if (!root.equals("/") && own.startsWith(root)) {
                    own = own.substring(root.length());
                }
                unified = new Hierarchy(List.of(), mountPoint, own.isEmpty() ? "/" : own);
            } else if (fstype.equals("cgroup")) {
                List<String> controllers = new java.util.ArrayList<>();
                for (String o : f[dash + 3].split(",")) {
                    if (!o.equals("rw") && !o.equals("ro") && !o.startsWith("name=") && !o.contains("=")
                            && !o.equals("clone_children") && !o.equals("noprefix") && !o.equals("xattr")
                            && !o.equals("cpuset_v2_mode")) {
                        controllers.add(o);
                    }
                }
                if (controllers.isEmpty()) {
                    continue; // a named hierarchy (name=systemd): not a resource controller
                }
                String own = ownV1.getOrDefault(controllers.get(0), "/");
                String root = f[3]; // a bind of a sub-cgroup shows its path here
                if (!root.equals("/") && own.startsWith(root)) {
                    own = own.substring(root.length());
                }
                Hierarchy h = new Hierarchy(List.copyOf(controllers), mountPoint, own.isEmpty() ? "/" : own);
                for (String c : controllers) {
                    v1.putIfAbsent(c, h);
                }
            }
        }
        if (v2 != null) {
            return new CgroupHost(v2, ownV2 == null ? "/" : ownV2, Map.of(), null);
        }
        if (v1.isEmpty()) {
            throw new JrunException("cgroups: no cgroup v1 controller nor cgroup2 at /sys/fs/cgroup in /proc/self/mountinfo");
        }
        return new CgroupHost(null, null, v1, unified);
    }

    /**
     * The cgroup path a container gets in a hierarchy whose own cgroup is {@code own}: an
     * absolute cgroupsPath as it is, a relative one under {@code own} (so jrun embedded in a
     * test JVM nests its containers under that JVM), none: {@code jrun/<id>} under {@code own}.
     */
    public static String placement(String cgroupsPath, String own, String id) {
        String rel = cgroupsPath == null || cgroupsPath.isEmpty() ? "jrun/" + id : cgroupsPath;
        if (rel.startsWith("/")) {
            return rel;
        }
        return (own.endsWith("/") ? own : own + "/") + rel;
    }
}
