package dev.jmerge.cli;

import dev.jmerge.source.hub.DownloadProgress;
import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicLong;

/** One redrawn line per download batch: files, bytes and rate. Only used when stderr is a terminal. */
final class TerminalDownloads implements DownloadProgress {

    private final PrintWriter err;
    private final AtomicLong done = new AtomicLong();
    private volatile long lastDraw;
    private String label;
    private int files;
    private long bytes;
    private long start;

    TerminalDownloads(PrintWriter err) { this.err = err; }

    @Override
    public synchronized void begin(String label, int files, long bytes) {
        this.label = label;
        this.files = files;
        this.bytes = bytes;
        this.start = System.nanoTime();
        done.set(0);
        draw(true);
    }

    @Override
    public void advance(long b) {
        done.addAndGet(b);
        draw(false);
    }

    @Override
    public synchronized void end() {
        draw(true);
        err.println();
        err.flush();
    }

    private void draw(boolean force) {
        long now = System.nanoTime();
        if (!force && now - lastDraw < 200_000_000L) return;
        synchronized (this) {
            lastDraw = now;
            long d = done.get();
            double secs = Math.max(1e-9, (now - start) / 1e9);
            err.printf("\rdownloading %s: %d file%s  %s/%s  %s/s   ", label, files, files == 1 ? "" : "s",
                    Bytes.human(d), Bytes.human(bytes), Bytes.human((long) (d / secs)));
            err.flush();
        }
    }
}
