package io.jrun.image.bundle;

import io.jrun.image.ImageException;
import io.jrun.image.json.ImageJson.ConfigJson;
import io.jrun.image.json.ImageJson.ContainerConfigJson;
import io.jrun.runtime.spec.DefaultSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A bundle's config.json from an image: jrun's hardened defaults ({@code jrun spec
 * --hardened}: no terminal unless asked for, a seccomp profile) with the image's
 * command (Entrypoint + Cmd), Env, WorkingDir and User (resolved in the rootfs to uid, gid and
 * additional gids), its Labels, ExposedPorts and StopSignal as annotations; then the command
 * line's overrides.
 */
public final class BundleConfig {
    public static final String EXPOSED_PORTS = "org.opencontainers.image.exposedPorts";
    public static final String STOP_SIGNAL = "org.opencontainers.image.stopSignal";
    static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private BundleConfig() {}

    @SuppressWarnings("unchecked")
    public static Map<String, Object> create(ConfigJson image, Path rootfs, BundleOptions options) throws ImageException {
        ContainerConfigJson c = image.config() != null ? image.config()
                : new ContainerConfigJson(null, null, null, null, null, null, null, null);
        List<String> args = new ArrayList<>();
        if (options.args() != null && !options.args().isEmpty()) {
            args.addAll(options.args());
        } else {
            if (c.entrypoint() != null) {
                args.addAll(c.entrypoint());
            }
            if (c.cmd() != null) {
                args.addAll(c.cmd());
            }
        }
        if (args.isEmpty()) {
            throw new ImageException("the image has no command (no Entrypoint or Cmd): give one with --args");
        }
        Map<String, Object> spec = DefaultSpec.create(args);
        Map<String, Object> process = (Map<String, Object>) spec.get("process");
        process.put("terminal", options.tty());
        process.put("env", env(c.env(), options.env(), options.tty()));
        String cwd = c.workingDir() == null || c.workingDir().isEmpty() ? "/" : c.workingDir();
        if (!cwd.startsWith("/")) {
            cwd = "/" + cwd;
        }
        process.put("cwd", cwd);
        String userSpec = options.user() != null ? options.user() : c.user();
        UserResolver.User u = UserResolver.resolve(rootfs, userSpec);
        Map<String, Object> user = new LinkedHashMap<>();
        user.put("uid", u.uid());
        user.put("gid", u.gid());
        if (!u.additionalGids().isEmpty()) {
            user.put("additionalGids", u.additionalGids());
        }
        process.put("user", user);
        Map<String, Object> annotations = new LinkedHashMap<>();
        if (c.labels() != null) {
            annotations.putAll(c.labels());
        }
        if (c.exposedPorts() != null && !c.exposedPorts().isEmpty()) {
            annotations.put(EXPOSED_PORTS, String.join(",", new TreeSet<>(c.exposedPorts().keySet())));
        }
        if (c.stopSignal() != null && !c.stopSignal().isEmpty()) {
            annotations.put(STOP_SIGNAL, c.stopSignal());
        }
        if (!annotations.isEmpty()) {
            spec.put("annotations", annotations);
        }
        return spec;
    }

    static List<String> env(List<String> image, List<String> overrides, boolean tty) {
        Map<String, String> env = new LinkedHashMap<>();
        for (List<String> list : List.of(image == null ? List.<String>of() : image,
                overrides == null ? List.<String>of() : overrides)) {
            for (String kv : list) {
                int eq = kv.indexOf('=');
                env.put(eq < 0 ? kv : kv.substring(0, eq), kv);
            }
        }
        if (!env.containsKey("PATH")) {
            Map<String, String> withPath = new LinkedHashMap<>();
            withPath.put("PATH", DEFAULT_PATH);
            withPath.putAll(env);
            env = withPath;
        }
        if (tty && !env.containsKey("TERM")) {
            env.put("TERM", "TERM=xterm");
        }
        return new ArrayList<>(env.values());
    }
}
