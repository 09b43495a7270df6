package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.TestBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The compiled-plan cache of `jrun exec`: a second exec of the same arguments into a container of the same
 * config runs without a JVM (JRUN_JAVA=/bin/false: an exec that starts the JVM then exits 1 with no output),
 * into whichever container of that config it names, and does what the JVM path does. Anything changed
 * (arguments, environment, user, the process file's bytes), a damaged entry, a paused or stopped container:
 * the JVM.
 */
class ExecCacheIT extends CliTest {
    static final String NO_JVM = PlanCacheIT.NO_JVM;

    @BeforeEach
    void cachedOnCgroupV1Only() {
        Assumptions.assumeFalse(PlanCacheIT.v2(), "cgroup v2: exec is not cached there yet");
    }

    private final List<String> made = new ArrayList<>();

    @AfterEach
    void deleteContainers() throws Exception {
        for (String id : made) {
            jrun.run("delete", "--force", id);
        }
    }

    static String id() {
        return "xc-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A running container of the bundle (the same config for every call with the same bundle). */
    String running(Path bundle) throws Exception {
        String id = id();
        made.add(id);
        JrunCli.Result r = jrun.run("run", "-d", "--bundle", bundle.toString(), id);
        assertEquals(0, r.exit(), r.stderr());
        return id;
    }

    Path sleeper() throws IOException {
        return TestBundle.in(tmp.resolve("bundle-" + UUID.randomUUID().toString().substring(0, 6)))
                .args("sleep", "1000").write();
    }

    /** jrun exec with JRUN_JAVA=java (null: the real JVM) and the environment given (KEY, VALUE, ...). */
    JrunCli.Result exec(String java, List<String> env, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("exec"));
        all.addAll(List.of(args));
        ProcessBuilder pb = jrun.builder(all.toArray(new String[0]));
        if (java != null) {
            pb.environment().put("JRUN_JAVA", java);
        }
        for (int i = 0; i + 1 < env.size(); i += 2) {
            pb.environment().put(env.get(i), env.get(i + 1));
        }
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        return JrunCli.finish(new JrunCli.Started(pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start(),
                out, err));
    }

    List<Path> entries() throws IOException {
        Path top = jrun.stateRoot().resolve(".plan-cache");
        List<Path> l = new ArrayList<>();
        if (!Files.isDirectory(top)) {
            return l;
        }
        try (var builds = Files.list(top)) {
            for (Path b : builds.toList()) {
                try (var e = Files.list(b)) {
                    l.addAll(e.toList());
                }
            }
        }
        return l;
    }

    long initPid(String id) throws Exception {
        String s = jrun.run("state", id).stdout();
        return Long.parseLong(s.replaceAll("(?s).*\"pid\":\\s*(\\d+).*", "$1"));
    }

    static String ns(long pid, String type) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/" + type)).toString();
    }

    void delete(String... ids) throws Exception {
        for (String id : ids) {
            assertEquals(0, jrun.run("delete", "--force", id).exit());
        }
    }

    @Test
    void aSecondIdenticalExecNeedsNoJvmAndEndsAsTheJvmPath() throws Exception {
        Path b = sleeper();
        String id = running(b);
        String[] args = {"--env", "X=1", "--cwd", "/tmp", id, "sh", "-c",
            "echo $X; pwd; echo err >&2; readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt; exit 3"};
        JrunCli.Result jvm = exec(null, List.of(), args);
        assertEquals(3, jvm.exit(), jvm.stderr());
        assertTrue(jvm.stdout().startsWith("1\n/tmp\n"), jvm.stdout());
        assertEquals("err\n", jvm.stderr());
        assertEquals(1, entries().size(), "one entry stored");
        assertEquals("rw-------", PlanCacheIT.perms(entries().get(0)));

        assertEquals(jvm, exec(NO_JVM, List.of(), args));
        assertEquals(jvm, exec(null, List.of("JRUN_PLAN_CACHE", "off"), args));

        // another container of the same config: its own namespaces and cgroup, filled in from its records
        String other = running(b);
        args[4] = other;
        JrunCli.Result there = exec(NO_JVM, List.of(), args);
        assertEquals(3, there.exit(), there.stderr());
        assertEquals("1\n/tmp\n" + ns(initPid(other), "pid") + "\n" + ns(initPid(other), "mnt") + "\n", there.stdout());
        assertEquals(1, entries().size(), "the same entry");
        delete(id, other);
    }

    @Test
    void aDetachedExecWritesItsPidFileAndJoinsTheContainersCgroup() throws Exception {
        Path b = sleeper();
        String id = running(b);
        Path first = tmp.resolve("first.pid");
        JrunCli.Result jvm = exec(null, List.of(), "--detach", "--pid-file", first.toString(), id, "sleep", "1000");
        assertEquals(new JrunCli.Result(0, "", ""), jvm);
        assertEquals(1, entries().size());
        Path second = tmp.resolve("second.pid"); // where the pid file goes is no input
        assertEquals(jvm, exec(NO_JVM, List.of(), "--detach", "--pid-file", second.toString(), id, "sleep", "1000"));
        long init = initPid(id);
        for (Path f : List.of(first, second)) {
            long pid = Long.parseLong(Files.readString(f));
            assertEquals(ns(init, "pid"), ns(pid, "pid"));
            assertEquals(ns(init, "net"), ns(pid, "net"));
            assertEquals(Files.readString(Path.of("/proc/" + init + "/cgroup")),
                    Files.readString(Path.of("/proc/" + pid + "/cgroup")));
            assertTrue(jrun.run("ps", "--format", "json", id).stdout().contains(Long.toString(pid)));
        }
        delete(id);
    }

    @Test
    void aChangedCommandEnvironmentOrUserTakesTheJvm() throws Exception {
        Path b = sleeper();
        String id = running(b);
        assertEquals(new JrunCli.Result(0, "a\n", ""), exec(null, List.of(), id, "echo", "a"));
        assertEquals(new JrunCli.Result(0, "a\n", ""), exec(NO_JVM, List.of(), id, "echo", "a"));
        assertEquals(1, exec(NO_JVM, List.of(), id, "echo", "b").exit(), "another argument took the cached plan");
        assertEquals(1, exec(NO_JVM, List.of(), "--env", "A=1", id, "echo", "a").exit(), "--env took the cached plan");
        assertEquals(1, exec(NO_JVM, List.of(), "--user", "1000", id, "echo", "a").exit(), "--user took the cached plan");
        assertEquals(1, exec(NO_JVM, List.of(), "--tty", id, "echo", "a").exit(), "--tty took the cached plan");
        // the same exec into a container of another config
        Path other = TestBundle.in(tmp.resolve("other")).args("sleep", "999").write();
        String o = running(other);
        assertEquals(1, exec(NO_JVM, List.of(), o, "echo", "a").exit(), "another config took the cached plan");
        assertEquals(new JrunCli.Result(0, "a\n", ""), exec(null, List.of(), o, "echo", "a"));
        assertEquals(new JrunCli.Result(0, "a\n", ""), exec(NO_JVM, List.of(), o, "echo", "a"));
        delete(id, o);
    }

    @Test
    void aProcessFileIsAnInputByItsBytes() throws Exception {
        Path b = sleeper();
        String id = running(b);
        Path p1 = Files.writeString(tmp.resolve("p1.json"),
                "{\"args\": [\"sh\", \"-c\", \"id -u; echo $V\"], \"cwd\": \"/\", \"user\": {\"uid\": 1000, \"gid\": 100},"
                        + " \"env\": [\"PATH=/bin\", \"V=v\"]}");
        JrunCli.Result jvm = exec(null, List.of(), "--process", p1.toString(), id);
        assertEquals(new JrunCli.Result(0, "1000\nv\n", ""), jvm);
        Path p2 = Files.copy(p1, tmp.resolve("p2.json"));
        assertEquals(jvm, exec(NO_JVM, List.of(), "--process", p2.toString(), id));
        Files.writeString(p2, Files.readString(p2).replace("V=v", "V=w"));
        assertEquals(1, exec(NO_JVM, List.of(), "--process", p2.toString(), id).exit(), "changed bytes took the cache");
        assertEquals(new JrunCli.Result(0, "1000\nw\n", ""), exec(null, List.of(), "--process", p2.toString(), id));
        delete(id);
    }

    @Test
    void aDamagedEntryTakesTheJvm() throws Exception {
        Path b = sleeper();
        String id = running(b);
        assertEquals(new JrunCli.Result(0, "ok\n", ""), exec(null, List.of(), id, "echo", "ok"));
        Path entry = entries().get(0);
        byte[] bytes = Files.readAllBytes(entry);
        bytes[bytes.length / 2] ^= 0x5a;
        Files.write(entry, bytes);
        assertEquals(1, exec(NO_JVM, List.of(), id, "echo", "ok").exit(), "a damaged entry was used");
        assertEquals(new JrunCli.Result(0, "ok\n", ""), exec(null, List.of(), id, "echo", "ok"));
        assertEquals(new JrunCli.Result(0, "ok\n", ""), exec(NO_JVM, List.of(), id, "echo", "ok"), "stored anew");
        Files.write(entry, new byte[] {'J', 'R'});
        assertEquals(1, exec(NO_JVM, List.of(), id, "echo", "ok").exit(), "a truncated entry was used");
        delete(id);
    }

    /** A step that fails in a cached exec (the program gone from the rootfs) says what the JVM path says. */
    @Test
    void aFailedStepSaysWhatTheJvmSays() throws Exception {
        TestBundle tb = TestBundle.in(tmp.resolve("copied")).copyRootfs().args("sleep", "1000");
        Path b = tb.write();
        String id = running(b);
        Files.writeString(b.resolve("rootfs/bin/marker"), "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(b.resolve("rootfs/bin/marker"), PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(0, exec(null, List.of(), id, "marker", "true").exit());
        Files.delete(b.resolve("rootfs/bin/marker"));
        JrunCli.Result cached = exec(NO_JVM, List.of(), id, "marker", "true");
        JrunCli.Result jvm = exec(null, List.of("JRUN_PLAN_CACHE", "off"), id, "marker", "true");
        assertEquals(255, jvm.exit());
        assertTrue(jvm.stderr().contains("executable file not found"), jvm.toString());
        assertEquals(jvm, cached);
        delete(id);
    }

    /** A paused or stopped container: the JVM, which says why not as always. */
    @Test
    void aPausedOrStoppedContainerTakesTheJvm() throws Exception {
        Path b = sleeper();
        String id = running(b);
        assertEquals(0, exec(null, List.of(), id, "true").exit());
        assertEquals(0, exec(NO_JVM, List.of(), id, "true").exit());
        assertEquals(0, jrun.run("pause", id).exit());
        assertEquals(1, exec(NO_JVM, List.of(), id, "true").exit(), "a paused container took the cached plan");
        JrunCli.Result paused = exec(null, List.of(), id, "true");
        assertEquals(new JrunCli.Result(255, "", "jrun: exec " + id + ": cannot exec in a paused container (use"
                + " --ignore-paused to override)\n"), paused);
        assertEquals(0, jrun.run("resume", id).exit());
        long init = initPid(id);
        assertEquals(0, jrun.run("kill", id, "KILL").exit());
        for (int i = 0; i < 500 && Files.exists(Path.of("/proc/" + init + "/stat"))
                && !Files.readString(Path.of("/proc/" + init + "/stat")).contains(") Z"); i++) {
            Thread.sleep(10);
        }
        assertEquals(1, exec(NO_JVM, List.of(), id, "true").exit(), "a stopped container took the cached plan");
        assertEquals(new JrunCli.Result(255, "", "jrun: exec " + id + ": cannot exec in a stopped container\n"),
                exec(null, List.of(), id, "true"));
        delete(id);
    }
}
