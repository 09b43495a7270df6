package io.jrun.testing;

import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Containers created ahead for the specs an engine was asked to prepare ({@link
 * Engine#prepare(ContainerSpec, int)}): each on its own copy-on-write layer, in its own cgroups
 * and namespaces, its mounts made, its init waiting before the user program as after {@code
 * create}, its stdout and stderr piped (nothing is written to them before the start).  A start
 * of an equal spec (same {@link ContainerSpec#preparationKey()}) takes one and only starts it.
 *
 * <p>One preparation per spec runs at a time, on the engine's threads; the next begins when a
 * container of the spec has ended (and its clean-up is done), so a preparation competes neither
 * with a start nor with the run of a short container (on 2 cpus it would), or when {@link
 * #prepare} is called again.  A preparation that fails stops those of its spec (their starts
 * create containers as unprepared ones do, which reports the failure where it belongs); {@link
 * Engine#prepare(ContainerSpec, int)} with another count tries anew.
 */
final class PreparedContainers {
    private static final System.Logger LOG = System.getLogger(PreparedContainers.class.getName());

    /** A container created for a spec, not started: its id, its directory and the runtime's container. */
    record Prepared(String id, java.nio.file.Path dir, io.jrun.runtime.Container runtime) {
        void discard() {
            Container.closeQuietly(runtime);
            Engine.removeContainerDir(dir);
        }
    }

    private final Engine engine;
    private final Map<ContainerSpec.PreparationKey, Slot> slots = new ConcurrentHashMap<>();

    PreparedContainers(Engine engine) {
        this.engine = engine;
    }

    /** Keeps {@code n} containers of {@code spec} created ahead; 0 discards those of its key. */
    void prepare(ContainerSpec spec, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("prepare " + spec + ": " + n + " containers");
        }
        ContainerSpec.PreparationKey key = spec.preparationKey();
        if (key == null) {
            LOG.log(Level.DEBUG, "{0} cannot be prepared (stdin, inherited stdio or a joined network): its"
                    + " containers start unprepared", spec);
            return;
        }
        if (n == 0) {
            Slot s = slots.remove(key);
            if (s != null) {
                s.close();
            }
            return;
        }
        Slot s = slots.computeIfAbsent(key, k -> new Slot(spec));
        s.resize(n);
    }

    /** A prepared container of a spec equal to {@code spec}, waiting for one under way; null when there is none. */
    Prepared take(ContainerSpec spec) {
        if (slots.isEmpty()) {
            return null; // no key to make on each start of an engine that prepares nothing
        }
        ContainerSpec.PreparationKey key = spec.preparationKey();
        Slot s = key == null ? null : slots.get(key);
        return s == null ? null : s.take();
    }

    /** A container of {@code spec} has ended: the time to prepare what replaces the one it took. */
    void ended(ContainerSpec spec) {
        if (slots.isEmpty()) {
            return;
        }
        ContainerSpec.PreparationKey key = spec.preparationKey();
        Slot s = key == null ? null : slots.get(key);
        if (s != null) {
            s.fill();
        }
    }

    /** How many are ready for {@code spec} (for tests and benchmarks). */
    int ready(ContainerSpec spec) {
        ContainerSpec.PreparationKey key = spec.preparationKey();
        Slot s = key == null ? null : slots.get(key);
        return s == null ? 0 : s.readyCount();
    }

    /** Discards every prepared container, waiting for those under way; the engine stays usable. */
    void closeAll() {
        for (ContainerSpec.PreparationKey k : List.copyOf(slots.keySet())) {
            Slot s = slots.remove(k);
            if (s != null) {
                s.close();
            }
        }
    }

    /** The prepared containers of one key. */
    private final class Slot {
        private final ContainerSpec spec;
        private final ArrayDeque<Prepared> ready = new ArrayDeque<>();
        private int size;
        private boolean inFlight;
        private boolean failed;
        private boolean closed;

        Slot(ContainerSpec spec) {
            this.spec = spec;
        }

        void resize(int n) {
            List<Prepared> excess = new ArrayList<>();
            synchronized (this) {
                if (n != size) {
                    failed = false; // asked anew: try again
                }
                size = n;
                while (ready.size() > n) {
                    excess.add(ready.pollLast());
                }
            }
            excess.forEach(Prepared::discard);
            fill();
        }

        synchronized int readyCount() {
            return ready.size();
        }

        synchronized Prepared take() {
            while (ready.isEmpty() && inFlight) {
                try {
                    wait(); // the one under way is nearer than a container created from nothing
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
            return ready.poll();
        }

        /** Starts the next preparation unless one is under way or enough are ready. */
        void fill() {
            synchronized (this) {
                if (closed || failed || inFlight || ready.size() >= size) {
                    return;
                }
                inFlight = true;
            }
            try {
                engine.threads().submit(this::prepareOne);
            } catch (RuntimeException e) {
                synchronized (this) {
                    inFlight = false;
                    notifyAll();
                }
                throw e;
            }
        }

        private void prepareOne() {
            Prepared p = null;
            RuntimeException failure = null;
            try {
                p = Container.prepare(engine, spec);
            } catch (RuntimeException e) {
                failure = e;
            }
            boolean kept;
            synchronized (this) {
                kept = p != null && !closed;
                if (kept) {
                    ready.add(p);
                    notifyAll();
                }
            }
            if (p != null && !kept) {
                p.discard(); // closed meanwhile: before inFlight clears, so close() returns with nothing left
            }
            synchronized (this) {
                inFlight = false;
                if (failure != null) {
                    failed = true;
                }
                notifyAll();
            }
            if (failure != null) {
                LOG.log(Level.WARNING, "prepare a container of " + spec + ": " + failure.getMessage()
                        + "; its containers start unprepared");
            } else if (kept) {
                fill(); // up to the size, one at a time
            }
        }

        void close() {
            List<Prepared> left;
            synchronized (this) {
                closed = true;
                while (inFlight) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                left = new ArrayList<>(ready);
                ready.clear();
            }
            left.forEach(Prepared::discard);
        }
    }
}
