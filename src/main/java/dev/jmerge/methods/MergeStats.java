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
}
