package io.jrun.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.jrun.runtime.testing.HostLeakCheck;
import io.jrun.runtime.testing.RootTests;
import io.jrun.testing.BusyboxImage;
import io.jrun.testing.ContainerSpec;
import io.jrun.testing.Engine;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * The extension as JUnit runs it: test classes (nested here, run through the testkit so their
 * failures are data) with static and instance containers, in parallel, failing.
 */
@ExtendWith({RootTests.class, HostLeakCheck.class})
class JrunExtensionIT {
    static final Set<String> SHARED_IDS = ConcurrentHashMap.newKeySet();
    static final Set<String> OWN_IDS = ConcurrentHashMap.newKeySet();
    static final Set<Thread> THREADS = ConcurrentHashMap.newKeySet();

    static ContainerSpec sleeper() {
        return ContainerSpec.fromRootfs(BusyboxImage.rootfs()).withCommand("sleep", "1000");
    }

    private static Events run(Class<?> c) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(c))
                .configurationParameter("junit.jupiter.execution.parallel.enabled", "true")
                .configurationParameter("junit.jupiter.execution.parallel.config.strategy", "fixed")
                .configurationParameter("junit.jupiter.execution.parallel.config.fixed.parallelism", "4")
                .execute().testEvents();
    }

    @JrunContainers
    @Execution(ExecutionMode.CONCURRENT)
    static class PerClassAndPerTest {
        @Container
        static final io.jrun.testing.Container shared = sleeper().container();

        @Container
        final io.jrun.testing.Container own = sleeper().withCommand("sh", "-c", "echo mine; sleep 1000").container();

        void check() throws Exception {
            assertTrue(shared.isRunning() && own.isRunning());
            SHARED_IDS.add(shared.id());
            OWN_IDS.add(own.id());
            THREADS.add(Thread.currentThread());
            own.exec("touch", "/only-here");
            Thread.sleep(300); // the others run meanwhile
            assertEquals(0, own.exec("test", "-f", "/only-here").exitCode());
            assertEquals(1, own.exec("test", "-f", "/only-there").exitCode());
            assertEquals(0, shared.exec("true").exitCode());
        }

        @Test
        void one() throws Exception {
            check();
        }

        @Test
        void two() throws Exception {
            check();
        }

        @Test
        void three() throws Exception {
            check();
        }

        @Test
        void four() throws Exception {
            check();
        }
    }

    @Test
    void staticFieldsLiveForTheClassInstanceFieldsForEachTestAndTestsRunInParallel() {
        SHARED_IDS.clear();
        OWN_IDS.clear();
        THREADS.clear();
        Events events = run(PerClassAndPerTest.class);
        assertEquals(List.of(), events.failed().stream()
                .map(e -> e.getPayload(org.junit.platform.engine.TestExecutionResult.class)
                        .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable)
                        .map(Throwable::toString).orElse("?")).toList());
        assertEquals(4, events.succeeded().count());
        assertEquals(1, SHARED_IDS.size());
        assertEquals(4, OWN_IDS.size());
        assertTrue(THREADS.size() > 1, "the tests ran one after the other");
        assertEquals(List.of(), Engine.shared().openContainers());
    }

    @JrunContainers
    @org.junit.jupiter.api.TestInstance(org.junit.jupiter.api.TestInstance.Lifecycle.PER_CLASS)
    static class PerClassInstance {
        @Container
        final io.jrun.testing.Container own = sleeper().container();

        @Test
        void one() {
            OWN_IDS.add(own.id());
        }

        @Test
        void two() {
            OWN_IDS.add(own.id());
        }
    }

    @Test
    void aPerClassTestInstanceKeepsItsContainersForAllItsTests() {
        OWN_IDS.clear();
        Events events = run(PerClassInstance.class);
        assertEquals(2, events.succeeded().count());
        assertEquals(1, OWN_IDS.size());
        assertEquals(List.of(), Engine.shared().openContainers());
    }

    static final List<String> PREPARED_SEEN = new java.util.concurrent.CopyOnWriteArrayList<>();

    @JrunContainers
    @org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.MethodName.class)
    static class PerTestPrepared {
        @Container
        final io.jrun.testing.Container own = sleeper().withHostname("prepared").container();

        /** The container made ahead while this test runs: the next test's. */
        private String next() throws Exception {
            java.nio.file.Path dirs = own.engine().root().resolve("c");
            for (int i = 0; i < 3000 && own.engine().preparedCount(own.spec()) < 1; i++) {
                Thread.sleep(10);
            }
            try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.list(dirs)) {
                List<String> others = s.map(p -> p.getFileName().toString()).filter(n -> !n.equals(own.id())).toList();
                assertEquals(1, others.size(), "one prepared container beside this test's: " + others);
                return others.get(0);
            }
        }

        private void check() throws Exception {
            PREPARED_SEEN.add(own.id());
            assertEquals(1, own.exec("test", "-e", "/written-by-a-test").exitCode(), "a previous test's file");
            own.exec("touch", "/written-by-a-test");
            assertEquals("prepared\n", own.exec("hostname").stdout());
            PREPARED_SEEN.add(next());
        }

        @Test
        void a() throws Exception {
            check();
        }

        @Test
        void b() throws Exception {
            check();
        }

        @Test
        void c() throws Exception {
            check();
        }
    }

    @Test
    void perTestContainersArePreparedWhileTheTestBeforeRuns() throws Exception {
        PREPARED_SEEN.clear();
        Events events = EngineTestKit.engine("junit-jupiter").selectors(selectClass(PerTestPrepared.class)).execute()
                .testEvents();
        assertEquals(List.of(), events.failed().stream()
                .map(e -> e.getPayload(org.junit.platform.engine.TestExecutionResult.class)
                        .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable)
                        .map(Throwable::toString).orElse("?")).toList());
        assertEquals(3, events.succeeded().count());
        // per test: its own id, then the id prepared meanwhile, which the next test's container has
        assertEquals(6, PREPARED_SEEN.size());
        assertEquals(PREPARED_SEEN.get(1), PREPARED_SEEN.get(2));
        assertEquals(PREPARED_SEEN.get(3), PREPARED_SEEN.get(4));
        assertEquals(4, Set.copyOf(PREPARED_SEEN).size()); // a, b (prepared during a), c (during b), the one left
        assertEquals(List.of(), Engine.shared().openContainers());
        assertEquals(0, Engine.shared().preparedCount(sleeper().withHostname("prepared")), "left after the class");
        try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.list(Engine.shared().root().resolve("c"))) {
            assertEquals(List.of(), s.toList());
        }
    }

    @JrunContainers(reportLines = 2)
    static class Failing {
        @Container
        final io.jrun.testing.Container chatty = sleeper()
                .withCommand("sh", "-c", "echo line 1; echo line 2; echo the last words; sleep 1000").container();

        @Test
        void fails() throws Exception {
            io.jrun.testing.Wait.forLogLine("last words").waitUntilReady(chatty, java.time.Duration.ofSeconds(30));
            assertEquals("expected", "actual");
        }
    }

    @Test
    void aFailedTestReportsTheLastLinesOfItsContainers() {
        Events events = run(Failing.class);
        assertEquals(1, events.failed().count());
        Throwable t = events.failed().list().get(0).getPayload(org.junit.platform.engine.TestExecutionResult.class)
                .orElseThrow().getThrowable().orElseThrow();
        ContainerReport report = (ContainerReport) Arrays.stream(t.getSuppressed())
                .filter(s -> s instanceof ContainerReport).findFirst().orElseThrow(() -> new AssertionError(t));
        String m = report.getMessage();
        assertTrue(m.startsWith("containers of the test:\nchatty (jt-") && m.contains(", running); last 2 lines of output:\n")
                && m.contains("  | the last words") && !m.contains("line 1"), m);
        assertEquals(List.of(), Engine.shared().openContainers());
    }

    @JrunContainers
    static class BadStart {
        @Container
        final io.jrun.testing.Container broken = sleeper().withCommand("frobnicate").container();

        @Test
        void never() {
            throw new AssertionError("ran without its container");
        }
    }

    @Test
    void aContainerThatCannotStartFailsTheTestWithOneLine() {
        Events events = run(BadStart.class);
        assertEquals(1, events.failed().count());
        Throwable t = events.failed().list().get(0).getPayload(org.junit.platform.engine.TestExecutionResult.class)
                .orElseThrow().getThrowable().orElseThrow();
        assertTrue(t.getMessage().contains("frobnicate") && t.getMessage().lines().count() == 1, t.getMessage());
        assertEquals(List.of(), Engine.shared().openContainers());
    }
}
