package io.jrun.image.pull;

import io.jrun.image.Descriptor;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A one-line progress display for a terminal: blobs done, bytes so far of the total, redrawn at
 * most ten times a second with a carriage return.
 */
public final class ConsoleProgress implements PullProgress {
    private final PrintStream out;
    private final ConcurrentHashMap<String, Long> done = new ConcurrentHashMap<>();
    private volatile List<Descriptor> blobs = List.of();
    private long total;
    private long lastDraw;

    public ConsoleProgress(PrintStream out) {
        this.out = out;
    }

    @Override
    public void started(List<Descriptor> blobs) {
        this.blobs = blobs;
        total = blobs.stream().mapToLong(d -> Math.max(0, d.size())).sum();
        draw(true);
    }

    @Override
    public void advanced(Descriptor blob, long bytes) {
        done.put(blob.digest(), bytes);
        draw(bytes == blob.size());
    }

    @Override
    public void finished() {
        draw(true);
        out.print("\n");
        out.flush();
    }

    private synchronized void draw(boolean force) {
        long now = System.nanoTime();
        if (!force && now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        long have = done.values().stream().mapToLong(Long::longValue).sum();
        long complete = blobs.stream().filter(d -> done.getOrDefault(d.digest(), -1L) == d.size()).count();
        out.print(String.format("\rpulling: %d of %d blobs, %s of %s   ", complete, blobs.size(), mb(have), mb(total)));
        out.flush();
    }

    private static String mb(long bytes) {
        return String.format("%.1f MB", bytes / 1e6);
    }
}
