package io.jrun.runtime.plancache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the launcher reads an exec's arguments (plancache_exec.c parses them the same way; ExecCacheIT runs both). */
class ExecPlanCacheTest {
    @Test
    void theIdIsTheFirstArgumentThatIsNoFlag() {
        ExecPlanCache.Shape s = ExecPlanCache.shape(List.of("--env", "A=1", "-e=B=2", "--cwd", "/tmp", "c1", "sh", "-c",
                "echo -d"));
        assertEquals(5, s.idIndex());
        assertEquals(false, s.detach());
        assertEquals(List.of("--env", "A=1", "-e=B=2", "--cwd", "/tmp", "sh", "-c", "echo -d"), s.masked());
    }

    @Test
    void wherePidAndProcessFilesAreIsNoInput() {
        ExecPlanCache.Shape s = ExecPlanCache.shape(List.of("-d", "--pid-file", "/a/1.pid", "--process=/b/p.json", "c1"));
        assertEquals(4, s.idIndex());
        assertEquals(true, s.detach());
        assertEquals("/a/1.pid", s.pidFile());
        assertEquals("/b/p.json", s.process());
        assertEquals(List.of("-d", "--pid-file", "", "--process="), s.masked());
        ExecPlanCache.Shape other = ExecPlanCache.shape(List.of("-d", "--pid-file", "/x.pid", "--process=/y", "c2"));
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        assertEquals(ExecPlanCache.key(s.masked(), 4, config), ExecPlanCache.key(other.masked(), 4, config));
        assertNotEquals(ExecPlanCache.key(s.masked(), 4, config),
                ExecPlanCache.key(s.masked(), 4, "{ }".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aBooleanTakesTrueOrFalseAfterAnEqualsSign() {
        assertEquals(false, ExecPlanCache.shape(List.of("--detach=false", "c1", "true")).detach());
        assertEquals(true, ExecPlanCache.shape(List.of("-detach=1", "c1", "true")).detach());
    }

    @Test
    void whatTheLauncherLeavesToTheJvm() {
        assertNull(ExecPlanCache.shape(List.of("--tty", "c1", "sh")));
        assertNull(ExecPlanCache.shape(List.of("--console-socket", "/s", "c1", "sh")));
        assertNull(ExecPlanCache.shape(List.of("--preserve-fds", "1", "c1", "sh")));
        assertNull(ExecPlanCache.shape(List.of("--cgroup", "x", "c1", "sh")));
        assertNull(ExecPlanCache.shape(List.of("--", "c1", "sh")));
        assertNull(ExecPlanCache.shape(List.of("-", "c1")));
        assertNull(ExecPlanCache.shape(List.of("--env")));
        assertNull(ExecPlanCache.shape(List.of("--env", "A=1")));
    }

    @Test
    void theStandInsAreFilledInEveryString() {
        assertEquals("/proc/42/ns/net /sys/fs/cgroup/pids/jrun/c1/cgroup.procs",
                ExecPlanCache.fill("/proc/1999999999/ns/net " + ExecPlanCache.cgDir(0) + "/cgroup.procs", 42,
                        List.of("/sys/fs/cgroup/pids/jrun/c1")));
        assertEquals("echo 1999999999", ExecPlanCache.fill("echo 1999999999", 42, List.of()));
    }
}
