package dev.jmerge.methods.sparsify;

import java.util.Arrays;

/**
 * Exact rank selection on magnitude keys ({@link MagnitudeKey}, which order like ints) without sorting: a
 * first sweep histograms the keys' top 16 bits, a second the low 16 bits inside the bucket holding each rank,
 * which gives the exact key at the rank, how many keys lie below it and how many equal it. Which of several
 * equal elements take the rank is not decided here ({@link TorchSelection} does that).
 *
 * <p>The caller feeds every key to {@link #high} (in any order), sets the ranks, feeds every key to
 * {@link #low}, and calls {@link #resolve()}.
 */
final class RadixSelect {

    private final long n;
    private long[] high = new long[1 << 16];
    private long[] odd;
    private long zeros;
    private long[] ranks;
    private int[] bucket;
    private long[] belowBucket;
    private long[][] lowHist;
    private int lowBucketA = -1;
    private int lowBucketB = -1;
    private long[] lowA;
    private long[] lowB;
    private int[] keys;
    private long[] below;
    private long[] equal;

    RadixSelect(long n) { this.n = n; }

    /** First sweep: one key. */
    void high(int key) {
        high[key >>> 16]++;
        if (key == 0) zeros++;
    }

    /**
     * First sweep: {@code keys[0..len)}. Two histograms take alternate keys, so that runs of keys in one bucket
     * (most keys of a task vector fall in a few hundred) do not wait on each other's increments.
     */
    void high(int[] keys, int len) {
        if (odd == null) odd = new long[1 << 16];
        long[] h0 = high, h1 = odd;
        int z = 0;
        int i = 0;
        for (; i + 1 < len; i += 2) {
            int k0 = keys[i], k1 = keys[i + 1];
            h0[k0 >>> 16]++;
            h1[k1 >>> 16]++;
            z += (k0 == 0 ? 1 : 0) + (k1 == 0 ? 1 : 0);
        }
        if (i < len) {
            h0[keys[i] >>> 16]++;
            z += keys[i] == 0 ? 1 : 0;
        }
        zeros += z;
    }

    /** Adds the second histogram of {@link #high(int[], int)} into the first. */
    private void mergeHigh() {
        if (odd == null) return;
        for (int b = 0; b < odd.length; b++) high[b] += odd[b];
        odd = null;
    }

    /** Number of zero keys (±0), once the first sweep is done. */
    long zeros() { return zeros; }

    /** The ascending ranks in {@code [0, n)} to find (one or two), after the first sweep. */
    void select(long... r) {
        if (r.length == 0 || r.length > 2) throw new IllegalArgumentException("one or two ranks, got " + r.length);
        for (long x : r) {
            if (x < 0 || x >= n) throw new IllegalArgumentException("rank " + x + " outside [0, " + n + ")");
        }
        mergeHigh();
        ranks = r.clone();
        int m = ranks.length;
        bucket = new int[m];
        belowBucket = new long[m];
        lowHist = new long[m][];
        for (int q = 0; q < m; q++) {
            long cum = 0;
            int h = 0;
            while (cum + high[h] <= ranks[q]) cum += high[h++];
            bucket[q] = h;
            belowBucket[q] = cum;
            lowHist[q] = q > 0 && bucket[0] == h ? lowHist[0] : new long[1 << 16];
        }
        high = null;
        lowBucketA = bucket[0];
        lowA = lowHist[0];
        lowBucketB = m > 1 && bucket[1] != bucket[0] ? bucket[1] : -1;
        lowB = m > 1 ? lowHist[1] : null;
    }

    /** The buckets (top 16 bits of a key) the second sweep must see, one or two, once the ranks are set. */
    int[] lowBuckets() { return lowBucketB < 0 ? new int[] {lowBucketA} : new int[] {lowBucketA, lowBucketB}; }

    /** Second sweep: one key. */
    void low(int key) {
        int h = key >>> 16;
        if (h == lowBucketA) lowA[key & 0xFFFF]++;
        else if (h == lowBucketB) lowB[key & 0xFFFF]++;
    }

    /** After the second sweep: the keys at the ranks. */
    void resolve() {
        int m = ranks.length;
        keys = new int[m];
        below = new long[m];
        equal = new long[m];
        for (int q = 0; q < m; q++) {
            long[] hist = lowHist[q];
            long within = ranks[q] - belowBucket[q];
            long cum = 0;
            int lo = 0;
            while (cum + hist[lo] <= within) cum += hist[lo++];
            keys[q] = (bucket[q] << 16) | lo;
            below[q] = belowBucket[q] + cum;
            equal[q] = hist[lo];
        }
        lowHist = null;
        lowA = lowB = null;
    }

    /** The magnitude key of the element at the {@code q}-th requested rank. */
    int key(int q) { return keys[q]; }

    /** How many keys are below {@link #key(int)}. */
    long below(int q) { return below[q]; }

    /** How many keys equal {@link #key(int)} (at least 1). */
    long equal(int q) { return equal[q]; }

    /**
     * Whether the rank falls strictly inside its run of equal keys: some elements equal to {@link #key(int)}
     * rank below it and some at or above, so values alone do not say which are which.
     */
    boolean straddles(int q) { return ranks[q] > below[q]; }

    @Override
    public String toString() {
        return "RadixSelect[n=" + n + ", ranks=" + Arrays.toString(ranks) + "]";
    }
}
