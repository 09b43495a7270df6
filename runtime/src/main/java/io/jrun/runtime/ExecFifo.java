package io.jrun.runtime;

import io.jrun.runtime.proc.ProcFs;
import io.jrun.runtime.state.ContainerState;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The rendezvous of {@code create} and {@code start}: the created init blocks opening
 * {@code exec.fifo} for writing; start opens it for reading, which lets the init write one
 * byte and exec the user program.  A watchdog unblocks start if the init dies meanwhile.
 */
final class ExecFifo {
    private ExecFifo() {}

    /** Opens the fifo for writing (our reader then sees EOF) once the init is dead. No lambda: ~5 ms cold. */
    private static final class Watchdog implements Runnable {
        private final Path fifo;
        private final ContainerState s;

        Watchdog(Path fifo, ContainerState s) {
            this.fifo = fifo;
            this.s = s;
        }

        @Override
        public void run() {
            while (!Thread.currentThread().isInterrupted()) {
                if (!ProcFs.alive(s.pid(), s.pidStartTime())) {
                    try (FileOutputStream unblock = new FileOutputStream(fifo.toFile())) {
                        return;
                    } catch (IOException e) {
                        return;
                    }
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    static void release(Path fifo, ContainerState s) throws JrunException, IOException {
        Thread watchdog = new Thread(new Watchdog(fifo, s), "jrun-start-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        int b;
        try (FileInputStream in = new FileInputStream(fifo.toFile())) {
            b = in.read();
        } finally {
            watchdog.interrupt();
        }
        Files.deleteIfExists(fifo);
        if (b != '0') {
            throw new JrunException("start " + s.id() + ": the container's init " + s.pid() + " ended before start");
        }
    }
}
