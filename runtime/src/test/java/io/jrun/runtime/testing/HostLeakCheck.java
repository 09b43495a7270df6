package io.jrun.runtime.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * After each test: no mount, cgroup or process is left that was not there before it.
 * Mounts are those of the test's (private) mount namespace; cgroups are the directories
 * of every hierarchy under /sys/fs/cgroup; processes are this JVM's descendants.
 */
public final class HostLeakCheck implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(HostLeakCheck.class);

    /**
     * The development machines put every shell job in a cgroup of its own (process_api/HASH), made and
     * removed as other people's jobs come and go; the containers of a test may nest below it.
     */
    private static final Pattern SANDBOX_JOB = Pattern.compile("/process_api/[0-9a-f]{32}$");

    record Snapshot(Set<String> mounts, Set<String> cgroups) {}

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NS).put("before", snapshot());
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        Snapshot before = context.getStore(NS).get("before", Snapshot.class);
        List<ProcessHandle> left = ProcessHandle.current().descendants().collect(Collectors.toList());
        for (int i = 0; i < 50 && !left.isEmpty(); i++) { // a monitor may still be exiting
            Thread.sleep(20);
            left = ProcessHandle.current().descendants().collect(Collectors.toList());
        }
        assertEquals(List.of(), left.stream().map(p -> p.pid() + " " + p.info().commandLine().orElse("?"))
                .collect(Collectors.toList()), "processes left behind");
        Snapshot after = snapshot();
        assertEquals(before.mounts(), after.mounts(), "mounts left behind");
        assertEquals(before.cgroups(), after.cgroups(), "cgroups left behind");
    }

    static Snapshot snapshot() {
        try {
            Set<String> mounts = new TreeSet<>();
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                mounts.add(f[4] + " " + f[f.length - 3]); // mount point and fs type
            }
            Set<String> cgroups = new TreeSet<>();
            for (int attempt = 0;; attempt++) { // a container's cgroup may vanish while the tree is walked
                cgroups.clear();
                try (Stream<Path> s = Files.walk(Path.of("/sys/fs/cgroup"), 8)) {
                    s.filter(Files::isDirectory).map(Path::toString).filter(p -> !SANDBOX_JOB.matcher(p).find())
                            .forEach(cgroups::add);
                    break;
                } catch (UncheckedIOException | IOException e) {
                    if (attempt == 20) {
                        throw e;
                    }
                }
            }
            return new Snapshot(mounts, cgroups);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
