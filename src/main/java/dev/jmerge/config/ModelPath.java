package dev.jmerge.config;

/** One side of a model reference: a local folder or a Hugging Face repo id, with an optional revision. */
public record ModelPath(String path, String revision) {

    @Override
    public String toString() { return revision == null ? path : path + "@" + revision; }
}
