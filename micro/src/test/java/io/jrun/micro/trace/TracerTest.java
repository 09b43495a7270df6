package io.jrun.micro.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The traced container's config: notify on the path calls, the host's directories bound read-only, /tmp its own. */
class TracerTest {
    /** Records end at NUL, so a newline is part of a path; a non-UTF-8 path is left out, not misread. */
    @Test
    void traceRecordsEndAtNul() {
        byte[] trace = ("openat\t/etc/passwd\0execve\t/bin/a\nb\0openat\t/x\u00e9\0openat\t/etc/passwd\0")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] bad = {'s', 't', 'a', 't', '\t', '/', (byte) 0xff, 0, 'o', '\t', '/', 'y', 0};
        assertEquals(List.of("/etc/passwd", "/bin/a\nb", "/x\u00e9"), List.copyOf(Tracer.touchedPaths(trace)));
        assertEquals(List.of("/y"), List.copyOf(Tracer.touchedPaths(bad)));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theConfigNotifiesThePathCallsAndBindsTheHostsDirectories() {
        Map<String, Object> spec = Tracer.config(Path.of("/w/view"), List.of("/usr", "/etc"), "python3 -V",
                List.of("PATH=/usr/bin"), 1000, 1000, "/srv", Path.of("/w/agent.sock"));
        Map<String, Object> process = (Map<String, Object>) spec.get("process");
        assertEquals(List.of("/bin/sh", "-c", "python3 -V"), process.get("args"));
        assertEquals("/srv", process.get("cwd"));
        assertEquals(1000L, ((Map<String, Object>) process.get("user")).get("uid"));
        assertEquals(Map.of("path", "/w/view", "readonly", true), spec.get("root"));
        List<Map<String, Object>> mounts = (List<Map<String, Object>>) spec.get("mounts");
        assertEquals(Map.of("destination", "/usr", "type", "bind", "source", "/usr", "options", List.of("rbind", "ro", "rro")),
                mounts.get(0));
        assertEquals("/tmp", mounts.get(mounts.size() - 1).get("destination"));
        Map<String, Object> seccomp = (Map<String, Object>) ((Map<String, Object>) spec.get("linux")).get("seccomp");
        assertEquals("SCMP_ACT_ALLOW", seccomp.get("defaultAction"));
        assertEquals("/w/agent.sock", seccomp.get("listenerPath"));
        Map<String, Object> rule = ((List<Map<String, Object>>) seccomp.get("syscalls")).get(0);
        assertEquals("SCMP_ACT_NOTIFY", rule.get("action"));
        List<String> names = (List<String>) rule.get("names");
        for (String n : List.of("openat", "execve", "newfstatat", "statx", "faccessat2", "readlinkat")) {
            assertTrue(names.contains(n), n + " is not traced: " + names);
        }
        assertTrue(!names.contains("write"), "jrun refuses notify on write");
    }

    @Test
    void theSameOutcomeIsTheExitStatusAndStdout() {
        Tracer.Result a = new Tracer.Result(0, "hi\n", "log at 10:00\n", Set.of("/a"));
        assertTrue(a.sameOutcome(new Tracer.Result(0, "hi\n", "log at 10:01\n", Set.of("/b"))));
        assertTrue(!a.sameOutcome(new Tracer.Result(1, "hi\n", "", Set.of())));
        assertTrue(!a.sameOutcome(new Tracer.Result(0, "hi", "", Set.of())));
    }
}
