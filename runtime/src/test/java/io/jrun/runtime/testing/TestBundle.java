package io.jrun.runtime.testing;

import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.spec.DefaultSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A bundle for a test: {@code jrun spec --hardened}'s config, changed by the test, over the busybox
 * fixture rootfs (shared, read-only) or a private copy of it.
 */
public final class TestBundle {
    private final Path dir;
    private final Map<String, Object> spec = DefaultSpec.create(List.of("true"));

    private TestBundle(Path dir) {
        this.dir = dir;
        root().put("path", fixtureRootfs().toString());
        // the hardened profile's seccomp filter refuses mount, unshare, ...: tests that want it put it back
        linux().remove("seccomp");
    }

    public static Path fixtureRootfs() {
        String p = System.getProperty("jrun.rootfs.busybox");
        if (p == null || !Files.isDirectory(Path.of(p))) {
            throw new IllegalStateException("busybox fixture rootfs missing (" + p + "): build rootfs-fixtures first");
        }
        return Path.of(p);
    }

    public static TestBundle in(Path dir) {
        return new TestBundle(dir);
    }

    public Path dir() {
        return dir;
    }

    @SuppressWarnings("unchecked")
    public Map<String, Object> section(String key) {
        Object v = spec.get(key);
        if (!(v instanceof Map)) {
            v = new LinkedHashMap<String, Object>();
            spec.put(key, v);
        }
        return (Map<String, Object>) v;
    }

    public Map<String, Object> spec() {
        return spec;
    }

    public Map<String, Object> process() {
        return section("process");
    }

    public Map<String, Object> root() {
        return section("root");
    }

    public Map<String, Object> linux() {
        return section("linux");
    }

    public TestBundle args(String... args) {
        process().put("args", List.of(args));
        return this;
    }

    /** {@code sh -c script}. */
    public TestBundle sh(String script) {
        return args("sh", "-c", script);
    }

    /** The same capabilities in all five sets. */
    public TestBundle capabilities(String... names) {
        List<String> l = List.of(names);
        process().put("capabilities", new LinkedHashMap<>(Map.of("bounding", l, "effective", l, "permitted", l,
                "inheritable", l, "ambient", l)));
        return this;
    }

    public TestBundle set(String key, Object value) {
        spec.put(key, value);
        return this;
    }

    /** Replaces linux.namespaces with new ones of these types. */
    public TestBundle namespaces(String... types) {
        List<Object> l = new ArrayList<>();
        for (String t : types) {
            l.add(new LinkedHashMap<>(Map.of("type", t)));
        }
        linux().put("namespaces", l);
        return this;
    }

    @SuppressWarnings("unchecked")
    public TestBundle joinNamespace(String type, String path) {
        List<Object> l = new ArrayList<>((List<Object>) linux().get("namespaces"));
        l.removeIf(n -> type.equals(((Map<String, Object>) n).get("type")));
        l.add(new LinkedHashMap<>(Map.of("type", type, "path", path)));
        linux().put("namespaces", l);
        return this;
    }

    /** Adds a new user namespace mapping 65536 ids from 0 to hostUid and hostGid. */
    @SuppressWarnings("unchecked")
    public TestBundle userNamespace(long hostUid, long hostGid) {
        List<Object> l = new ArrayList<>((List<Object>) linux().get("namespaces"));
        l.add(new LinkedHashMap<>(Map.of("type", "user")));
        linux().put("namespaces", l);
        linux().put("uidMappings", List.of(Map.of("containerID", 0L, "hostID", hostUid, "size", 65536L)));
        linux().put("gidMappings", List.of(Map.of("containerID", 0L, "hostID", hostGid, "size", 65536L)));
        return this;
    }

    @SuppressWarnings("unchecked")
    public TestBundle mount(Map<String, Object> m) {
        List<Object> l = new ArrayList<>((List<Object>) spec.get("mounts"));
        l.add(m);
        spec.put("mounts", l);
        return this;
    }

    /** Gives the bundle its own writable copy of the fixture rootfs. */
    public TestBundle copyRootfs() throws IOException {
        Path target = Files.createDirectories(dir).resolve("rootfs");
        Process p = new ProcessBuilder("cp", "-a", fixtureRootfs().toString(), target.toString())
                .inheritIO().start();
        try {
            if (p.waitFor() != 0) {
                throw new IOException("cp -a " + fixtureRootfs() + " " + target + " failed");
            }
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
        root().put("path", "rootfs");
        return this;
    }

    public Path write() throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), JsonWriter.pretty(spec));
        return dir;
    }
}
