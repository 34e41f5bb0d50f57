package dev.jmerge.methods.sparsify;

import java.util.Arrays;

/**
 * Exact rank selection on magnitudes, streamed: finds the values at given ascending ranks of {@code |v|}
 * without sorting or holding the tensor. Magnitude keys order like ints ({@link MagnitudeKey}), so pass 1
 * histograms their top 16 bits, pass 2 the low 16 bits inside the bucket holding each rank, which gives the
 * exact value at the rank, how many elements lie below it and how many equal it. Which of several equal
 * elements take the rank is not decided here ({@link TorchSelection} does that).
 *
 * <p>The caller drives: while {@link #wantsPass()}, feed every tile to {@link #observe} and then call
 * {@link #endPass()}.
 */
public final class RadixSelect {

    private enum Stage { HIGH, RANKS, LOW, DONE }

    private final long n;
    private Stage stage = Stage.HIGH;
    private long[] high = new long[1 << 16];
    private long zeros;
    private long[] ranks;
    private int[] bucket;
    private long[] belowBucket;
    private long[][] low;
    private int[] keys;
    private long[] below;
    private long[] equal;

    /**
     * @param n number of elements
     * @param ranks ascending ranks in {@code [0, n)} to select; may be empty and given after pass 1 via
     *     {@link #select(long...)} (when they depend on {@link #zeros()})
     */
    public RadixSelect(long n, long... ranks) {
        this.n = n;
        this.ranks = ranks.length == 0 ? null : ranks.clone();
    }

    public boolean wantsPass() {
        return stage == Stage.HIGH || stage == Stage.LOW;
    }

    /** Number of exact zeros (±0), known after the first pass. */
    public long zeros() {
        if (stage == Stage.HIGH) throw new IllegalStateException("first pass not done");
        return zeros;
    }

    /** Sets the ranks to find; only before pass 2. */
    public void select(long... r) {
        if (stage != Stage.HIGH && stage != Stage.RANKS) throw new IllegalStateException("ranks already set");
        for (long x : r) {
            if (x < 0 || x >= n) throw new IllegalArgumentException("rank " + x + " outside [0, " + n + ")");
        }
        ranks = r.clone();
        if (stage == Stage.RANKS) resolveBuckets();
    }

    public void observe(long offset, float[] values, int from, int len) {
        switch (stage) {
            case HIGH -> {
                for (int i = from, end = from + len; i < end; i++) {
                    int b = MagnitudeKey.of(values[i]);
                    high[b >>> 16]++;
                    if (b == 0) zeros++;
                }
            }
            case LOW -> {
                for (int i = from, end = from + len; i < end; i++) {
                    int b = MagnitudeKey.of(values[i]);
                    for (int r = 0; r < ranks.length; r++) {
                        if ((b >>> 16) == bucket[r]) {
                            low[r][b & 0xFFFF]++;
                            break; // ranks sharing a bucket share one histogram array
                        }
                    }
                }
            }
            default -> throw new IllegalStateException("no pass wanted in stage " + stage);
        }
    }

    public void endPass() {
        switch (stage) {
            case HIGH -> {
                stage = Stage.RANKS;
                if (ranks != null) resolveBuckets();
            }
            case LOW -> resolveValues();
            default -> throw new IllegalStateException("no pass wanted in stage " + stage);
        }
    }

    /** The magnitude key of the element at the {@code i}-th requested rank. */
    public int key(int i) { return done()[i]; }

    /** How many elements have a magnitude below {@link #key(int)}. */
    public long below(int i) { done(); return below[i]; }

    /** How many elements have exactly the magnitude {@link #key(int)} (at least 1). */
    public long equal(int i) { done(); return equal[i]; }

    /**
     * Whether the rank falls strictly inside its run of equal magnitudes: some elements equal to
     * {@link #key(int)} rank below it and some at or above, so values alone do not say which are which.
     */
    public boolean straddles(int i) { return ranks[i] > below(i); }

    private int[] done() {
        if (stage != Stage.DONE) throw new IllegalStateException("selection not finished");
        return keys;
    }

    private void resolveBuckets() {
        int m = ranks.length;
        bucket = new int[m];
        belowBucket = new long[m];
        low = new long[m][];
        for (int r = 0; r < m; r++) {
            long cum = 0;
            int h = 0;
            while (cum + high[h] <= ranks[r]) cum += high[h++];
            bucket[r] = h;
            belowBucket[r] = cum;
            for (int q = 0; q < r; q++) {
                if (bucket[q] == h) low[r] = low[q];
            }
            if (low[r] == null) low[r] = new long[1 << 16];
        }
        high = null;
        stage = Stage.LOW;
        if (m == 0) resolveValues();
    }

    private void resolveValues() {
        int m = ranks.length;
        keys = new int[m];
        below = new long[m];
        equal = new long[m];
        for (int r = 0; r < m; r++) {
            long[] hist = low[r];
            long within = ranks[r] - belowBucket[r];
            long cum = 0;
            int lo = 0;
            while (cum + hist[lo] <= within) cum += hist[lo++];
            keys[r] = (bucket[r] << 16) | lo;
            below[r] = belowBucket[r] + cum;
            equal[r] = hist[lo];
        }
        low = null;
        stage = Stage.DONE;
    }

    @Override
    public String toString() {
        return "RadixSelect[n=" + n + ", stage=" + stage + ", ranks=" + Arrays.toString(ranks) + "]";
    }
}
