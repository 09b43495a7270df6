package io.jrun.junit;

import io.jrun.testing.ContainerException;
import java.lang.System.Logger.Level;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;

/**
 * The extension behind {@link JrunContainers}.  The containers of one scope start side by side
 * and are closed in every case; nothing is shared between test instances, so tests that run in
 * parallel each have their own.  A failed test (or a failed start) gets a {@link ContainerReport}
 * with the last output lines of the containers it used, also logged through System.Logger.
 */
public final class JrunExtension
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, TestExecutionExceptionHandler {
    private static final System.Logger LOG = System.getLogger(JrunExtension.class.getName());
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(JrunExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        List<Named> all = new ArrayList<>(fields(context.getRequiredTestClass(), true, null));
        if (perClass(context)) { // one test instance for all tests: its containers live as long
            all.addAll(fields(context.getRequiredTestClass(), false, context.getRequiredTestInstance()));
        }
        List<Named> started = startAll(all, context);
        context.getStore(NS).put("class", started);
    }

    private static boolean perClass(ExtensionContext context) {
        return context.getTestInstanceLifecycle().orElse(TestInstance.Lifecycle.PER_METHOD)
                == TestInstance.Lifecycle.PER_CLASS;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            closeAll(stored(context, "class"));
        } finally {
            for (Prepared p : preparedFor(context)) {
                p.engine.prepare(p.spec, 0); // the next test's containers: there is none
            }
        }
    }

    /** A spec prepared on an engine for the per-test fields of a class. */
    private record Prepared(io.jrun.testing.Engine engine, io.jrun.testing.ContainerSpec spec) {}

    /** The specs this class had prepared (one entry per test and field, not its container: discarding is idempotent). */
    @SuppressWarnings("unchecked")
    private static java.util.Queue<Prepared> preparedFor(ExtensionContext classContext) {
        return classContext.getStore(NS).getOrComputeIfAbsent("prepared",
                k -> new java.util.concurrent.ConcurrentLinkedQueue<Prepared>(), java.util.Queue.class);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (perClass(context)) {
            return; // started in beforeAll
        }
        Object instance = context.getRequiredTestInstance();
        List<Named> own = fields(context.getRequiredTestClass(), false, instance);
        int prepared = context.getTestClass().flatMap(c -> AnnotationSupport.findAnnotation(c, JrunContainers.class))
                .map(JrunContainers::prepared).orElse(1);
        ExtensionContext classContext = context.getParent().orElse(context);
        if (prepared > 0) {
            for (Named n : own) {
                preparedFor(classContext).add(new Prepared(n.container.engine(), n.container.spec()));
                n.container.engine().prepare(n.container.spec(), prepared); // this start takes one, or waits for it
            }
        }
        List<Named> started = startAll(own, context);
        for (Named n : prepared > 0 ? own : List.<Named>of()) {
            n.container.engine().prepare(n.container.spec(), prepared); // the next test's, while this one runs
        }
        context.getStore(NS).put("test", started);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        closeAll(stored(context, "test"));
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        List<Named> all = new ArrayList<>(stored(context, "test"));
        Optional<ExtensionContext> parent = context.getParent();
        while (parent.isPresent()) {
            all.addAll(stored(parent.get(), "class"));
            parent = parent.get().getParent();
        }
        if (!all.isEmpty()) {
            String report = report(all, lines(context));
            LOG.log(Level.WARNING, "test " + context.getDisplayName() + " failed; " + report);
            failure.addSuppressed(new ContainerReport(report));
            context.publishReportEntry("jrun.containers", report);
        }
        throw failure;
    }

    private static int lines(ExtensionContext context) {
        return context.getTestClass().flatMap(c -> AnnotationSupport.findAnnotation(c, JrunContainers.class))
                .map(JrunContainers::reportLines).orElse(50);
    }

    static String report(List<Named> containers, int lines) {
        StringBuilder sb = new StringBuilder("containers of the test:");
        for (Named n : containers) {
            io.jrun.testing.Container c = n.container;
            sb.append("\n").append(n.name).append(" (").append(c.id()).append(", ")
                    .append(c.isRunning() ? "running" : "ended with status " + c.exitCode().orElse(-1)).append(")")
                    .append(c.output().tail(lines));
        }
        return sb.toString();
    }

    @SuppressWarnings("unchecked")
    private static List<Named> stored(ExtensionContext context, String key) {
        List<Named> l = context.getStore(NS).get(key, List.class);
        return l == null ? List.of() : l;
    }

    /** A field's container and the field's name. */
    record Named(String name, io.jrun.testing.Container container) {}

    private static List<Named> fields(Class<?> testClass, boolean statics, Object instance) {
        List<Named> found = new ArrayList<>();
        for (Field f : AnnotationSupport.findAnnotatedFields(testClass, Container.class, field ->
                Modifier.isStatic(field.getModifiers()) == statics, HierarchyTraversalMode.TOP_DOWN)) {
            if (!io.jrun.testing.Container.class.isAssignableFrom(f.getType())) {
                throw new ExtensionConfigurationException("@Container field " + f.getName() + " of "
                        + testClass.getName() + ": its type must be io.jrun.testing.Container, not "
                        + f.getType().getName());
            }
            try {
                f.setAccessible(true);
                Object v = f.get(statics ? null : instance);
                if (v == null) {
                    throw new ExtensionConfigurationException("@Container field " + f.getName() + " of "
                            + testClass.getName() + " is null: give it ContainerSpec...container()");
                }
                found.add(new Named(f.getName(), (io.jrun.testing.Container) v));
            } catch (IllegalAccessException e) {
                throw new ExtensionConfigurationException("@Container field " + f.getName() + ": " + e.getMessage(), e);
            }
        }
        return found;
    }

    /** Starts them side by side; if one fails, closes the others and reports its output. */
    private static List<Named> startAll(List<Named> containers, ExtensionContext context) {
        List<CompletableFuture<Void>> starts = new ArrayList<>();
        for (Named n : containers) {
            starts.add(CompletableFuture.runAsync(() -> n.container.start()));
        }
        RuntimeException first = null;
        for (CompletableFuture<Void> s : starts) {
            try {
                s.join();
            } catch (CompletionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException r ? r
                        : new ContainerException(String.valueOf(e.getCause()), e.getCause());
                if (first == null) {
                    first = cause;
                } else {
                    first.addSuppressed(cause);
                }
            }
        }
        if (first != null) {
            closeAll(containers);
            throw first;
        }
        return containers;
    }

    private static void closeAll(List<Named> containers) {
        List<CompletableFuture<Void>> closes = new ArrayList<>();
        for (Named n : containers) {
            closes.add(CompletableFuture.runAsync(() -> n.container.close()));
        }
        RuntimeException first = null;
        for (CompletableFuture<Void> c : closes) {
            try {
                c.join();
            } catch (CompletionException e) {
                if (first == null) {
                    first = e.getCause() instanceof RuntimeException r ? r : e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
