package dev.jmerge.cli;

import dev.jmerge.source.hub.DownloadProgress;
import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * On a terminal: each Hub lookup as one line (shown while the Hub answers, then replaced by the outcome), and
 * one redrawn line per download batch: files, bytes and rate.
 */
final class TerminalDownloads implements DownloadProgress {

    private final StatusLine line;
    private final AtomicLong done = new AtomicLong();
    private String label;
    private int files;
    private long bytes;
    private long start;

    TerminalDownloads(PrintWriter err, IntSupplier width) { this.line = new StatusLine(err, width); }

    @Override
    public void lookup(String repo, String revision) {
        line.draw(true, w -> "hub: " + repo + "@" + revision + ": asking the Hub…");
    }

    @Override
    public void looked(String text) {
        if (text == null) line.clear();
        else {
            line.draw(true, w -> text);
            line.end();
        }
    }

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
        line.draw(force, w -> {
            long d = done.get();
            double secs = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
            String text = String.format("downloading %s: %d file%s  %s/%s  %s/s", label, files, files == 1 ? "" : "s",
                    Bytes.human(d), Bytes.human(bytes), Bytes.human((long) (d / secs)));
            return text.length() <= w ? text : Bytes.human(d) + "/" + Bytes.human(bytes) + " " + label;
        });
    }
}
