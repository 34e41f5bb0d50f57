package dev.jmerge.cli;

import dev.jmerge.source.hub.DownloadProgress;
import java.io.PrintWriter;

/** Without a terminal: one plain line per Hub lookup (what was found, or why the cache is used), no progress. */
final class HubStatusLines implements DownloadProgress {

    private final PrintWriter err;

    HubStatusLines(PrintWriter err) { this.err = err; }

    @Override public void begin(String label, int files, long bytes) {}

    @Override public void advance(long bytes) {}

    @Override public void end() {}

    @Override
    public void looked(String line) {
        if (line == null) return;
        err.println(line);
        err.flush();
    }
}
