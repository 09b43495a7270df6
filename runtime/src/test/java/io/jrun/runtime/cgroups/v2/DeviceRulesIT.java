package io.jrun.runtime.cgroups.v2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.nativebind.PlanEncoder;
import io.jrun.nativebind.StageBinary;
import io.jrun.nativebind.StageEvent;
import io.jrun.nativebind.StageOp;
import io.jrun.nativebind.StageProcess;
import io.jrun.runtime.JrunException;
import io.jrun.runtime.cgroups.ContainerCgroup;
import io.jrun.runtime.plan.Plan;
import io.jrun.runtime.plan.PlanCompiler;
import io.jrun.runtime.spec.Spec;
import io.jrun.runtime.spec.SpecReader;
import io.jrun.runtime.testing.HostLeakCheck;
import io.jrun.runtime.testing.RootTests;
import io.jrun.runtime.testing.TestBundle;
import java.io.File;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Device programs in the real kernel, on any host with a cgroup2 mount: a pure v2 host's
 * /sys/fs/cgroup, or a hybrid host's /sys/fs/cgroup/unified (these machines: no controller
 * there, but device programs attach to any cgroup2 directory). Each test makes its own
 * directory under this JVM's cgroup there and removes it.
 */
@ExtendWith({RootTests.class, HostLeakCheck.class})
class DeviceRulesIT {
    @TempDir
    Path tmp;

    Path dir;

    static final Spec.DeviceRule DENY_ALL = new Spec.DeviceRule(false, null, null, null, "rwm");

    static Spec.DeviceRule allowChar(long major, long minor) {
        return new Spec.DeviceRule(true, "c", major, minor, "rwm");
    }

    /** The cgroup2 mount and this process's cgroup in it. */
    static Path ownCgroup2() throws Exception {
        Path mount = null;
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (dash > 0 && f[dash + 1].equals("cgroup2")) {
                mount = Path.of(f[4]);
                break;
            }
        }
        assertTrue(mount != null, "no cgroup2 mount on this host");
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            if (line.startsWith("0::")) {
                return mount.resolve(line.substring(4));
            }
        }
        return mount;
    }

    @BeforeEach
    void makeCgroup() throws Exception {
        dir = Files.createDirectory(ownCgroup2().resolve("jrun-devit-" + UUID.randomUUID().toString().substring(0, 8)));
    }

    @AfterEach
    void removeCgroup() throws Exception {
        for (int i = 0; i < 100 && Files.exists(dir); i++) { // its last process may still be exiting
            try {
                Files.delete(dir);
            } catch (java.io.IOException e) {
                Thread.sleep(20);
            }
        }
    }

    Path stage() throws Exception {
        return StageBinary.installedIn(Files.createDirectories(tmp.resolve("stage")));
    }

    /** A host shell moved into the cgroup, trying to open /dev/null and /dev/zero for reading and writing. */
    String openDevicesInside() throws Exception {
        Process p = new ProcessBuilder("/bin/sh", "-c", "echo $$ > \"$1\"/cgroup.procs || exit 9;"
                + " for d in null zero; do if msg=$( (exec 3<>/dev/$d) 2>&1 ); then echo $d-ok; else"
                + " case $msg in *'Operation not permitted'*) echo \"$d: Operation not permitted\";;"
                + " *) echo \"$d: $msg\";; esac; fi; done", "sh", dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void aDeniedDeviceFailsWithEpermAndAnUpdateReplacesTheRules() throws Exception {
        Path stage = stage();
        DeviceProgram.compile(List.of(DENY_ALL, allowChar(1, 3))).replaceIn(stage, dir);
        assertEquals("null-ok\nzero: Operation not permitted\n", openDevicesInside());
        // the update's program replaces the first: were both attached, each would deny what the other allows
        DeviceProgram.compile(List.of(DENY_ALL, allowChar(1, 5))).replaceIn(stage, dir);
        assertEquals("null: Operation not permitted\nzero-ok\n", openDevicesInside());
        DeviceProgram.allowAll().replaceIn(stage, dir);
        assertEquals("null-ok\nzero-ok\n", openDevicesInside());
    }

    @Test
    void anErrorNamesTheBpfCommandAndTheDirectory() throws Exception {
        Path notACgroup = Files.createDirectories(tmp.resolve("plain"));
        JrunException e = assertThrows(JrunException.class,
                () -> DeviceProgram.allowAll().replaceIn(stage(), notACgroup));
        assertTrue(e.getMessage().startsWith("bpf(BPF_PROG_ATTACH) for " + notACgroup + ": "), e.getMessage());
        // a program the verifier refuses (it exits without setting r0): its reason is in the error
        Process p = new ProcessBuilder(stage().toString(), "--cgroup-devices", dir.toString())
                .redirectErrorStream(true).start();
        try (java.io.OutputStream in = p.getOutputStream()) {
            in.write(new byte[] {(byte) 0x95, 0, 0, 0, 0, 0, 0, 0});
        }
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(125, p.waitFor());
        assertEquals("jrun: bpf(BPF_PROG_LOAD) for " + dir + ": Permission denied: R0 !read_ok\n", out);
    }

    /**
     * The monitor's side: the init is cloned into the cgroup (clone3 CLONE_INTO_CGROUP) and the
     * program is attached once its device nodes are made (/dev/zero is made, then denied).
     */
    @Test
    void theInitIsClonedIntoTheCgroupAndGetsTheProgramOnceItsDevicesAreMade() throws Exception {
        runInCgroup(stage());
    }

    /**
     * A kernel without clone3 (ENOSYS, before 5.3) or without its cgroup field (E2BIG, before
     * 5.7), made with strace's fault injection: the monitor clones and writes the pid instead.
     */
    @Test
    void withoutClone3ThePidIsWrittenToCgroupProcs() throws Exception {
        runWithClone3Refused("ENOSYS");
    }

    @Test
    void withoutClone3sCgroupFieldThePidIsWrittenToCgroupProcs() throws Exception {
        runWithClone3Refused("E2BIG");
    }

    private void runWithClone3Refused(String errno) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/strace")), "needs strace to inject the error");
        Path log = tmp.resolve("strace.log");
        Path wrapper = tmp.resolve("stage-under-strace");
        Files.writeString(wrapper, "#!/bin/sh\nexec /usr/bin/strace -f -qq -o " + log
                + " -e trace=clone3 -e inject=clone3:error=" + errno + " " + stage() + " \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        runInCgroup(wrapper);
        assertTrue(Files.readAllLines(log).stream().anyMatch(l -> l.contains("CLONE_INTO_CGROUP")
                && l.contains("= -1 " + errno) && l.contains("INJECTED")), "no refused clone3 in " + log);
    }

    private void runInCgroup(Path stageBinary) throws Exception {
        TestBundle b = TestBundle.in(Files.createTempDirectory(tmp, "b"))
                .sh("echo x > /dev/null && echo null-ok; head -c1 /dev/zero >/dev/null 2>&1 || echo zero-denied");
        b.linux().put("resources", Map.of("devices", List.of(Map.of("allow", false, "access", "rwm"),
                Map.of("allow", false, "type", "c", "major", 1L, "minor", 5L, "access", "rwm"))));
        Path bundle = b.write();
        Spec spec = SpecReader.read(bundle.resolve("config.json"));
        ContainerCgroup cgroup = ContainerCgroup.recorded(true, List.of(dir.toString()), List.of());
        Plan plan = PlanCompiler.compile(spec, bundle, new PlanCompiler.Options(false, 0, null, cgroup, null));
        List<StageOp> ops = new ArrayList<>();
        for (PlanEncoder.Step s : plan.steps()) {
            ops.add(s.op());
        }
        assertEquals(List.of(StageOp.CGROUP_INTO, StageOp.CGROUP_DEVICES, StageOp.CLONE), ops.subList(0, 3));
        Path out = Files.createTempFile(tmp, "out", "");
        ProcessBuilder pb = new ProcessBuilder().redirectInput(Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(out.toFile());
        try (StageProcess stage = StageProcess.spawn(stageBinary, tmp, pb)) {
            stage.channel().sendPlan(plan.encode());
            StageEvent e = stage.channel().read();
            StageEvent.Created c = assertInstanceOf(StageEvent.Created.class, e,
                    e instanceof StageEvent.Failed f ? plan.describe(f) : String.valueOf(e));
            List<String> cgroups = Files.readAllLines(Path.of("/proc/" + c.pid() + "/cgroup"));
            assertTrue(cgroups.stream().anyMatch(l -> l.startsWith("0::") && l.endsWith("/" + dir.getFileName())),
                    "the init is not in " + dir + ": " + cgroups);
            stage.channel().start();
            while (!(e instanceof StageEvent.Exited)) {
                e = stage.channel().read();
            }
            assertEquals(0, ((StageEvent.Exited) e).shellStatus(), Files.readString(out));
            stage.channel().done();
        }
        assertEquals("null-ok\nzero-denied\n", Files.readString(out));
    }
}
