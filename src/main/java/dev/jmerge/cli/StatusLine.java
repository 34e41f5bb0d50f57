package dev.jmerge.cli;

import java.io.PrintWriter;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;

/**
 * One line on the terminal, redrawn in place at most five times a second (and always when forced), never
 * wider than the terminal: the text is asked for at the current width, cut if still too long, and the rest of
 * the line is cleared so a shorter text leaves nothing behind.
 */
final class StatusLine {

    private static final long MIN_INTERVAL_NANOS = 200_000_000L;
    private static final String CLEAR_TO_END = "\033[K";
    private final PrintWriter err;
    private final IntSupplier width;
    private volatile long lastDraw;
    private boolean drawn;

    StatusLine(PrintWriter err, IntSupplier width) {
        this.err = err;
        this.width = width;
    }

    /** @param text the line for a given number of usable columns */
    void draw(boolean force, IntFunction<String> text) {
        long now = System.nanoTime();
        if (!force && now - lastDraw < MIN_INTERVAL_NANOS) return;
        synchronized (this) {
            lastDraw = now;
            int columns = Math.max(10, width.getAsInt()) - 1; // the last column would wrap on some terminals
            String line = text.apply(columns);
            if (line.length() > columns) line = line.substring(0, columns - 1) + "…";
            err.print("\r" + line + CLEAR_TO_END);
            err.flush();
            drawn = true;
        }
    }

    /** Takes the line off the screen. */
    synchronized void clear() {
        if (drawn) err.print("\r" + CLEAR_TO_END);
        drawn = false;
        err.flush();
    }

    /** Leaves the last state on screen and moves to a new line. */
    synchronized void end() {
        if (drawn) err.println();
        drawn = false;
        err.flush();
    }
}
