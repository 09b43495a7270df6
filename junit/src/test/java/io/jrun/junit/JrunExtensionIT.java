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
