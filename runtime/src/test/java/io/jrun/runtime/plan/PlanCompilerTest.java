package io.jrun.runtime.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.nativebind.PlanEncoder;
import io.jrun.nativebind.StageEvent;
import io.jrun.nativebind.StageOp;
import io.jrun.runtime.JrunException;
import io.jrun.runtime.cgroups.ContainerCgroup;
import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.spec.DefaultSpec;
import io.jrun.runtime.spec.Spec;
import io.jrun.runtime.spec.SpecReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plan compilation needs no root: the steps are checked as data. */
class PlanCompilerTest {
    @TempDir
    Path bundle;

    @BeforeEach
    void rootfs() throws IOException {
        Files.createDirectories(bundle.resolve("rootfs"));
    }

    Plan compile(Consumer<Map<String, Object>> change, boolean noPivot) throws JrunException {
        Map<String, Object> m = DefaultSpec.create(List.of("sh"));
        change.accept(m);
        Spec spec = SpecReader.parse(JsonWriter.write(m), "c");
        return PlanCompiler.compile(spec, bundle, new PlanCompiler.Options(noPivot, 0, null, null, null));
    }

    static List<StageOp> ops(Plan p) {
        return p.steps().stream().map(PlanEncoder.Step::op).toList();
    }

    static PlanEncoder.Step first(Plan p, StageOp op) {
        return p.steps().stream().filter(s -> s.op() == op).findFirst().orElseThrow();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> sub(Map<String, Object> m, String key) {
        return (Map<String, Object>) m.get(key);
    }

    @Test
    void theDefaultSpecInOrder() throws Exception {
        Plan p = compile(m -> {}, false);
        List<StageOp> ops = ops(p);
        assertEquals(StageOp.CLONE, ops.get(0));
        long flags = LinuxConstants.CLONE_NEWPID | LinuxConstants.CLONE_NEWNET | LinuxConstants.CLONE_NEWIPC
                | LinuxConstants.CLONE_NEWUTS | LinuxConstants.CLONE_NEWNS | LinuxConstants.CLONE_NEWCGROUP;
        // the cgroup namespace is made after the init entered its cgroup: by unshare, not clone
        assertEquals(List.of(flags & ~LinuxConstants.CLONE_NEWCGROUP, 0L, 1L), p.steps().get(0).args());
        assertEquals(List.of(StageOp.UNSHARE, StageOp.LOOPBACK_UP, StageOp.HOSTNAME, StageOp.ROOT_PROPAGATION,
                StageOp.ROOTFS), ops.subList(1, 6));
        assertEquals(List.of(LinuxConstants.CLONE_NEWCGROUP), p.steps().get(1).args());
        assertEquals(List.of(LinuxConstants.MS_REC | LinuxConstants.MS_PRIVATE), p.steps().get(4).args());
        assertEquals(List.of(bundle.resolve("rootfs").toRealPath().toString()), p.steps().get(5).args());
        assertEquals(6, ops.stream().filter(o -> o == StageOp.MOUNT).count());
        assertEquals(6, ops.stream().filter(o -> o == StageOp.MKNOD).count());
        assertEquals(5, ops.stream().filter(o -> o == StageOp.SYMLINK).count());
        int pivot = ops.indexOf(StageOp.PIVOT_ROOT);
        assertTrue(ops.lastIndexOf(StageOp.MOUNT) < pivot && ops.lastIndexOf(StageOp.SYMLINK) < pivot);
        assertEquals(List.of(StageOp.REMOUNT), ops.subList(pivot + 1, pivot + 2));
        assertEquals(List.of("/", LinuxConstants.MS_RDONLY), p.steps().get(pivot + 1).args());
        List<StageOp> tail = ops.subList(ops.indexOf(StageOp.RLIMIT), ops.size());
        assertEquals(List.of(StageOp.RLIMIT, StageOp.CAPS_BOUNDING, StageOp.CHDIR, StageOp.SETGROUPS, StageOp.SETGID,
                StageOp.SETUID, StageOp.CAPS, StageOp.CHDIR, StageOp.NO_NEW_PRIVS, StageOp.ARG, StageOp.ENV,
                StageOp.ENV, StageOp.LOOKUP, StageOp.WAIT_START, StageOp.SECCOMP, StageOp.EXEC), tail,
                "with no_new_privs, seccomp comes last, right before execve");
        Plan privileged = compile(m -> sub(m, "process").put("noNewPrivileges", false), false);
        List<StageOp> p2 = ops(privileged);
        assertTrue(p2.indexOf(StageOp.SECCOMP) < p2.indexOf(StageOp.CAPS_BOUNDING),
                "without no_new_privs, seccomp goes in while CAP_SYS_ADMIN is still there");
        assertTrue(p2.indexOf(StageOp.RLIMIT) < p2.indexOf(StageOp.SECCOMP),
                "as runc, after the rlimits, I/O priority and scheduler, which a profile may refuse the program");
        long three = (1L << 29) | (1L << 5) | (1L << 10); // AUDIT_WRITE, KILL, NET_BIND_SERVICE
        assertEquals(List.of(three), first(p, StageOp.CAPS_BOUNDING).args());
        // ambient needs inheritable, which the default leaves empty: none is raised (as runc)
        assertEquals(List.of(three, three, 0L, 0L), first(p, StageOp.CAPS).args());
        assertEquals(List.of(7L, 1024L, 1024L), first(p, StageOp.RLIMIT).args());
        assertEquals(List.of("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
                first(p, StageOp.LOOKUP).args());
    }

    @Test
    void mountOptionsBecomeFlagsDataAndRemounts() throws Exception {
        Path src = Files.createDirectories(bundle.resolve("data"));
        Files.writeString(bundle.resolve("file"), "x");
        Plan p = compile(m -> m.put("mounts", List.of(
                Map.of("destination", "/data", "type", "bind", "source", "data",
                        "options", List.of("rbind", "ro", "nosuid", "rslave")),
                Map.of("destination", "/f", "source", "file", "options", List.of("bind")),
                Map.of("destination", "/t", "type", "tmpfs", "source", "tmpfs",
                        "options", List.of("nodev", "size=1m", "mode=700")))), false);
        List<PlanEncoder.Step> mounts = p.steps().stream().filter(s -> s.op() == StageOp.MOUNT).toList();
        long bind = LinuxConstants.MS_BIND;
        assertEquals(List.of(src.toString(), "/data", "", bind | LinuxConstants.MS_REC, "",
                LinuxConstants.MS_RDONLY | LinuxConstants.MS_NOSUID, LinuxConstants.MS_SLAVE | LinuxConstants.MS_REC,
                0L, 0L, 0L), mounts.get(0).args());
        assertEquals(List.of(bundle.resolve("file").toString(), "/f", "", bind, "", 0L, 0L, 1L, 0L, 0L),
                mounts.get(1).args());
        assertEquals(List.of("tmpfs", "/t", "tmpfs", LinuxConstants.MS_NODEV, "size=1m,mode=700", 0L, 0L, 0L, 0L, 0L),
                mounts.get(2).args());
        assertEquals("mount " + src + " on /data", p.description(p.steps().indexOf(mounts.get(0))));
    }

    @Test
    void joinedNamespacesAreSetBeforeCloneWithMountLast() throws Exception {
        Plan p = compile(m -> sub(m, "linux").put("namespaces", List.of(
                Map.of("type", "mount", "path", "/proc/7/ns/mnt"), Map.of("type", "network", "path", "/run/netns/x"),
                Map.of("type", "pid"), Map.of("type", "uts"))), false);
        assertEquals(List.of(StageOp.SETNS, StageOp.SETNS, StageOp.CLONE), ops(p).subList(0, 3));
        assertEquals(List.of(LinuxConstants.CLONE_NEWNET, "/run/netns/x"), p.steps().get(0).args());
        assertEquals(List.of(LinuxConstants.CLONE_NEWNS, "/proc/7/ns/mnt"), p.steps().get(1).args());
        assertEquals(List.of(LinuxConstants.CLONE_NEWPID | LinuxConstants.CLONE_NEWUTS, 0L, 1L), p.steps().get(2).args());
        assertTrue(!ops(p).contains(StageOp.LOOPBACK_UP), "lo is brought up only in a new network namespace");
        assertEquals("join net namespace /run/netns/x", p.description(0));
    }

    @Test
    void devicesFromConfigOverrideDefaultsAndHostDevSkipsThem() throws Exception {
        Plan p = compile(m -> sub(m, "linux").put("devices", List.of(
                Map.of("path", "/dev/null", "type", "c", "major", 1L, "minor", 3L, "fileMode", 0600L, "uid", 5L),
                Map.of("path", "/dev/sda", "type", "b", "major", 8L, "minor", 0L))), false);
        List<PlanEncoder.Step> nodes = p.steps().stream().filter(s -> s.op() == StageOp.MKNOD).toList();
        assertEquals(List.of("/dev/null", LinuxConstants.S_IFCHR | 0600, 1L, 3L, 5L, 0L), nodes.get(0).args());
        assertEquals(List.of("/dev/sda", LinuxConstants.S_IFBLK | 0666, 8L, 0L, 0L, 0L), nodes.get(6).args());
        Path dev = Files.createDirectories(bundle.resolve("hostdev"));
        List<Object> mounts = new ArrayList<>(List.of(Map.of("destination", "/dev", "type", "bind",
                "source", dev.toString(), "options", List.of("rbind"))));
        Plan host = compile(m -> m.put("mounts", mounts), true);
        assertTrue(!ops(host).contains(StageOp.MKNOD) && !ops(host).contains(StageOp.SYMLINK));
        assertTrue(ops(host).contains(StageOp.MOVE_ROOT) && !ops(host).contains(StageOp.PIVOT_ROOT));
    }

    @Test
    void userEnvPathAndFailures() throws Exception {
        Plan p = compile(m -> {
            sub(m, "process").put("user", Map.of("uid", 1000L, "gid", 100L, "additionalGids", List.of(5L, 6L)));
            sub(m, "process").put("env", List.of("PATH=/opt/bin:/bin", "A=b"));
        }, false);
        assertEquals(List.of(5L, 6L), first(p, StageOp.SETGROUPS).args());
        assertEquals(List.of(100L), first(p, StageOp.SETGID).args());
        assertEquals(List.of(1000L), first(p, StageOp.SETUID).args());
        assertEquals(List.of("/opt/bin:/bin"), first(p, StageOp.LOOKUP).args());
        int lookup = ops(p).indexOf(StageOp.LOOKUP);
        assertEquals("exec \"sh\": executable file not found in the rootfs (searched $PATH /opt/bin:/bin)",
                p.describe(new StageEvent.Failed(lookup, 2, "sh")));
        int pivot = ops(p).indexOf(StageOp.PIVOT_ROOT);
        assertEquals("pivot_root into " + bundle.resolve("rootfs").toRealPath() + ": pivot_root: Invalid argument"
                + " (EINVAL)", p.describe(new StageEvent.Failed(pivot, 22, "pivot_root")));
    }

    @Test
    void aDetachedContainerWaitsOnItsExecFifoAndOutlivesTheMonitor() throws Exception {
        Path fifo = bundle.resolve("exec.fifo");
        Map<String, Object> m = DefaultSpec.create(List.of("sh"));
        Plan p = PlanCompiler.compile(SpecReader.parse(JsonWriter.write(m), "c"), bundle,
                new PlanCompiler.Options(false, 2, fifo, null, null));
        assertEquals(List.of(StageOp.MKFIFO, StageOp.EXEC_FIFO, StageOp.CLONE, StageOp.UNSHARE), ops(p).subList(0, 4));
        assertEquals(List.of(fifo.toString(), 0622L), p.steps().get(0).args());
        assertEquals(2L, p.steps().get(2).args().get(1));
        assertEquals(0L, p.steps().get(2).args().get(2), "no PR_SET_PDEATHSIG for a detached init");
        assertTrue(ops(p).contains(StageOp.WAIT_FIFO) && !ops(p).contains(StageOp.WAIT_START));
    }

    @Test
    void sysctlsUmaskAndOomScoreAdj() throws Exception {
        Plan p = compile(m -> {
            sub(m, "linux").put("sysctl", Map.of("net.ipv4.ip_forward", "1"));
            sub(sub(m, "process"), "user").put("umask", 027L);
            sub(m, "process").put("oomScoreAdj", -100L);
        }, false);
        assertEquals(List.of("net/ipv4/ip_forward", "1"), first(p, StageOp.SYSCTL).args());
        assertEquals(List.of(027L), first(p, StageOp.UMASK).args());
        assertEquals(List.of(-100L), first(p, StageOp.OOM_SCORE_ADJ).args());
        List<StageOp> ops = ops(p);
        assertTrue(ops.indexOf(StageOp.PIVOT_ROOT) < ops.indexOf(StageOp.SYSCTL)
                && ops.indexOf(StageOp.SYSCTL) < ops.indexOf(StageOp.READONLY_PATH), "sysctls before /proc/sys is read-only");
    }

    @Test
    void missingRootfsOrBindSource() throws Exception {
        assertEquals("rootfs " + bundle.resolve("nope") + ": No such file or directory (ENOENT)",
                assertThrows(JrunException.class, () -> compile(m -> sub(m, "root").put("path", "nope"), false))
                        .getMessage());
        assertEquals("mount " + bundle.resolve("gone") + " on /x: source: No such file or directory (ENOENT)",
                assertThrows(JrunException.class, () -> compile(m -> m.put("mounts", List.of(Map.of(
                        "destination", "/x", "type", "bind", "source", "gone", "options", List.of("bind")))), false))
                        .getMessage());
    }

    @Test
    void onCgroupV2TheInitIsClonedIntoItsCgroupWithItsDeviceProgram() throws Exception {
        Map<String, Object> m = DefaultSpec.create(List.of("sh"));
        sub(m, "linux").put("resources", Map.of("devices", List.of(Map.of("allow", false, "access", "rwm"))));
        Spec spec = SpecReader.parse(JsonWriter.write(m), "c");
        ContainerCgroup v2 = ContainerCgroup.recorded(true, List.of("/sys/fs/cgroup/jrun/c1"), List.of());
        Plan p = PlanCompiler.compile(spec, bundle, new PlanCompiler.Options(false, 0, null, v2, null));
        assertEquals(List.of(StageOp.CGROUP_INTO, StageOp.CGROUP_DEVICES, StageOp.CLONE), ops(p).subList(0, 3));
        assertEquals(List.of("/sys/fs/cgroup/jrun/c1"), p.steps().get(0).args());
        assertEquals("/sys/fs/cgroup/jrun/c1", p.steps().get(1).args().get(0));
        assertTrue(p.description(1).startsWith("attach the device rules (an eBPF program of "), p.description(1));
        // exec joins the container's namespaces (its cgroup namespace among them) before clone: the pid is written
        Plan exec = PlanCompiler.compileExec(spec, spec.process(), 42, 0, false, v2, null);
        assertEquals(StageOp.CGROUP_ENTER, ops(exec).get(0));
        assertEquals(List.of("/sys/fs/cgroup/jrun/c1/cgroup.procs"), exec.steps().get(0).args());
        assertTrue(!ops(exec).contains(StageOp.CGROUP_DEVICES), "the program is the container's, attached once");
        // on v1, and without device rules, neither
        ContainerCgroup v1 = ContainerCgroup.recorded(false, List.of("/sys/fs/cgroup/pids/jrun/c1"), List.of());
        Plan onV1 = PlanCompiler.compile(spec, bundle, new PlanCompiler.Options(false, 0, null, v1, null));
        assertEquals(List.of(StageOp.CGROUP_ENTER, StageOp.CLONE), ops(onV1).subList(0, 2));
        Spec noRules = SpecReader.parse(JsonWriter.write(DefaultSpec.create(List.of("sh"))), "c");
        Plan all = PlanCompiler.compile(noRules, bundle, new PlanCompiler.Options(false, 0, null, v2, null));
        assertEquals(List.of(StageOp.CGROUP_INTO, StageOp.CLONE), ops(all).subList(0, 2), "jrun spec's: no rules");
    }

    @Test
    void aJoinedCgroupNamespaceKeepsTheWriteToCgroupProcs() throws Exception {
        Map<String, Object> m = DefaultSpec.create(List.of("sh"));
        sub(m, "linux").put("namespaces", List.of(Map.of("type", "pid"), Map.of("type", "mount"),
                Map.of("type", "cgroup", "path", "/proc/1/ns/cgroup")));
        Spec spec = SpecReader.parse(JsonWriter.write(m), "c");
        ContainerCgroup v2 = ContainerCgroup.recorded(true, List.of("/sys/fs/cgroup/jrun/c1"), List.of());
        Plan p = PlanCompiler.compile(spec, bundle, new PlanCompiler.Options(false, 0, null, v2, null));
        assertEquals(StageOp.CGROUP_ENTER, ops(p).get(0));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theMonitorMakesTheTimeNamespaceWithItsOffsetsBeforeClone() throws Exception {
        Plan p = compile(m -> {
            List<Object> l = new ArrayList<>((List<Object>) sub(m, "linux").get("namespaces"));
            l.add(Map.of("type", "time"));
            sub(m, "linux").put("namespaces", l);
            sub(m, "linux").put("timeOffsets", new java.util.TreeMap<>(Map.of("boottime", Map.of("secs", 86400L),
                    "monotonic", Map.of("secs", -3L, "nanosecs", 5L))));
        }, false);
        assertEquals(List.of(StageOp.TIME_OFFSETS, StageOp.CLONE), ops(p).subList(0, 2));
        assertEquals(List.of("boottime 86400 0\nmonotonic -3 5\n"), p.steps().get(0).args());
        assertEquals("make a time namespace with offsets (clock secs nanosecs) boottime 86400 0, monotonic -3 5",
                p.description(0));
        // clone(2) reads CLONE_NEWTIME's bits as the exit signal: never in the clone flags
        assertEquals(0L, (Long) p.steps().get(1).args().get(0) & LinuxConstants.CLONE_NEWTIME);
        assertTrue(!ops(p).contains(StageOp.UNSHARE) || p.steps().stream().noneMatch(s -> s.op() == StageOp.UNSHARE
                && ((Long) s.args().get(0) & LinuxConstants.CLONE_NEWTIME) != 0));
        Plan plain = compile(m -> {
            List<Object> l = new ArrayList<>((List<Object>) sub(m, "linux").get("namespaces"));
            l.add(Map.of("type", "time"));
            sub(m, "linux").put("namespaces", l);
        }, false);
        assertEquals(List.of(""), first(plain, StageOp.TIME_OFFSETS).args());
        assertEquals("make a time namespace", plain.description(0));
    }

    @Test
    void personalityComesBeforeAnyFilter() throws Exception {
        Plan p = compile(m -> {
            sub(m, "linux").put("personality", Map.of("domain", "LINUX32"));
            sub(m, "process").put("noNewPrivileges", false);
        }, false);
        assertEquals(List.of(8L), first(p, StageOp.PERSONALITY).args());
        assertTrue(ops(p).indexOf(StageOp.PERSONALITY) < ops(p).indexOf(StageOp.SECCOMP));
        assertEquals("set personality LINUX32", p.description(ops(p).indexOf(StageOp.PERSONALITY)));
    }

    @Test
    void aNotifyFilterSendsItsFdToTheListenerBeforeTheWait() throws Exception {
        Map<String, Object> seccomp = Map.of("defaultAction", "SCMP_ACT_ALLOW", "listenerPath", "/run/agent.sock",
                "listenerMetadata", "who=\"me\"", "syscalls", List.of(Map.of("names", List.of("mkdir"),
                        "action", "SCMP_ACT_NOTIFY")));
        Map<String, Object> m = DefaultSpec.create(List.of("sh"));
        sub(m, "linux").put("seccomp", seccomp);
        Spec spec = SpecReader.parse(JsonWriter.write(m), "c");
        Map<String, Object> state = new java.util.LinkedHashMap<>();
        state.put("ociVersion", "1.0.2");
        state.put("id", "c1");
        Plan p = PlanCompiler.compile(spec, bundle, new PlanCompiler.Options(false, 0, null, null, null, state));
        List<StageOp> ops = ops(p);
        assertEquals(StageOp.SECCOMP_LISTENER, ops.get(0), "connected before clone, in the caller's namespaces");
        assertEquals(List.of("/run/agent.sock", "{\"ociVersion\":\"1.2.0\",\"fds\":[\"seccompFd\"],\"pid\":",
                ",\"metadata\":\"who=\\\"me\\\"\",\"state\":{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"pid\":", "}}"),
                p.steps().get(0).args());
        assertEquals(SeccompCompilerFlags.NEW_LISTENER, first(p, StageOp.SECCOMP).args().get(0));
        // with no_new_privs the filter still goes in before the wait for start: the monitor must be there
        assertTrue(ops.indexOf(StageOp.SECCOMP) < ops.indexOf(StageOp.WAIT_START));
        assertEquals("send the seccomp notify fd to listenerPath /run/agent.sock", p.description(0));
        // exec: the container's state keeps the init's pid; the process's own goes at the top
        Plan exec = PlanCompiler.compileExec(spec, spec.process(), 42, 0, false, null, null,
                Map.of("pid", 42L));
        assertEquals(List.of("/run/agent.sock", "{\"ociVersion\":\"1.2.0\",\"fds\":[\"seccompFd\"],\"pid\":",
                ",\"metadata\":\"who=\\\"me\\\"\",\"state\":{\"pid\":42}}"),
                first(exec, StageOp.SECCOMP_LISTENER).args());
    }

    /** The flag value the stage tests for. */
    static final class SeccompCompilerFlags {
        static final Long NEW_LISTENER = io.jrun.runtime.seccomp.SeccompCompiler.NEW_LISTENER;
    }

    @Test
    void bindSourcesOfAUserNamespacedContainerAreOpenedBeforeClone() throws Exception {
        Path src = Files.createDirectories(bundle.resolve("data"));
        List<Map<String, Object>> map = List.of(Map.of("containerID", 0L, "hostID", 1000L, "size", 1L));
        Plan p = compile(m -> {
            m.put("mounts", List.of(Map.of("destination", "/data", "type", "bind", "source", "data",
                    "options", List.of("rbind", "ro")), Map.of("destination", "/id", "type", "bind", "source", "data",
                    "options", List.of("bind", "ridmap"), "uidMappings", map, "gidMappings", map)));
            sub(m, "linux").put("namespaces", List.of(Map.of("type", "mount"), Map.of("type", "user")));
            sub(m, "linux").put("uidMappings", List.of(Map.of("containerID", 0L, "hostID", 100000L, "size", 65536L)));
            sub(m, "linux").put("gidMappings", List.of(Map.of("containerID", 0L, "hostID", 100000L, "size", 65536L)));
        }, false);
        List<StageOp> ops = ops(p);
        List<PlanEncoder.Step> trees = p.steps().stream().filter(s -> s.op() == StageOp.BIND_TREE).toList();
        assertEquals(List.of(src.toString(), 1L, "", ""), trees.get(0).args());
        assertEquals(List.of(src.toString(), 2L, "0 1000 1\n", "0 1000 1\n"), trees.get(1).args());
        assertTrue(ops.lastIndexOf(StageOp.BIND_TREE) < ops.indexOf(StageOp.CLONE));
        List<PlanEncoder.Step> mounts = p.steps().stream().filter(s -> s.op() == StageOp.MOUNT
                && s.args().get(0).equals(src.toString())).toList();
        assertEquals(4L, mounts.get(0).args().get(7)); // a directory, from tree 0
        assertEquals(4L | (1L << 8), mounts.get(1).args().get(7)); // from tree 1
    }

    @Test
    void aReadOnlyTmpfsIsFilledFirstAndRecursiveOptionsAreAttributes() throws Exception {
        Plan p = compile(m -> m.put("mounts", List.of(Map.of("destination", "/dev", "type", "tmpfs",
                "source", "tmpfs", "options", List.of("nosuid", "mode=755", "ro")), Map.of("destination", "/m",
                "type", "bind", "source", ".", "options", List.of("rbind", "rro", "rnosuid")))), false);
        List<StageOp> ops = ops(p);
        PlanEncoder.Step dev = first(p, StageOp.MOUNT);
        assertEquals(LinuxConstants.MS_NOSUID, dev.args().get(3)); // mounted writable ...
        int pivot = ops.indexOf(StageOp.PIVOT_ROOT);
        assertTrue(p.steps().subList(pivot, ops.size()).stream().anyMatch(s -> s.op() == StageOp.REMOUNT
                && s.args().equals(List.of("/dev", LinuxConstants.MS_RDONLY)))); // ... and read-only after pivot_root
        assertTrue(ops.lastIndexOf(StageOp.MKNOD) < pivot);
        PlanEncoder.Step bind = p.steps().stream().filter(s -> s.op() == StageOp.MOUNT && "/m".equals(s.args().get(1)))
                .findFirst().orElseThrow();
        assertEquals(List.of(MountOptions.ATTR_RDONLY | MountOptions.ATTR_NOSUID, 0L), bind.args().subList(8, 10));
    }

    @Test
    void theConsoleIsTheUsersAndCwdIsTriedFirstAsRoot() throws Exception {
        Plan p = compile(m -> {
            sub(m, "process").put("terminal", true);
            sub(m, "process").put("user", Map.of("uid", 1000L, "gid", 1000L));
        }, false);
        List<StageOp> ops = ops(p);
        assertEquals(List.of(1000L), first(p, StageOp.STDIO_OWNER).args());
        assertEquals(List.of(0L, 0L, 1L), first(p, StageOp.CONSOLE).args().subList(0, 3)); // the init binds /dev/console
        int setuid = ops.indexOf(StageOp.SETUID);
        assertTrue(ops.indexOf(StageOp.STDIO_OWNER) < setuid);
        assertEquals(List.of("/", 1L), first(p, StageOp.CHDIR).args());
        assertTrue(ops.indexOf(StageOp.CHDIR) < setuid && ops.lastIndexOf(StageOp.CHDIR) > setuid);
        assertEquals(List.of("/", 2L), p.steps().get(ops.lastIndexOf(StageOp.CHDIR)).args());
        Spec spec = SpecReader.parse(JsonWriter.write(DefaultSpec.create(List.of("sh"))), "c");
        Spec.Process tty = new Spec.Process(true, spec.process().user(), List.of("sh"), List.of(), "/", null, false,
                List.of(), null, null, null, null, new Spec.CpuAffinity("0-1", "1"));
        Plan exec = PlanCompiler.compileExec(spec, tty, 42, 0, false, null, null);
        List<StageOp> eops = ops(exec);
        assertEquals(List.of(0L, 0L, 0L), first(exec, StageOp.CONSOLE).args()); // exec leaves /dev/console alone
        assertEquals(List.of(3L), first(exec, StageOp.CPU_AFFINITY_INITIAL).args());
        assertEquals(List.of(2L), first(exec, StageOp.CPU_AFFINITY).args());
        assertTrue(eops.indexOf(StageOp.CPU_AFFINITY_INITIAL) < eops.indexOf(StageOp.CLONE)
                && eops.indexOf(StageOp.CPU_AFFINITY) > eops.indexOf(StageOp.CLONE));
    }
}
