package io.jrun.bench;

import io.jrun.testing.Container;
import io.jrun.testing.ContainerSpec;
import io.jrun.testing.Engine;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A container per invocation in one warm JVM (scripts/bench-jmh.sh runs it, as root, in a private
 * mount namespace): start→exit of /bin/true, and start→first HTTP byte of a busybox httpd
 * through {@code connect(80)}, without and with prepared monitors, and with containers of the
 * spec prepared ahead ({@link Engine#prepare}: a start only starts one).  The container is closed
 * after each invocation, outside the measured time (start→closed is in bench-harness.sh).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 4)
@Fork(1)
public class HarnessJmh {
    /** Monitors the engine keeps spawned ahead ({@link Engine#prepareMonitors(int)}). */
    @Param({"0", "2"})
    public int monitors;

    /** Containers of each spec the engine keeps created ahead ({@link Engine#prepare(ContainerSpec, int)}). */
    @Param({"0", "2"})
    public int prepared;

    private Engine engine;
    private ContainerSpec trueSpec;
    private ContainerSpec httpd;
    private Container last;

    static Path rootfs() {
        return Path.of(System.getProperty("jrun.rootfs.busybox", "rootfs-fixtures/target/rootfs/busybox"))
                .toAbsolutePath().normalize();
    }

    @Setup(Level.Trial)
    public void setUp() {
        engine = Engine.at(Path.of(Engine.DEFAULT_ROOT + "-" + monitors + "-" + prepared), Engine.DEFAULT_IMAGES)
                .prepareMonitors(monitors);
        trueSpec = ContainerSpec.fromRootfs(rootfs()).withCommand("/bin/true");
        httpd = ContainerSpec.fromRootfs(rootfs()).withCommand("sh", "-c",
                "mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www");
        if (prepared > 0) {
            engine.prepare(trueSpec, prepared).prepare(httpd, prepared);
        }
    }

    /**
     * With prepared containers: waits, outside the measured time, until the engine has prepared
     * again what the last invocation took, as the body of a test gives it the time to.  Without
     * this wait a loop of starts is bound by the rate of preparation (Thousand measures that).
     */
    @Setup(Level.Invocation)
    public void awaitPrepared() throws InterruptedException {
        for (int i = 0; prepared > 0 && i < 30_000
                && (engine.preparedCount(trueSpec) < prepared || engine.preparedCount(httpd) < prepared); i++) {
            Thread.sleep(1);
        }
    }

    @TearDown(Level.Invocation)
    public void closeLast() {
        if (last != null) {
            last.close();
            last = null;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close(); // and its prepared containers
        engine.prepareMonitors(0);
    }

    @Benchmark
    public int trueStartToExit() {
        last = trueSpec.start(engine);
        if (!last.waitFor(Duration.ofSeconds(30)) || last.exitCode().orElse(-1) != 0) {
            throw new IllegalStateException("/bin/true did not exit 0: " + last.exitCode());
        }
        return last.exitCode().getAsInt();
    }

    @Benchmark
    public int httpdStartToFirstByte() throws IOException, InterruptedException {
        last = httpd.start(engine);
        while (true) {
            try (Socket s = last.connect(80)) {
                s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                int b = in.read();
                if (b >= 0) {
                    return b;
                }
            } catch (ConnectException notYet) {
                Thread.sleep(0, 200_000); // httpd is not listening yet
            }
        }
    }
}
