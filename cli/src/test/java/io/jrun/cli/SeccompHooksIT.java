package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jrun.runtime.testing.TestBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Seccomp profiles and hooks as runc takes them: other architectures, an unused listenerPath, hooks' view. */
class SeccompHooksIT extends CliTest {

    static String id() {
        return "sh-" + UUID.randomUUID().toString().substring(0, 8);
    }

    TestBundle bundle() {
        return TestBundle.in(tmp.resolve("b-" + UUID.randomUUID().toString().substring(0, 6)));
    }

    static Map<String, Object> refuseMkdir(List<String> archs) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("defaultAction", "SCMP_ACT_ALLOW");
        s.put("architectures", archs);
        s.put("syscalls", List.of(Map.of("names", List.of("mkdir", "mkdirat"), "action", "SCMP_ACT_ERRNO",
                "errnoRet", 1L)));
        return s;
    }

    static Map<String, Object> hook(String script) {
        return new LinkedHashMap<>(Map.of("path", "/bin/sh", "args", List.of("sh", "-c", script)));
    }

    @Test
    void architecturesOfOtherHostsInTheProfileAreLeftOut() throws Exception {
        // Docker's and Podman's profiles list the architectures of every host they ship for
        TestBundle b = bundle().sh("mkdir /tmp/x 2>&1; echo $?");
        b.linux().put("seccomp", refuseMkdir(List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                "SCMP_ARCH_ARM", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390X", "SCMP_ARCH_RISCV64")));
        JrunCli.Result r = jrun.run("run", "--bundle", b.write().toString(), id());
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("mkdir: can't create directory '/tmp/x': Operation not permitted\n1\n", r.stdout());
    }

    @Test
    void aListenerPathWithoutNotifyRulesIsNotUsed() throws Exception {
        TestBundle b = bundle().sh("echo ran");
        Map<String, Object> s = refuseMkdir(List.of("SCMP_ARCH_X86_64"));
        s.put("listenerPath", tmp.resolve("nobody-listens.sock").toString());
        b.linux().put("seccomp", s);
        JrunCli.Result r = jrun.run("run", "--bundle", b.write().toString(), id());
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("ran\n", r.stdout());
    }

    @Test
    void startContainerHooksRunUnderTheContainersFilter() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("out"));
        TestBundle b = bundle().sh("mkdir /shared/by-program 2>/dev/null || echo program-refused >> /shared/log");
        b.mount(Map.of("destination", "/shared", "type", "bind", "source", out.toString(),
                "options", List.of("rbind", "rw")));
        b.linux().put("seccomp", refuseMkdir(List.of("SCMP_ARCH_X86_64")));
        b.set("hooks", Map.of("startContainer", List.of(hook(
                "mkdir /shared/by-hook 2>/dev/null && echo hook-made >> /shared/log || echo hook-refused >> /shared/log"))));
        JrunCli.Result r = jrun.run("run", "--bundle", b.write().toString(), id());
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("hook-refused\nprogram-refused\n", Files.readString(out.resolve("log")));
    }

    /**
     * As runc's init runs them: as the process's user and groups, with its capabilities (runc's
     * exec of the hook from the init keeps them), not as root with every capability.
     */
    @Test
    void startContainerHooksRunAsTheProcessWithItsCapabilities() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("ids"));
        Files.setPosixFilePermissions(out, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        String show = "grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status > /shared/";
        TestBundle b = bundle().sh(show + "program");
        b.mount(Map.of("destination", "/shared", "type", "bind", "source", out.toString(),
                "options", List.of("rbind", "rw")));
        b.process().put("user", Map.of("uid", 1000L, "gid", 1000L, "additionalGids", List.of(2000L)));
        b.set("hooks", Map.of("startContainer", List.of(hook(show + "hook"))));
        JrunCli.Result r = jrun.run("run", "--bundle", b.write().toString(), id());
        assertEquals(0, r.exit(), r.stderr());
        String program = Files.readString(out.resolve("program"));
        assertEquals(program, Files.readString(out.resolve("hook")));
        org.junit.jupiter.api.Assertions.assertTrue(program.startsWith("Uid:\t1000\t1000\t1000\t1000\nGid:\t1000\t"),
                program);
        org.junit.jupiter.api.Assertions.assertTrue(program.contains("CapEff:\t0000000000000000"), program);
    }

    @Test
    void aMountMadeByACreateContainerHookIsSeenInside() throws Exception {
        TestBundle b = bundle().copyRootfs().sh("cat /mnt/from-hook; grep -c ' /mnt tmpfs ' /proc/mounts");
        Path rootfs = b.dir().resolve("rootfs");
        Files.createDirectories(rootfs.resolve("mnt"));
        // the container's mount namespace, before pivot_root: the rootfs by its host path
        b.set("hooks", Map.of("createContainer", List.of(hook("mount -t tmpfs -o size=1m jrun-hook " + rootfs
                + "/mnt && echo from-hook > " + rootfs + "/mnt/from-hook"))));
        JrunCli.Result r = jrun.run("run", "--bundle", b.write().toString(), id());
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("from-hook\n1\n", r.stdout());
    }
}
