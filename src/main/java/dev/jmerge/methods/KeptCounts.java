package dev.jmerge.methods;

import dev.jmerge.kernels.Kernels;

/**
 * Counts, per model, the task-vector elements that reach the output ({@link MergeStats#kept}): non-zero after
 * the mask, and with a sign election (the sum rule: a non-negative sum elects +) of the elected sign. Made
 * only when a report listens, so the merge loops stay as they are otherwise.
 */
final class KeptCounts {

    private final long[] kept;
    private final boolean consensus;
    private final Kernels kernels;

    private KeptCounts(int models, boolean consensus, Kernels kernels) {
        this.kept = new long[models];
        this.consensus = consensus;
        this.kernels = kernels;
    }

    /** A counter for {@code models} task vectors, or null when {@code in} has no report listening. */
    static KeptCounts of(MergeInput in, int models, boolean consensus) {
        return in.stats().enabled() ? new KeptCounts(models, consensus, in.kernels()) : null;
    }

    /** Adds a tile: {@code d[m][0..len)} are the masked (weighted) deltas the method sums. */
    void add(float[][] d, int len) { add(d, null, len); }

    /**
     * Adds a tile of masked deltas {@code d[m][0..len)} that the method weights by {@code w[m]} (float32 products,
     * as the sums see them) inside its kernel; {@code w} null: already weighted.
     */
    void add(float[][] d, float[] w, int len) { kernels.countKept(d, kept.length, w, consensus, kept, len); }

    /** Hands the counts to the report; {@code models[m]} is the input index of slot {@code m}. */
    void report(MergeInput in, int[] models) {
        for (int m = 0; m < kept.length; m++) in.stats().kept(models[m], kept[m], in.numel());
    }
}
