package io.jrun.testing;

import io.jrun.image.ImageException;
import io.jrun.image.Images;
import io.jrun.image.bundle.BundleMaker;
import io.jrun.image.bundle.BundleOptions;
import io.jrun.image.store.ContentStore;
import io.jrun.image.store.StoredImage;
import io.jrun.image.unpack.UnpackOptions;
import io.jrun.runtime.Jrun;
import io.jrun.runtime.JrunException;
import io.jrun.runtime.proc.ProcFs;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where this JVM's containers live: a state root for the runtime, unpacked images (each once per
 * store), and one directory per container (its copy-on-write layer, its config, its owner).
 * Containers still open when the JVM exits are closed by a shutdown hook; a JVM killed outright
 * leaves its containers to the monitor, which kills them, and the rest (cgroups, state,
 * overlays) to {@link #reapStale()}, which the next engine on the same root runs first.
 *
 * <p>Layout under the root: {@code state/} (the runtime's), {@code images/SHA256/} (a bundle per
 * image), {@code c/ID/} ({@code owner}, {@code bundle/config.json}, {@code upper/}, {@code work/},
 * {@code rootfs/}, the overlay's mount point).
 */
public final class Engine {
    /** {@code -Djrun.testing.root}: where containers live (default {@code /run/jrun-testing}). */
    public static final Path DEFAULT_ROOT = Path.of(System.getProperty("jrun.testing.root", "/run/jrun-testing"));
    /** {@code -Djrun.testing.images}: the image store (default jrun's, {@code /var/lib/jrun}). */
    public static final Path DEFAULT_IMAGES = Path.of(System.getProperty("jrun.testing.images",
            ContentStore.DEFAULT_ROOT.toString()));

    private static final System.Logger LOG = System.getLogger(Engine.class.getName());
    private static final Map<Path, Engine> ENGINES = new ConcurrentHashMap<>();
    private static final AtomicLong SEQ = new AtomicLong();
    private static final String OWNER = ownerLine();

    static {
        // the runtime's warnings (an OOM kill, a cgroup left, a failed poststop hook) go to the log, not to stderr
        io.jrun.runtime.Warnings.sendTo(line -> LOG.log(Level.WARNING, line));
    }

    private final Path root;
    private final Path imageStore;
    private volatile Jrun jrun;
    private MonitorPool pool;
    private final Map<String, Path> unpacked = new ConcurrentHashMap<>();
    private final Set<Container> open = ConcurrentHashMap.newKeySet();
    private final ExecutorService threads;
    private final PreparedContainers prepared = new PreparedContainers(this);
    private volatile Images images;

    private Engine(Path root, Path imageStore) {
        this.root = root;
        this.imageStore = imageStore;
        this.jrun = Jrun.withStateRoot(root.resolve("state"));
        this.threads = Executors.newCachedThreadPool(new ThreadFactory() {
            private final AtomicLong n = new AtomicLong();

            @Override
            public Thread newThread(Runnable r) {
                Thread t = new Thread(r, "jrun-testing-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            }
        });
    }

    /** The engine on {@link #DEFAULT_ROOT} with the image store {@link #DEFAULT_IMAGES}. */
    public static Engine shared() {
        return at(DEFAULT_ROOT, DEFAULT_IMAGES);
    }

    /**
     * The engine of this JVM on {@code root} (one per root): the first call cleans what crashed
     * JVMs left there ({@link #reapStale()}) and registers the shutdown hook.
     */
    public static Engine at(Path root, Path imageStore) {
        Path r = root.toAbsolutePath().normalize();
        return ENGINES.computeIfAbsent(r, k -> {
            Engine e = new Engine(k, imageStore.toAbsolutePath().normalize());
            try {
                Files.createDirectories(k.resolve("c"));
                Files.setAttribute(k, "unix:mode", 0700);
            } catch (IOException ex) {
                throw new ContainerException("create " + k + ": " + ex.getMessage());
            }
            e.reapStale();
            Runtime.getRuntime().addShutdownHook(new Thread(e::closeAll, "jrun-testing-shutdown"));
            return e;
        });
    }

    public Path root() {
        return root;
    }

    /** The runtime underneath, for what this API does not cover (its ids are {@link Container#id()}). */
    public Jrun jrun() {
        return jrun;
    }

    /**
     * Keeps {@code n} stage monitors spawned ahead (idle, connected, with piped stdio), so a
     * start or exec does not wait for one; 0 ends the idle ones.  They are child processes of
     * this JVM until used.
     */
    public synchronized Engine prepareMonitors(int n) {
        if (pool != null) {
            pool.close();
            pool = null;
        }
        Jrun plain = Jrun.withStateRoot(root.resolve("state"));
        if (n > 0) {
            try {
                Path stage = io.jrun.nativebind.StageBinary.installedIn(plain.stateRoot().resolve(".stage"));
                pool = new MonitorPool(stage, root.resolve("pool"), n, threads);
            } catch (IOException e) {
                throw new ContainerException("install the stage in " + plain.stateRoot().resolve(".stage") + ": "
                        + e.getMessage());
            }
            jrun = plain.withStageSource(pool);
        } else {
            jrun = plain;
        }
        return this;
    }

    /**
     * Keeps {@code n} containers of {@code spec} created ahead, so that {@link Container#start()}
     * of an equal spec (same source, process, mounts, limits and network; its consumers, files,
     * wait and name may differ) only starts one: each on its own fresh copy-on-write layer, in
     * its own cgroups and namespaces with its mounts made, its init waiting before the program as
     * after {@code jrun create}; the output is read from the start as for any container.  They
     * are made one at a time in the background, the next once a container of the spec has ended
     * (so the preparation competes neither with a start nor with a short container's run; called
     * again, this prepares what is missing at once, as the JUnit extension does after a test's
     * start); a start that finds none ready waits for the one under way, or creates its container
     * itself when none is.  0 discards them.  A spec with stdin, inherited stdio or a
     * joined network cannot be prepared: its containers start as before.  What is prepared
     * reflects the source as it was then (a bundle's config.json read, an image unpacked).
     * Prepared containers are removed by {@link #close()}, at exit by the shutdown hook, and,
     * when the JVM is killed, by their monitors (which kill them) and {@link #reapStale()}.
     */
    public Engine prepare(ContainerSpec spec, int n) {
        prepared.prepare(spec, n);
        return this;
    }

    /** How many containers prepared for {@code spec} are ready now. */
    public int preparedCount(ContainerSpec spec) {
        return prepared.ready(spec);
    }

    /**
     * Closes every container of this engine, discards its prepared containers (waiting for those
     * under way) and ends its idle monitors; the engine stays usable (as {@link #shared()}).
     */
    public void close() {
        closeAll();
        synchronized (this) {
            if (pool != null) {
                prepareMonitors(0);
            }
        }
    }

    /** The containers of this engine that are started and not closed. */
    public List<Container> openContainers() {
        return List.copyOf(open);
    }

    /**
     * Removes what containers of JVMs that no longer run left here: kills what may still run,
     * removes their cgroups and state, unmounts their overlays and deletes their directories.
     * Returns how many it cleaned.
     */
    public int reapStale() {
        int n = 0;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root.resolve("c"))) {
            for (Path dir : dirs) {
                String owner;
                try {
                    owner = Files.readString(dir.resolve("owner")).trim();
                } catch (IOException e) {
                    owner = ""; // a directory whose owner was killed before writing: stale too
                }
                if (owner.equals(OWNER) || ownerAlive(owner) || owner.isEmpty() && young(dir)) {
                    continue; // an owner-less directory may be another JVM's, being made
                }
                String id = dir.getFileName().toString();
                LOG.log(Level.INFO, "removing container {0} left by a JVM that ended ({1})", id, owner);
                try {
                    jrun.delete(id, true);
                } catch (JrunException e) {
                    LOG.log(Level.WARNING, "reap " + id + ": " + e.getMessage());
                }
                removeContainerDir(dir);
                n++;
            }
        } catch (IOException e) {
            throw new ContainerException("reap stale containers in " + root.resolve("c") + ": " + e.getMessage());
        }
        return n;
    }

    private static boolean young(Path dir) {
        try {
            return Files.getLastModifiedTime(dir).toMillis() > System.currentTimeMillis() - 60_000;
        } catch (IOException e) {
            return false; // gone meanwhile: nothing to reap
        }
    }

    private static boolean ownerAlive(String owner) {
        String[] f = owner.split(" ");
        if (f.length != 2) {
            return false;
        }
        try {
            return ProcFs.alive(Long.parseLong(f[0]), Long.parseLong(f[1]));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static String ownerLine() {
        long pid = ProcessHandle.current().pid();
        return pid + " " + ProcFs.startTime(pid);
    }

    void closeAll() {
        prepared.closeAll();
        synchronized (this) {
            if (pool != null) {
                pool.close();
            }
        }
        for (Container c : List.copyOf(open)) {
            try {
                c.close();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "close " + c.id() + " at exit: " + e.getMessage());
            }
        }
    }

    /** A container or exec ended and was cleaned up: the time to spawn the monitors that replace those it took. */
    void exited() {
        MonitorPool p;
        synchronized (this) {
            p = pool;
        }
        if (p != null) {
            p.refill();
        }
    }

    PreparedContainers.Prepared takePrepared(ContainerSpec spec) {
        return prepared.take(spec);
    }

    void ended(ContainerSpec spec) {
        prepared.ended(spec);
    }

    void opened(Container c) {
        open.add(c);
    }

    void closed(Container c) {
        open.remove(c);
    }

    ExecutorService threads() {
        return threads;
    }

    /** A fresh id, unique on this host: the JVM's pid, a counter, the clock. */
    static String newId() {
        return "jt-" + Long.toHexString(ProcessHandle.current().pid()) + "-" + SEQ.incrementAndGet() + "-"
                + Long.toHexString(System.nanoTime() & 0xffffff);
    }

    /** Makes the container's directory, owned by this JVM. */
    Path containerDir(String id) {
        Path dir = root.resolve("c").resolve(id);
        try {
            Files.createDirectory(dir);
            Files.writeString(dir.resolve("owner"), OWNER);
            return dir;
        } catch (IOException e) {
            throw new ContainerException("create " + dir + ": " + e.getMessage());
        }
    }

    /** Unmounts the overlay (if mounted) and deletes the directory; errors are logged. */
    static void removeContainerDir(Path dir) {
        Path rootfs = dir.resolve("rootfs");
        try {
            if (Files.isDirectory(rootfs, LinkOption.NOFOLLOW_LINKS)) {
                while (Native.unmount(rootfs.toString())) {
                    // stacked mounts: until none is left
                }
            }
            deleteTree(dir);
        } catch (RuntimeException | IOException e) {
            LOG.log(Level.WARNING, "remove " + dir + ": " + e.getMessage());
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            io.jrun.image.unpack.Unpacker.deleteTree(dir); // the image module's: no symlink followed, none listed in memory
        }
    }

    /**
     * The bundle of an image (its rootfs and config.json), pulled into the store and unpacked once:
     * again in this JVM it is the same directory, in another JVM on the same root too.
     */
    Path unpackedImage(String reference) {
        Path known = unpacked.get(reference);
        if (known != null) {
            return known;
        }
        synchronized (unpacked) { // one pull and one unpack at a time: the store serializes them anyway
            known = unpacked.get(reference);
            if (known != null) {
                return known;
            }
            try {
                Images im = images();
                StoredImage image = im.pull(reference, null);
                Path bundle = root.resolve("images").resolve(image.digest().replace("sha256:", ""));
                if (!Files.isRegularFile(bundle.resolve("config.json"))) {
                    Files.createDirectories(bundle.getParent());
                    try {
                        BundleMaker.make(im.store(), image, bundle, BundleOptions.NONE, UnpackOptions.defaults());
                    } catch (ImageException e) {
                        if (!Files.isRegularFile(bundle.resolve("config.json"))) { // not another JVM's, meanwhile
                            throw e;
                        }
                    }
                }
                unpacked.put(reference, bundle);
                return bundle;
            } catch (ImageException e) {
                throw new ContainerException(e.getMessage(), e);
            } catch (IOException e) {
                throw new ContainerException("unpack " + reference + " into " + root.resolve("images") + ": "
                        + e.getMessage(), e);
            }
        }
    }

    private Images images() throws ImageException {
        if (images == null) {
            images = Images.open(imageStore);
        }
        return images;
    }
}
