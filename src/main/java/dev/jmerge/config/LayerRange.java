package dev.jmerge.config;

/** Half-open layer range {@code [start, end)} of one slice source. */
public record LayerRange(int start, int end, SourcePos pos) {

    public int length() { return end - start; }
}
