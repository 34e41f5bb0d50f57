package dev.jmerge.cli;

import dev.jmerge.source.hub.DownloadProgress;
import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicLong;

/** One redrawn line per download batch: files, bytes and rate. Only used when stderr is a terminal. */
final class TerminalDownloads implements DownloadProgress {

    private final StatusLine line;
    private final AtomicLong done = new AtomicLong();
    private String label;
    private int files;
    private long bytes;
    private long start;

    TerminalDownloads(PrintWriter err) { this.line = new StatusLine(err); }

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
        line.end();
    }

    private void draw(boolean force) {
        line.draw(force, () -> {
            long d = done.get();
            double secs = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
            return String.format("downloading %s: %d file%s  %s/%s  %s/s", label, files, files == 1 ? "" : "s",
                    Bytes.human(d), Bytes.human(bytes), Bytes.human((long) (d / secs)));
        });
    }
}
