package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.TestBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What runtime-spec 1.2 added to the process and to mounts, applied as the kernel shows it. */
class RuntimeSpec12IT extends CliTest {

    static String id() {
        return "s12-" + UUID.randomUUID().toString().substring(0, 8);
    }

    TestBundle bundle() {
        return TestBundle.in(tmp.resolve("b-" + UUID.randomUUID().toString().substring(0, 6)));
    }

    @Test
    void versionAndFeaturesSay12() throws Exception {
        JrunCli.Result v = jrun.run("--version");
        assertTrue(v.stdout().contains("spec: 1.2.0"), v.stdout());
        JrunCli.Result f = jrun.run("features");
        assertTrue(f.stdout().contains("\"ociVersionMax\": \"1.2.0\""), f.stdout());
        assertTrue(f.stdout().replaceAll("\\s", "").contains("\"mountExtensions\":{\"idmap\":{\"enabled\":true}}"),
                f.stdout());
    }

    @Test
    void ioPriorityAndSchedulerAreTheProcesss() throws Exception {
        // stat's field 19 is the nice value, 41 the policy (SCHED_BATCH: 3)
        TestBundle b = bundle().sh("ionice -p $$; cut -d' ' -f19,41 /proc/$$/stat");
        b.process().put("ioPriority", Map.of("class", "IOPRIO_CLASS_BE", "priority", 6L));
        b.process().put("scheduler", Map.of("policy", "SCHED_BATCH", "nice", 5L));
        JrunCli.Result r = jrun.run("run", "--bundle", b.write().toString(), id());
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("best-effort: prio 6\n5 3\n", r.stdout());
    }

    /**
     * As runc: without noNewPrivileges the filter goes in after the rlimits, I/O priority and scheduler,
     * so a profile that refuses those syscalls to the program still lets the set-up apply them.
     */
    @Test
    void aFilterRefusingSchedulingStillLetsTheSetUpApplyIt() throws Exception {
        TestBundle b = bundle().sh("ionice -p $$; cut -d' ' -f19,41 /proc/$$/stat;"
                + " grep 'open files' /proc/$$/limits | tr -s ' ' | cut -d' ' -f4;"
                + " ionice -c 3 -p $$ 2>/dev/null && echo allowed || echo refused");
        b.process().put("noNewPrivileges", false);
        b.process().put("ioPriority", Map.of("class", "IOPRIO_CLASS_BE", "priority", 6L));
        b.process().put("scheduler", Map.of("policy", "SCHED_BATCH", "nice", 5L));
        b.process().put("rlimits", List.of(Map.of("type", "RLIMIT_NOFILE", "soft", 100L, "hard", 100L)));
        b.linux().put("seccomp", Map.of("defaultAction", "SCMP_ACT_ALLOW", "architectures", List.of("SCMP_ARCH_X86_64"),
                "syscalls", List.of(Map.of("names", List.of("ioprio_set", "sched_setattr", "sched_setscheduler",
                        "setpriority", "setrlimit", "prlimit64"), "action", "SCMP_ACT_ERRNO", "errnoRet", 1L))));
        JrunCli.Result r = jrun.run("run", "--bundle", b.write().toString(), id());
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("best-effort: prio 6\n5 3\n100\nrefused\n", r.stdout());
    }

    @Test
    void aBadSchedulerIsOneLine() throws Exception {
        TestBundle b = bundle().sh("true");
        b.process().put("scheduler", Map.of("policy", "SCHED_FAST"));
        JrunCli.Result r = jrun.run("run", "--bundle", b.write().toString(), id());
        assertEquals(1, r.exit());
        assertEquals("jrun: " + b.dir().resolve("config.json") + ": process.scheduler.policy: \"SCHED_FAST\" is not"
                + " one of [SCHED_BATCH, SCHED_DEADLINE, SCHED_FIFO, SCHED_IDLE, SCHED_ISO, SCHED_OTHER, SCHED_RR]\n",
                r.stderr());
    }

    @Test
    void execCpuAffinityFinalIsTheExecdProcesss() throws Exception {
        TestBundle b = bundle().sh("exec sleep 100");
        b.write();
        String id = id();
        assertEquals(0, jrun.run("run", "-d", "--bundle", b.dir().toString(), id).exit());
        try {
            Path process = Files.writeString(tmp.resolve("process.json"), "{\"args\": [\"grep\", \"Cpus_allowed_list\","
                    + " \"/proc/self/status\"], \"cwd\": \"/\", \"env\": [\"PATH=/bin\"],"
                    + " \"execCPUAffinity\": {\"initial\": \"0-1\", \"final\": \"0\"}}");
            JrunCli.Result r = jrun.run("exec", "--process", process.toString(), id);
            assertEquals(0, r.exit(), r.stderr());
            assertEquals("Cpus_allowed_list:\t0\n", r.stdout());
            // the container's own init is left as it was
            JrunCli.Result init = jrun.run("exec", id, "grep", "Cpus_allowed_list", "/proc/1/status");
            assertTrue(!init.stdout().equals("Cpus_allowed_list:\t0\n") || Runtime.getRuntime().availableProcessors() == 1,
                    init.stdout());
        } finally {
            jrun.run("delete", "--force", id);
        }
    }

    @Test
    void anIdmappedBindMountShowsTheMappedOwners() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("idmapped"));
        Files.writeString(src.resolve("file"), "x"); // root's, on the host
        TestBundle b = bundle().sh("stat -c '%u %g' /m/file /r/file");
        List<Map<String, Object>> map = List.of(Map.of("containerID", 0L, "hostID", 1000L, "size", 1L));
        b.mount(Map.of("destination", "/m", "type", "bind", "source", src.toString(),
                "options", List.of("rbind", "idmap"), "uidMappings", map, "gidMappings", map));
        b.mount(Map.of("destination", "/r", "type", "bind", "source", src.toString(), "options", List.of("rbind")));
        JrunCli.Result r = jrun.run("run", "--bundle", b.write().toString(), id());
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("1000 1000\n0 0\n", r.stdout());
    }

    @Test
    void anIdmappedBindMountWithoutMapsTakesTheUserNamespaces() throws Exception {
        // runtime-spec 1.2 allows empty maps: root's files on the host are the container's root's
        Path src = Files.createDirectories(tmp.resolve("shared"));
        Files.writeString(src.resolve("file"), "x");
        TestBundle b = bundle().userNamespace(100000, 100000).sh("stat -c '%u %g' /m/file /r/file");
        b.mount(Map.of("destination", "/m", "type", "bind", "source", src.toString(),
                "options", List.of("rbind", "idmap")));
        b.mount(Map.of("destination", "/r", "type", "bind", "source", src.toString(), "options", List.of("rbind")));
        JrunCli.Result r = jrun.run("run", "--bundle", b.write().toString(), id());
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("0 0\n65534 65534\n", r.stdout());
    }
}
