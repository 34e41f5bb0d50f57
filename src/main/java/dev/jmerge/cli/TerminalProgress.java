package dev.jmerge.cli;

import dev.jmerge.exec.Progress;
import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** A one-line progress display on the terminal: tensors, bytes, rate and ETA, redrawn at most 5 times a second. */
final class TerminalProgress implements Progress {

    private final StatusLine line;
    private final String label;
    private final AtomicInteger tensorsDone = new AtomicInteger();
    private final AtomicLong bytesDone = new AtomicLong();
    private int tensors;
    private long bytes;
    private long start;

    TerminalProgress(PrintWriter err, String label) {
        this.line = new StatusLine(err);
        this.label = label;
    }

    /** True only when stderr is an interactive terminal: pipes and CI stay quiet. */
    static boolean isTerminal() {
        var c = System.console();
        return c != null && c.isTerminal() && System.getenv("CI") == null;
    }

    @Override
    public void start(int tensors, long bytes) {
        this.tensors = tensors;
        this.bytes = bytes;
        this.start = System.nanoTime();
        draw(true);
    }

    @Override
    public void tensorDone(long b) {
        tensorsDone.incrementAndGet();
        bytesDone.addAndGet(b);
        draw(false);
    }

    @Override
    public void finish() {
        draw(true);
        line.end();
    }

    private void draw(boolean force) {
        line.draw(force, () -> {
            long done = bytesDone.get();
            double secs = (System.nanoTime() - start) / 1e9;
            double rate = secs > 0 ? done / secs : 0;
            String eta = rate > 0 && done < bytes ? formatTime((bytes - done) / rate) : "--";
            int width = 24;
            int filled = bytes == 0 ? width : (int) (width * done / bytes);
            return String.format("%s [%s%s] %d/%d tensors  %s/%s  %s/s  ETA %s", label, "#".repeat(filled),
                    ".".repeat(width - filled), tensorsDone.get(), tensors, Bytes.human(done), Bytes.human(bytes),
                    Bytes.human((long) rate), eta);
        });
    }

    private static String formatTime(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format("%dh%02dm", t / 3600, (t / 60) % 60) : String.format("%dm%02ds", t / 60, t % 60);
    }
}
