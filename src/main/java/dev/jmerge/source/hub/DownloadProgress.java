package dev.jmerge.source.hub;

/** Receives download progress; the CLI draws it on a terminal and stays quiet in pipes. */
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
}
