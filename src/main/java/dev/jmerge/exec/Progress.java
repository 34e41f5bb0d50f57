package dev.jmerge.exec;

/** Receives the executor's progress; the CLI draws it on a terminal and stays quiet otherwise. */
public interface Progress {

    Progress NONE = new Progress() {
        @Override public void start(int tensors, long bytes) {}
        @Override public void tensorDone(long bytes) {}
        @Override public void finish() {}
    };

    void start(int tensors, long bytes);

    /** Called from worker threads once a tensor is written; {@code bytes} is its output size. */
    void tensorDone(long bytes);

    /** A tensor an interrupted run already wrote (its shard is kept by {@code --resume}). */
    default void tensorKept(long bytes) { tensorDone(bytes); }

    void finish();
}
