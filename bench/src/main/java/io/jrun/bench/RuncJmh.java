package io.jrun.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code runc run} of a bundle on the same busybox rootfs running /bin/true (-Djrun.bench.bundle),
 * from the same JVM, in the same run as {@link HarnessJmh}: the reference of the ratio.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 4)
@Fork(1)
public class RuncJmh {
    private static final AtomicLong SEQ = new AtomicLong();

    @Benchmark
    public int runcRunTrue() throws IOException, InterruptedException {
        Path bundle = Path.of(System.getProperty("jrun.bench.bundle"));
        Process p = new ProcessBuilder("runc", "--root", bundle.resolve("state").toString(), "run", "--bundle",
                bundle.toString(), "jmh-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet())
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("runc run: " + new String(out, StandardCharsets.UTF_8).trim());
        }
        return 0;
    }
}
