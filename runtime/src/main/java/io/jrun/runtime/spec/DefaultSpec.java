package io.jrun.runtime.spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The config.json files {@code jrun spec} writes: {@link #runc} is what {@code runc spec} writes
 * (runc's users and tests build bundles with it), {@link #rootless} what {@code runc spec
 * --rootless} writes, and {@link #create} jrun's hardened profile ({@code jrun spec --hardened}:
 * a seccomp profile, a cgroup namespace, a terminal only when asked for).
 */
public final class DefaultSpec {
    private DefaultSpec() {}

    /** What {@code runc spec} writes, but for the hostname, which names the runtime. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> runc(List<String> args) {
        Map<String, Object> spec = create(args);
        ((Map<String, Object>) spec.get("process")).put("terminal", true);
        List<Object> mounts = new java.util.ArrayList<>((List<?>) spec.get("mounts"));
        mounts.add(mount("/sys/fs/cgroup", "cgroup", "cgroup", List.of("nosuid", "noexec", "nodev", "relatime", "ro")));
        spec.put("mounts", mounts);
        Map<String, Object> linux = (Map<String, Object>) spec.get("linux");
        linux.remove("seccomp");
        Map<String, Object> runcLinux = map(
                "resources", map("devices", List.of(map("allow", false, "access", "rwm"))),
                "namespaces", List.of(ns("pid"), ns("network"), ns("ipc"), ns("uts"), ns("mount")));
        runcLinux.put("maskedPaths", linux.get("maskedPaths"));
        runcLinux.put("readonlyPaths", linux.get("readonlyPaths"));
        spec.put("linux", runcLinux);
        return spec;
    }

    /**
     * What {@code runc spec --rootless} writes: a user namespace mapping root to the caller's
     * uid and gid and no network namespace, /sys bound from the host (sysfs cannot be mounted
     * without a network namespace of one's own), devpts without gid=5, no device rules.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> rootless(List<String> args, long uid, long gid) {
        Map<String, Object> spec = runc(args);
        List<Object> mounts = new java.util.ArrayList<>();
        for (Object o : (List<?>) spec.get("mounts")) {
            Map<String, Object> m = (Map<String, Object>) o;
            if (m.get("destination").equals("/sys")) {
                m = mount("/sys", "none", "/sys", List.of("rbind", "nosuid", "noexec", "nodev", "ro"));
            } else if (m.get("destination").equals("/dev/pts")) {
                List<Object> opts = new java.util.ArrayList<>((List<?>) m.get("options"));
                opts.remove("gid=5");
                m.put("options", opts);
            }
            mounts.add(m);
        }
        spec.put("mounts", mounts);
        Map<String, Object> linux = (Map<String, Object>) spec.get("linux");
        Map<String, Object> out = map(
                "uidMappings", List.of(map("containerID", 0L, "hostID", uid, "size", 1L)),
                "gidMappings", List.of(map("containerID", 0L, "hostID", gid, "size", 1L)),
                "namespaces", List.of(ns("pid"), ns("ipc"), ns("uts"), ns("mount"), ns("user")));
        out.put("maskedPaths", linux.get("maskedPaths"));
        out.put("readonlyPaths", linux.get("readonlyPaths"));
        spec.put("linux", out);
        return spec;
    }

    /** jrun's hardened profile ({@code jrun spec --hardened}); the library's and the image bundles' default. */
    public static Map<String, Object> create(List<String> args) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("ociVersion", Spec.RUNTIME_SPEC_VERSION);
        List<String> caps = List.of("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
        spec.put("process", map(
                "terminal", false,
                "user", map("uid", 0L, "gid", 0L),
                "args", args,
                "env", List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"),
                "cwd", "/",
                "capabilities", map("bounding", caps, "effective", caps, "permitted", caps, "ambient", caps),
                "rlimits", List.of(map("type", "RLIMIT_NOFILE", "hard", 1024L, "soft", 1024L)),
                "noNewPrivileges", true));
        spec.put("root", map("path", "rootfs", "readonly", true));
        spec.put("hostname", "jrun");
        spec.put("mounts", List.of(
                mount("/proc", "proc", "proc", List.of()),
                mount("/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")),
                mount("/dev/pts", "devpts", "devpts",
                        List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")),
                mount("/dev/shm", "tmpfs", "shm", List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")),
                mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")),
                mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro"))));
        spec.put("linux", map(
                "seccomp", defaultSeccomp(),
                "namespaces", List.of(ns("pid"), ns("network"), ns("ipc"), ns("uts"), ns("mount"), ns("cgroup")),
                "maskedPaths", List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"),
                "readonlyPaths", List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")));
        return spec;
    }

    /**
     * The syscalls Docker's default profile leaves out that a container without extra capabilities
     * should never need (kernel modules, clocks, keyrings, mounts and namespaces, tracing other
     * processes, BPF, reboot, swap, ...), refused with EPERM; everything else allowed. Docker
     * allows some of them again with CAP_SYS_ADMIN and friends: give the capability, edit this list.
     */
    static Map<String, Object> defaultSeccomp() {
        List<String> refused = List.of("acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
                "delete_module", "finit_module", "fsconfig", "fsmount", "fsopen", "fspick", "get_kernel_syms",
                "get_mempolicy", "init_module", "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl",
                "lookup_dcookie", "mbind", "mount", "mount_setattr", "move_mount", "move_pages",
                "name_to_handle_at", "nfsservctl", "open_by_handle_at", "open_tree", "perf_event_open",
                "pivot_root", "process_vm_readv", "process_vm_writev", "ptrace", "query_module", "quotactl",
                "quotactl_fd", "reboot", "request_key", "set_mempolicy", "setns", "settimeofday", "stime",
                "swapoff", "swapon", "sysfs", "_sysctl", "umount", "umount2", "unshare", "uselib", "userfaultfd",
                "ustat", "vm86", "vm86old");
        String arm = System.getProperty("os.arch").equals("aarch64") ? "SCMP_ARCH_AARCH64" : null;
        return map("defaultAction", "SCMP_ACT_ALLOW",
                "architectures", arm != null ? List.of(arm) : List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"),
                "syscalls", List.of(map("names", refused, "action", "SCMP_ACT_ERRNO", "errnoRet", 1L)));
    }

    private static Map<String, Object> mount(String dest, String type, String source, List<String> options) {
        Map<String, Object> m = map("destination", dest, "type", type, "source", source);
        if (!options.isEmpty()) {
            m.put("options", options);
        }
        return m;
    }

    private static Map<String, Object> ns(String type) {
        return map("type", type);
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int k = 0; k < kv.length; k += 2) {
            m.put((String) kv[k], kv[k + 1]);
        }
        return m;
    }
}
