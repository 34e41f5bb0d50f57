package dev.jmerge.methods.sparsify;

import java.util.Arrays;

/**
 * Exact rank selection on magnitudes, streamed: finds the elements at given ascending ranks of {@code |v|}
 * without sorting or holding the tensor. Non-negative float bits order like ints, so pass 1 histograms the
 * top 16 bits, pass 2 the low 16 bits inside the bucket holding each rank, which gives the exact magnitude
 * and how many elements lie below it. Ties at that magnitude are resolved by index ({@link Cut}); only when
 * the rank falls strictly inside a run of equal magnitudes does a third pass find the deciding index.
 *
 * <p>Passes must visit every element once, in index order (the tie pass counts in that order). The caller
 * drives: while {@link #wantsPass()}, feed all tiles to {@link #observe} and then call {@link #endPass()}.
 */
public final class RadixSelect {

    private enum Stage { HIGH, RANKS, LOW, INDEX, DONE }

    private final long n;
    private final boolean lowIndexIsGreater;
    private Stage stage = Stage.HIGH;
    private long[] high = new long[1 << 16];
    private long zeros;
    private long[] ranks;
    private int[] bucket;
    private long[] belowBucket;
    private long[][] low;
    private int[] bits;
    private long[] tieOrdinal; // which equal element (in index order) decides, -1 when none needs finding
    private long[] tieIndex;
    private long[] equalSeen;

    /**
     * @param n number of elements
     * @param lowIndexIsGreater tie order, see {@link Cut}
     * @param ranks ascending ranks in {@code [0, n)} to select; may be empty and given after pass 1 via
     *     {@link #select(long...)} (when they depend on {@link #zeros()})
     */
    public RadixSelect(long n, boolean lowIndexIsGreater, long... ranks) {
        this.n = n;
        this.lowIndexIsGreater = lowIndexIsGreater;
        this.ranks = ranks.length == 0 ? null : ranks.clone();
    }

    public boolean wantsPass() {
        return stage == Stage.HIGH || stage == Stage.LOW || stage == Stage.INDEX;
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
                    int b = Cut.magnitudeBits(values[i]);
                    high[b >>> 16]++;
                    if (b == 0) zeros++;
                }
            }
            case LOW -> {
                for (int i = from, end = from + len; i < end; i++) {
                    int b = Cut.magnitudeBits(values[i]);
                    for (int r = 0; r < ranks.length; r++) {
                        if ((b >>> 16) == bucket[r]) {
                            low[r][b & 0xFFFF]++;
                            break; // ranks sharing a bucket share one histogram array
                        }
                    }
                }
            }
            case INDEX -> {
                for (int i = from, end = from + len; i < end; i++) {
                    int b = Cut.magnitudeBits(values[i]);
                    for (int r = 0; r < ranks.length; r++) {
                        if (b == bits[r] && tieOrdinal[r] >= 0) {
                            if (equalSeen[r] == tieOrdinal[r]) tieIndex[r] = offset + (i - from);
                            equalSeen[r]++;
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
            case INDEX -> stage = Stage.DONE;
            default -> throw new IllegalStateException("no pass wanted in stage " + stage);
        }
    }

    /** The cut at the {@code i}-th requested rank: the element there and all above it are admitted. */
    public Cut cut(int i) {
        if (stage != Stage.DONE) throw new IllegalStateException("selection not finished");
        return new Cut(bits[i], tieIndex[i], lowIndexIsGreater);
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
        stage = m == 0 ? Stage.DONE : Stage.LOW;
        if (m == 0) { bits = new int[0]; tieIndex = new long[0]; }
    }

    private void resolveValues() {
        int m = ranks.length;
        bits = new int[m];
        tieOrdinal = new long[m];
        tieIndex = new long[m];
        equalSeen = new long[m];
        boolean needIndex = false;
        for (int r = 0; r < m; r++) {
            long[] hist = low[r];
            long within = ranks[r] - belowBucket[r];
            long cum = 0;
            int lo = 0;
            while (cum + hist[lo] <= within) cum += hist[lo++];
            bits[r] = (bucket[r] << 16) | lo;
            long equal = hist[lo];
            long j = within - cum; // position of the rank inside its run of equal magnitudes, ascending
            if (j == 0) {
                // the run's lowest-ranked member: every equal element is at or above the cut
                tieOrdinal[r] = -1;
                tieIndex[r] = lowIndexIsGreater ? Long.MAX_VALUE : Long.MIN_VALUE;
            } else {
                tieOrdinal[r] = lowIndexIsGreater ? equal - 1 - j : j;
                needIndex = true;
            }
        }
        low = null;
        stage = needIndex ? Stage.INDEX : Stage.DONE;
    }

    @Override
    public String toString() {
        return "RadixSelect[n=" + n + ", stage=" + stage + ", ranks=" + Arrays.toString(ranks) + "]";
    }
}
