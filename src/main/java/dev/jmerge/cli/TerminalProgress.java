package dev.jmerge.cli;

import dev.jmerge.exec.Progress;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * A one-line progress display on the terminal: label, bar, tensors, bytes, rate and ETA, fitted to the
 * terminal's width (the least useful parts go first on a narrow one), redrawn at most 5 times a second.
 */
final class TerminalProgress implements Progress {

    private static final int MAX_BAR = 30;
    private static final int MIN_BAR = 6;
    private final StatusLine line;
    private final String label;
    private final AtomicInteger tensorsDone = new AtomicInteger();
    private final AtomicLong bytesDone = new AtomicLong();
    private int tensors;
    private long bytes;
    private long start;

    TerminalProgress(PrintWriter err, String label, IntSupplier width) {
        this.line = new StatusLine(err, width);
        this.label = label;
    }

    /** True only when this is an interactive terminal: pipes and CI stay quiet. */
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
        line.draw(force, this::render);
    }

    /**
     * The fullest line that fits {@code columns}: parts are dropped in the order rate, label, bytes, ETA. The
     * choice and the bar's width are made for the widest values the parts can take, so they do not jump about.
     */
    String render(int columns) {
        long done = bytesDone.get();
        double secs = (System.nanoTime() - start) / 1e9;
        double rate = secs > 0 ? done / secs : 0;
        String eta = "ETA " + (rate > 0 && done < bytes ? formatTime((bytes - done) / rate) : "--");
        String[] now = {label, tensorsDone.get() + "/" + tensors + " tensors", Bytes.human(done) + "/" + Bytes.human(bytes),
                Bytes.human((long) rate) + "/s", eta};
        String[] widest = {label, tensors + "/" + tensors + " tensors", "1023.9 MiB/" + Bytes.human(bytes),
                "1023.9 MiB/s", "ETA 59m59s"};
        int[][] choices = {{0, -1, 1, 2, 3, 4}, {0, -1, 1, 2, 4}, {-1, 1, 2, 4}, {-1, 1, 4}, {-1, 1}};
        for (int[] parts : choices) {
            int room = columns - join(widest, parts, "").length() - 2; // the bar and its separator
            if (room >= MIN_BAR) return join(now, parts, bar(Math.min(MAX_BAR, room), done));
        }
        return now[1];
    }

    /** The parts at the given indexes, -1 standing for the bar (left out when empty), two spaces apart. */
    private static String join(String[] values, int[] parts, String bar) {
        List<String> out = new ArrayList<>();
        for (int p : parts) {
            if (p >= 0) out.add(values[p]);
            else if (!bar.isEmpty()) out.add(bar);
        }
        return String.join("  ", out);
    }

    private String bar(int width, long done) {
        int inner = width - 2;
        int filled = bytes == 0 ? inner : (int) Math.min(inner, inner * done / bytes);
        return "[" + "#".repeat(filled) + ".".repeat(inner - filled) + "]";
    }

    private static String formatTime(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, (t / 60) % 60)
                : String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
    }
}
