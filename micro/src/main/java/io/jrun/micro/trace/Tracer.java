package io.jrun.micro.trace;

import io.jrun.micro.MicroException;
import io.jrun.runtime.Jrun;
import io.jrun.runtime.JrunException;
import io.jrun.runtime.LaunchOptions;
import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.spec.DefaultSpec;
import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Runs a workload ({@code /bin/sh -c WORKLOAD}) in a jrun container over a rootfs, with a seccomp
 * filter that notifies the trace agent of every call of the open/exec/stat/access/readlink
 * family and lets it go on; returns what the workload did (exit status, output) and every path it
 * opened, executed or looked up, found or not.
 */
public final class Tracer {
    /** The calls traced; names the architecture lacks are left out. */
    static final List<String> CALLS_X86_64 = List.of("open", "creat", "openat", "openat2", "execve", "execveat",
            "stat", "lstat", "newfstatat", "statx", "access", "faccessat", "faccessat2", "readlink", "readlinkat",
            "chdir");
    static final List<String> CALLS_GENERIC = List.of("openat", "openat2", "execve", "execveat", "newfstatat",
            "statx", "faccessat", "faccessat2", "readlinkat", "chdir");

    /** What a run did: the status, stdout and stderr, and the paths touched (in the container's view). */
    public record Result(int status, String stdout, String stderr, Set<String> paths) {
        /** Equal as the workload's users see it: exit status and stdout. */
        public boolean sameOutcome(Result o) {
            return status == o.status && stdout.equals(o.stdout);
        }
    }

    private final Jrun jrun;
    private final Path work;
    private final Path agent;
    private int round;

    /** {@code work}: a private directory for bundles, sockets and logs; {@code stateRoot}: jrun's state. */
    public Tracer(Path stateRoot, Path work) throws MicroException {
        // several containers, one after another: under the CLI launcher, whose monitor serves one
        // container and exits with it, each gets a stage of its own
        io.jrun.nativebind.StageProcess.spawnOnly();
        this.jrun = Jrun.withStateRoot(stateRoot);
        this.work = work;
        this.agent = TraceAgent.install(work);
    }

    /** Runs {@code workload} in a container over {@code rootfs} as {@code uid:gid} with {@code env}. */
    public Result run(Path rootfs, String workload, List<String> env, long uid, long gid, String cwd)
            throws MicroException {
        return run(rootfs, List.of(), workload, env, uid, gid, cwd);
    }

    /**
     * The same over a root made of {@code binds}: each an absolute host directory bound (read-only,
     * recursively) at the same path in the container: how the host's / is traced, as jrun will not
     * take the host's root directory itself for a container's.
     */
    public Result run(Path rootfs, List<String> binds, String workload, List<String> env, long uid, long gid,
            String cwd) throws MicroException {
        round++;
        Path dir = work.resolve("trace-" + round);
        Path socket = dir.resolve("agent.sock");
        Path paths = dir.resolve("paths");
        Path out = dir.resolve("stdout");
        Path err = dir.resolve("stderr");
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), JsonWriter.pretty(config(rootfs, binds, workload, env, uid, gid,
                    cwd, socket)));
        } catch (IOException e) {
            throw MicroException.io("write the trace bundle " + dir, e);
        }
        String id = "micro-trace-" + UUID.randomUUID().toString().substring(0, 8);
        int status;
        try (TraceAgent a = TraceAgent.start(agent, socket, paths)) {
            try {
                status = jrun.run(id, dir, LaunchOptions.defaults().withStdin(Redirect.from(new File("/dev/null")))
                        .withStdout(Redirect.to(out.toFile())).withStderr(Redirect.to(err.toFile())));
            } catch (JrunException e) {
                throw new MicroException("trace the workload over " + rootfs + ": " + e.getMessage());
            }
            int agentStatus = a.finish();
            if (agentStatus != 0) {
                throw new MicroException("trace the workload over " + rootfs + ": the trace agent exited with "
                        + agentStatus);
            }
        }
        try {
            return new Result(status, Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8), touchedPaths(Files.readAllBytes(paths)));
        } catch (IOException e) {
            throw MicroException.io("read the trace in " + dir, e);
        }
    }

    /**
     * The paths of the agent's "SYSCALL<TAB>PATH<NUL>" records, in first-seen order.  A path that
     * is not UTF-8 cannot be named by a Java {@code Path} faithfully: it is left out, with a warning
     * (the verifying re-run then shows whether the workload needed it).
     */
    static Set<String> touchedPaths(byte[] trace) {
        Set<String> touched = new LinkedHashSet<>();
        int skipped = 0;
        for (int start = 0, end; start < trace.length; start = end + 1) {
            end = start;
            while (end < trace.length && trace[end] != 0) {
                end++;
            }
            int tab = start;
            while (tab < end && trace[tab] != '\t') {
                tab++;
            }
            if (tab == start || tab >= end - 1) {
                continue; // no name, or no path: nothing to keep
            }
            try {
                touched.add(StandardCharsets.UTF_8.newDecoder()
                        .decode(java.nio.ByteBuffer.wrap(trace, tab + 1, end - tab - 1)).toString());
            } catch (java.nio.charset.CharacterCodingException e) {
                skipped++;
            }
        }
        if (skipped > 0) {
            io.jrun.runtime.Warnings.warn("jrun micro: " + skipped + " traced path(s) are not UTF-8 and were left out");
        }
        return touched;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> config(Path rootfs, List<String> binds, String workload, List<String> env, long uid,
            long gid, String cwd, Path socket) {
        Map<String, Object> spec = DefaultSpec.create(List.of("/bin/sh", "-c", workload));
        Map<String, Object> process = (Map<String, Object>) spec.get("process");
        process.put("env", env);
        process.put("cwd", cwd == null ? "/" : cwd);
        Map<String, Object> user = new LinkedHashMap<>();
        user.put("uid", uid);
        user.put("gid", gid);
        process.put("user", user);
        spec.put("root", Map.of("path", rootfs.toAbsolutePath().toString(), "readonly", true));
        List<Object> mounts = new ArrayList<>();
        for (String b : binds) {
            // rro: the mounts below a host directory read-only too (mount_setattr AT_RECURSIVE), not only its own
            mounts.add(Map.of("destination", b, "type", "bind", "source", b, "options", List.of("rbind", "ro", "rro")));
        }
        mounts.addAll((List<Object>) spec.get("mounts"));
        mounts.add(Map.of("destination", "/tmp", "type", "tmpfs", "source", "tmpfs",
                "options", List.of("nosuid", "nodev", "mode=1777", "size=65536k")));
        spec.put("mounts", mounts);
        Map<String, Object> linux = (Map<String, Object>) spec.get("linux");
        String arch = System.getProperty("os.arch");
        List<String> calls = arch.equals("amd64") || arch.equals("x86_64") ? CALLS_X86_64 : CALLS_GENERIC;
        Map<String, Object> seccomp = new LinkedHashMap<>();
        seccomp.put("defaultAction", "SCMP_ACT_ALLOW");
        seccomp.put("listenerPath", socket.toString());
        seccomp.put("listenerMetadata", "jrun-micro-trace");
        seccomp.put("syscalls", List.of(Map.of("names", calls, "action", "SCMP_ACT_NOTIFY")));
        linux.put("seccomp", seccomp);
        return spec;
    }
}
