package dev.jmerge.cli;

import java.io.PrintWriter;
import java.util.function.Supplier;

/** One line on the terminal, redrawn in place at most five times a second (and always when forced). */
final class StatusLine {

    private static final long MIN_INTERVAL_NANOS = 200_000_000L;
    private final PrintWriter err;
    private volatile long lastDraw;

    StatusLine(PrintWriter err) { this.err = err; }

    void draw(boolean force, Supplier<String> text) {
        long now = System.nanoTime();
        if (!force && now - lastDraw < MIN_INTERVAL_NANOS) return;
        synchronized (this) {
            lastDraw = now;
            err.print("\r" + text.get() + "   ");
            err.flush();
        }
    }

    /** Leaves the last state on screen and moves to a new line. */
    synchronized void end() {
        err.println();
        err.flush();
    }
}
