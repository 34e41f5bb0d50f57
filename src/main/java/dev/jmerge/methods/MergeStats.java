package dev.jmerge.methods;

/**
 * Where a method tells what it decided for one tensor, for {@code --report}: model_stock's interpolation
 * factor, how much of each task vector a sparsifying method kept. Methods ask {@link #enabled()} first and
 * do no counting when nobody listens, so a merge without a report pays nothing for it.
 */
public interface MergeStats {

    /** The sink of a merge without a report. */
    MergeStats OFF = new MergeStats() {
        @Override public boolean enabled() { return false; }
        @Override public void interpolation(double t) {}
        @Override public void kept(int input, long kept, long total) {}
    };

    /** Whether the numbers are wanted. */
    boolean enabled();

    /**
     * The interpolation factor toward the fine-tunes (model_stock's t); called once per tensor, or once per
     * row when the factor is taken per row (the report shows their mean).
     */
    void interpolation(double t);

    /**
     * Of {@code total} elements of input {@code input}'s task vector, {@code kept} reached the output (non-zero
     * after sparsification and, where signs are elected, agreeing with the elected sign). May be called once
     * per tile; counts add up.
     */
    void kept(int input, long kept, long total);

    /**
     * Said before the method's first read: one of its sweeps will hand every range of the tensor, in index order,
     * to {@link #inputs} or {@link #taskVectors}, so the report takes its sums from the floats the method decoded
     * anyway instead of decoding the tiles the method reads a second time. A range handed over in no sweep is read
     * again at the end, so a broken promise costs time, not numbers.
     */
    default void tilesHandedOver() {}

    /**
     * Input {@code which[j]}'s values at {@code [offset, offset+len)} are {@code values[j][0..len)}, as read; the
     * report counts the range when {@code which} names every input, and compares the output with the base's tile
     * here until the method reads the base again (so the method leaves it unchanged until it has written the
     * range).
     */
    default void inputs(long offset, int len, int[] which, float[][] values) {}

    /**
     * As {@link #inputs}, with the task vectors: {@code deltas[j][0..len)} is input {@code which[j]} less
     * {@code base} (as {@code Kernels#sub} rounds it), {@code which} every input but the base.
     */
    default void taskVectors(long offset, int len, int[] which, float[][] deltas, float[] base) {}

    /**
     * Asked before a method's first sweep: whether the report takes the Gram matrix the method sums for itself, of
     * inputs {@code which} less input {@code base} (as they are: −1) over the whole tensor, from {@link #gram} instead
     * of from tiles handed over. When it answers true, the sweep need not hand its tiles to {@link #taskVectors}.
     */
    default boolean takesGram(int[] which, int base) { return false; }

    /** The Gram matrix promised to {@link #takesGram}, {@code g[j][k]} for inputs {@code which[j]}, {@code which[k]}. */
    default void gram(double[][] g) {}
}
