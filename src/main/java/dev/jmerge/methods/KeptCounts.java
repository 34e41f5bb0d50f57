package dev.jmerge.methods;

/**
 * Counts, per model, the task-vector elements that reach the output ({@link MergeStats#kept}): non-zero after
 * the mask, and with a sign election (the sum rule: a non-negative sum elects +) of the elected sign. Made
 * only when a report listens, so the merge loops stay as they are otherwise.
 */
final class KeptCounts {

    private final long[] kept;
    private final boolean consensus;

    private KeptCounts(int models, boolean consensus) {
        this.kept = new long[models];
        this.consensus = consensus;
    }

    /** A counter for {@code models} task vectors, or null when {@code in} has no report listening. */
    static KeptCounts of(MergeInput in, int models, boolean consensus) {
        return in.stats().enabled() ? new KeptCounts(models, consensus) : null;
    }

    /** Adds a tile: {@code d[m][0..len)} are the masked (weighted) deltas the method sums. */
    void add(float[][] d, int len) { add(d, null, len); }

    /**
     * Adds a tile of masked deltas {@code d[m][0..len)} that the method weights by {@code w[m]} (float32 products,
     * as the sums see them) inside its kernel; {@code w} null: already weighted.
     */
    void add(float[][] d, float[] w, int len) {
        int k = kept.length;
        if (consensus) {
            // without branches: the signs of task vectors are coin flips, and mispredicted branches made this
            // loop cost more than the rest of the report
            for (int i = 0; i < len; i++) {
                double s = 0;
                for (int m = 0; m < k; m++) s += w == null ? d[m][i] : d[m][i] * w[m];
                int positive = s >= 0 ? 1 : 0;
                for (int m = 0; m < k; m++) {
                    float x = w == null ? d[m][i] : d[m][i] * w[m];
                    int above = x > 0 ? 1 : 0, below = x < 0 ? 1 : 0;
                    kept[m] += (above & positive) | (below & (positive ^ 1));
                }
            }
        } else {
            for (int m = 0; m < k; m++) {
                float[] x = d[m];
                long n = 0;
                float wm = w == null ? 1f : w[m];
                for (int i = 0; i < len; i++) n += x[i] * wm != 0 ? 1 : 0;
                kept[m] += n;
            }
        }
    }

    /** Hands the counts to the report; {@code models[m]} is the input index of slot {@code m}. */
    void report(MergeInput in, int[] models) {
        for (int m = 0; m < kept.length; m++) in.stats().kept(models[m], kept[m], in.numel());
    }
}
