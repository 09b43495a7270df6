package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.TestBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Mounts as runc (1.1, and 1.2 for the recursive and idmapped ones) makes them. */
class MountsIT extends CliTest {

    static String id() {
        return "mnt-" + UUID.randomUUID().toString().substring(0, 8);
    }

    TestBundle bundle() {
        return TestBundle.in(tmp.resolve("b-" + UUID.randomUUID().toString().substring(0, 6)));
    }

    static void sh(String script) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), script + ": " + out);
    }

    @SuppressWarnings("unchecked")
    static void replaceMount(TestBundle b, String dest, Map<String, Object> with) {
        List<Object> l = new ArrayList<>((List<Object>) b.spec().get("mounts"));
        l.replaceAll(m -> dest.equals(((Map<String, Object>) m).get("destination")) ? with : m);
        b.set("mounts", l);
    }

    @Test
    void aReadOnlyDevGetsItsDevicesFirst() throws Exception {
        TestBundle b = bundle().sh("test -c /dev/null && echo null; ls /dev/pts/ptmx >/dev/null && echo pts;"
                + " touch /dev/x 2>/dev/null || echo read-only; grep ' /dev ' /proc/mounts | cut -d' ' -f4"
                + " | cut -d, -f1");
        replaceMount(b, "/dev", new LinkedHashMap<>(Map.of("destination", "/dev", "type", "tmpfs", "source", "tmpfs",
                "options", List.of("nosuid", "strictatime", "mode=755", "size=65536k", "ro"))));
        JrunCli.Result r = jrun.run("run", "--bundle", b.write().toString(), id());
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("null\npts\nread-only\nro\n", r.stdout());
    }

    @Test
    void rroMakesEveryMountBelowReadOnly() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src/sub"));
        // a mount under the source: plain "ro" would leave it writable (this test's own mount namespace)
        sh("mount -t tmpfs jrun-rro-test " + src);
        try {
            TestBundle b = bundle().sh("touch /m/a 2>/dev/null || echo top-ro; touch /m/sub/a 2>/dev/null"
                    + " || echo sub-ro; touch /w/sub/a && echo w-rw");
            b.mount(Map.of("destination", "/m", "type", "bind", "source", tmp.resolve("src").toString(),
                    "options", List.of("rbind", "rro")));
            b.mount(Map.of("destination", "/w", "type", "bind", "source", tmp.resolve("src").toString(),
                    "options", List.of("rbind", "ro")));
            JrunCli.Result r = jrun.run("run", "--bundle", b.write().toString(), id());
            assertEquals(0, r.exit(), r.stderr());
            assertEquals("top-ro\nsub-ro\nw-rw\n", r.stdout());
        } finally {
            sh("umount " + src);
        }
    }

    @Test
    void featuresAdvertiseTheRecursiveOptions() throws Exception {
        JrunCli.Result r = jrun.run("features");
        assertEquals(0, r.exit(), r.stderr());
        for (String o : List.of("\"rro\"", "\"rnosuid\"", "\"rnodev\"", "\"rnoexec\"", "\"rnoatime\"", "\"idmap\"",
                "\"ridmap\"")) {
            assertTrue(r.stdout().contains(o), o + " in " + r.stdout());
        }
    }

    @Test
    void aBindSourceTheUserNamespaceCannotReachIsOpenedBeforeItIsEntered() throws Exception {
        Path priv = Files.createDirectories(tmp.resolve("private/data"));
        Files.setPosixFilePermissions(priv.getParent(), PosixFilePermissions.fromString("rwx------"));
        Files.writeString(priv.resolve("file"), "reached\n");
        TestBundle b = bundle().userNamespace(100000, 100000).sh("cat /data/file");
        b.mount(Map.of("destination", "/data", "type", "bind", "source", priv.toString(),
                "options", List.of("rbind", "ro")));
        JrunCli.Result r = jrun.run("run", "--bundle", b.write().toString(), id());
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("reached\n", r.stdout());
    }

    @Test
    void manyBindMountsIntoAUserNamespaceEachGetTheirOwnSource() throws Exception {
        TestBundle b = bundle().userNamespace(100000, 100000).sh("cat /b/*/f | sort -n | tr '\\n' ' '");
        StringBuilder want = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            Path d = Files.createDirectories(tmp.resolve("many/" + i));
            Files.writeString(d.resolve("f"), i + "\n");
            b.mount(Map.of("destination", "/b/" + i, "type", "bind", "source", d.toString(),
                    "options", List.of("rbind", "ro")));
            want.append(i).append(' ');
        }
        JrunCli.Result r = jrun.run("run", "--bundle", b.write().toString(), id());
        assertEquals(0, r.exit(), r.stderr());
        assertEquals(want.toString(), r.stdout());
    }

    @Test
    void noPivotLeavesNoFullProcForANewUserNamespace() throws Exception {
        // runc's own test of this (CVE class: mount_too_revealing): an unprivileged user namespace made in
        // the container may mount a fresh proc only where a full one is visible, as the host's is under
        // a --no-pivot root unless it is taken away
        TestBundle b = bundle().sh("unshare -mrpf sh -c 'mount -t proc none /proc && echo mounted-proc;"
                + " cat /proc/sys/kernel/ostype' 2>&1; echo done");
        // no CAP_SYS_ADMIN; CAP_SETFCAP only so that unshare -r may map uid 0 (Linux 5.12+ asks for it)
        b.capabilities("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETFCAP");
        JrunCli.Result r = jrun.run("run", "--no-pivot", "--bundle", b.write().toString(), id());
        assertEquals(0, r.exit(), r.stderr());
        assertFalse(r.stdout().contains("mounted-proc"), r.stdout());
        assertTrue(r.stdout().contains("mount: permission denied"), r.stdout()); // not refused for another reason
        assertTrue(r.stdout().endsWith("done\n"), r.stdout());
        // and with pivot_root the same is refused too
        JrunCli.Result pivot = jrun.run("run", "--bundle", b.dir().toString(), id());
        assertFalse(pivot.stdout().contains("mounted-proc"), pivot.stdout());
    }
}
