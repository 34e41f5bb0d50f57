package dev.jmerge.source.hub;

/**
 * Receives Hub status and download progress; the CLI prints one status line per repo looked up, and draws the
 * download progress on a terminal only.
 */
public interface DownloadProgress {

    DownloadProgress NONE = new DownloadProgress() {
        @Override public void begin(String label, int files, long bytes) {}
        @Override public void advance(long bytes) {}
        @Override public void end() {}
    };

    /** A batch starts: {@code bytes} still to fetch over {@code files} files. */
    void begin(String label, int files, long bytes);

    /** Called from download threads as bytes arrive. */
    void advance(long bytes);

    void end();

    /** A lookup of {@code repo} at {@code revision} starts (a terminal may show it while the Hub answers). */
    default void lookup(String repo, String revision) {}

    /**
     * How the lookup ended, in one line: the commit, whether it is cached, or why the cache is used; null when
     * it failed (the error that follows says why).
     */
    default void looked(String line) {}
}
