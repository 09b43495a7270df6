package io.jrun.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the assembled {@code jrun} launcher as a user would, with a private state root. */
final class JrunCli {
    record Result(int exit, String stdout, String stderr) {}

    private final Path stateRoot;
    private final Path work;
    private final Path launcher;

    JrunCli(Path work) {
        this(work, launcher());
    }

    /** Runs another copy of the distribution: {@code launcher} is its bin/jrun. */
    JrunCli(Path work, Path launcher) {
        this.work = work;
        this.stateRoot = work.resolve("state");
        this.launcher = launcher;
    }

    static Path launcher() {
        Path p = Path.of(System.getProperty("jrun.launcher", "target/jrun/bin/jrun"));
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException(p + " is missing: run mvn package first");
        }
        return p.toAbsolutePath();
    }

    Path stateRoot() {
        return stateRoot;
    }

    ProcessBuilder builder(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(launcher.toString());
        cmd.add("--root");
        cmd.add(stateRoot.toString());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    }

    Result run(String... args) throws IOException, InterruptedException {
        return finish(start(args));
    }

    Started start(String... args) throws IOException {
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        Process p = builder(args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new Started(p, out, err);
    }

    record Started(Process process, Path out, Path err) {
        String stdout() throws IOException {
            return Files.readString(out);
        }

        void awaitOutput(String text) throws IOException, InterruptedException {
            for (int i = 0; i < 1000; i++) {
                if (stdout().contains(text)) {
                    return;
                }
                if (!process.isAlive()) {
                    break;
                }
                Thread.sleep(10);
            }
            throw new AssertionError("no \"" + text + "\" in output: " + stdout() + Files.readString(err));
        }
    }

    /**
     * After jrun itself was killed, its JVM still cleans up (state, cgroups) on its own: waits until no
     * process of this host mentions {@code id} on its command line.
     */
    static void awaitCleanup(String id) throws IOException, InterruptedException {
        for (int i = 0; i < 500; i++) {
            boolean busy = false;
            try (var procs = Files.list(Path.of("/proc"))) {
                for (Path p : (Iterable<Path>) procs::iterator) {
                    try {
                        busy |= new String(Files.readAllBytes(p.resolve("cmdline"))).contains(id);
                    } catch (IOException | RuntimeException e) {
                        // not a process, or gone
                    }
                }
            }
            if (!busy) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("jrun processes for " + id + " still running after 5 s");
    }

    static Result finish(Started s) throws IOException, InterruptedException {
        if (!s.process().waitFor(60, TimeUnit.SECONDS)) {
            s.process().destroyForcibly();
            throw new AssertionError("jrun did not end within 60 s");
        }
        return new Result(s.process().exitValue(), Files.readString(s.out()), Files.readString(s.err()));
    }
}
