package dev.jmerge.methods.sparsify;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.tensor.Shape;
import dev.jmerge.methods.random.CounterRng;
import java.util.Arrays;

/**
 * DELLA MAGPRUNE: within each ranking group, the element of ascending magnitude rank {@code r} (0-based,
 * ties by index as a stable sort) survives with probability {@code (density − ε) + 2ε·r/(n − 1)}.
 *
 * <p>Groups follow mergekit: a 0-D/1-D tensor is one group; otherwise ranking runs along axis 1, so for
 * each index of axis 0 (a "slab" of {@code numel/shape[0]} contiguous elements, which is what
 * {@code Tiles.forEachRows} hands out) and each position of the axes after 1 there is one group of
 * {@code shape[1]} elements with stride {@code prod(shape[2..])}. For 2-D that is simply each row.
 * A group of one element has no rank spread (mergekit divides 0 by 0 there and fails); it keeps with
 * probability {@code density}.
 *
 * <p>With {@code rescale} the mask is applied twice (L1 norms, then the output); {@link L1Rescale} remembers the
 * keep bits of the first application, so the ranking runs once.
 */
public final class DellaMask implements TileMask {

    private final long key;
    private final double low;
    private final double span;
    private final double density;
    private final int slab;
    private final int groupLength;
    private final int stride;
    private final long[] belowByRank;
    private final int[] keys;
    /** The group's draws by position in the group. */
    private final long[] draws;
    private final Kernels kernels;
    private int[] order;
    private int[] spare;
    private static final int DIGIT_BITS = 8;
    private static final int DIGITS = 1 << DIGIT_BITS;
    private static final int DIGIT_MASK = DIGITS - 1;
    /** Magnitudes have 31 bits. */
    private static final int PASSES = (31 + DIGIT_BITS - 1) / DIGIT_BITS;
    /** One histogram of {@link #DIGITS} + 1 counts per pass (a spare slot for the exclusive prefix sum). */
    private static final int SLOTS = DIGITS + 1;
    private final int[] count = new int[PASSES * SLOTS];
    /** Groups at least this long are masked by {@link #maskGroupByBand}; shorter ones are ranked whole. */
    static final int BAND_MIN_GROUP = 512;
    /** Buckets of the band path: a magnitude key's top 11 bits (sign bit 0, exponent, 3 mantissa bits). */
    private static final int BUCKET_SHIFT = 20;
    private static final int BUCKETS = (MagnitudeKey.MAX >>> BUCKET_SHIFT) + 1;
    private final int[] bucketStart = new int[BUCKETS + 1];
    private final int[] openHead = new int[BUCKETS];
    private final int[] bandT;
    private final long[] bandU;
    private final int[] openJ;
    private final int[] openRank;
    private final int[] members;
    private final long[] openSorted;
    private final int[] openOfT;
    private final int[] openDiff;
    /** Per bucket with open draws: the end of its run in {@code openSorted} ({@code openHead}: the start). */
    private final int[] openEnd = new int[BUCKETS];

    /** @param kernels draw each group's random numbers ({@link Kernels#counterDraws}) */
    DellaMask(Shape shape, long key, double density, double epsilon, Kernels kernels) {
        this.key = key;
        this.kernels = kernels;
        this.density = density;
        this.low = density - epsilon;
        this.span = 2 * epsilon;
        long numel = shape.numel();
        if (shape.rank() < 2) {
            slab = Math.toIntExact(numel);
            groupLength = slab;
            stride = 1;
        } else {
            slab = Math.toIntExact(numel / shape.dim(0));
            groupLength = Math.toIntExact(shape.dim(1));
            stride = groupLength == 0 ? 1 : slab / groupLength;
        }
        belowByRank = new long[groupLength];
        for (int r = 0; r < groupLength; r++) {
            // the keep probability of rank r, computed as before, then as the integer threshold of its draw
            double p = groupLength == 1 ? density : low + span * ((double) r / (groupLength - 1));
            belowByRank[r] = CounterRng.below(p);
        }
        keys = new int[groupLength];
        draws = new long[groupLength];
        boolean byBand = groupLength >= BAND_MIN_GROUP;
        order = new int[byBand ? 0 : groupLength];
        spare = new int[byBand ? 0 : groupLength];
        bandT = new int[byBand ? groupLength : 0];
        bandU = new long[byBand ? groupLength : 0];
        openJ = new int[byBand ? groupLength : 0];
        openRank = new int[byBand ? groupLength : 0];
        members = new int[byBand ? groupLength : 0];
        openSorted = new long[byBand ? groupLength : 0];
        openOfT = new int[byBand ? groupLength : 0];
        openDiff = new int[byBand ? groupLength + 1 : 0];
        Arrays.fill(openHead, -1);
    }

    /** Whether some group has a single element (rank spread undefined). */
    boolean hasSingletonGroups() { return groupLength == 1; }

    @Override
    public void apply(long offset, float[] delta, int len) {
        if (slab == 0) return;
        if (offset % slab != 0 || len % slab != 0) {
            throw new IllegalArgumentException("della tiles must be whole slabs of " + slab + " elements");
        }
        for (int s = 0; s < len; s += slab) {
            for (int c = 0; c < stride; c++) {
                maskGroup(offset, delta, s + c);
            }
        }
    }

    private void maskGroup(long offset, float[] delta, int first) {
        if (groupLength >= BAND_MIN_GROUP) maskGroupByBand(offset, delta, first);
        else maskGroupSorted(offset, delta, first);
    }

    /** Ranks the whole group, then draws in rank order. */
    private void maskGroupSorted(long offset, float[] delta, int first) {
        int n = groupLength;
        for (int t = 0; t < n; t++) {
            keys[t] = MagnitudeKey.of(delta[first + t * stride]);
            order[t] = t;
        }
        rank(n);
        kernels.counterDraws(key, offset + first, stride, draws, n);
        for (int r = 0; r < n; r++) {
            int t = order[r];
            int at = first + t * stride;
            // uniform < p as an integer compare turned into a mask (see CounterRng.below): no branch on a
            // coin toss; dropped values become +0
            int keep = (int) ((draws[t] - belowByRank[r]) >> 63);
            delta[at] = Float.intBitsToFloat(Float.floatToRawIntBits(delta[at]) & keep);
        }
    }

    /**
     * Draws first and ranks only where the rank can matter. Keep thresholds rise with the rank from
     * {@code below(density − ε)} to {@code below(density + ε)}, so a draw under the lowest keeps its element
     * and one at or over the highest drops it whatever the rank: only the draws in between (about 2ε of them)
     * need a rank. For those, the group's bucket counts (magnitude bits with three mantissa bits, 2048
     * buckets) bound the rank to its bucket's range, which decides almost all of them; the few whose threshold
     * crosses inside that range are ranked exactly by counting the smaller keys (and equal keys at lower
     * positions) in their bucket: those draws are sorted, and each member of their buckets finds by binary
     * search the ones it ranks below. The same bits as ranking everything.
     */
    private void maskGroupByBand(long offset, float[] delta, int first) {
        int n = groupLength;
        long lowest = belowByRank[0];
        long highest = belowByRank[n - 1];
        int[] start = bucketStart;
        Arrays.fill(start, 0);
        int band = 0;
        long[] drawn = draws;
        kernels.counterDraws(key, offset + first, stride, drawn, n);
        for (int t = 0; t < n; t++) {
            int at = first + t * stride;
            int raw = Float.floatToRawIntBits(delta[at]);
            int k = Math.min(raw & 0x7FFF_FFFF, MagnitudeKey.MAX);
            keys[t] = k;
            start[(k >>> BUCKET_SHIFT) + 1]++;
            long u = drawn[t];
            int dropped = (int) ((highest - 1 - u) >> 63); // -1 when u ≥ the highest threshold
            delta[at] = Float.intBitsToFloat(raw & ~dropped);
            bandT[band] = t;
            bandU[band] = u;
            band += (int) (((u - lowest) >>> 63) ^ 1) & ~dropped; // lowest ≤ u < highest
        }
        if (band == 0) return;
        for (int b = 1; b <= BUCKETS; b++) start[b] += start[b - 1]; // start[b]: keys in buckets below b
        int open = 0;
        for (int j = 0; j < band; j++) {
            int t = bandT[j];
            long u = bandU[j];
            int b = keys[t] >>> BUCKET_SHIFT;
            if (u < belowByRank[start[b]]) continue; // kept at the bucket's lowest rank, so at any of its ranks
            if (u >= belowByRank[start[b + 1] - 1]) {
                int at = first + t * stride;
                delta[at] = Float.intBitsToFloat(Float.floatToRawIntBits(delta[at]) & 0);
                continue;
            }
            openJ[open] = j;
            openRank[open] = start[b];
            openHead[b] = 0; // the bucket has open draws; where they lie in openSorted is set below
            open++;
        }
        if (open == 0) return;
        // the open draws sorted by (key, position), which is rank order, so each open bucket's draws are a run
        long[] sorted = openSorted;
        for (int q = 0; q < open; q++) {
            int t = bandT[openJ[q]];
            sorted[q] = (long) keys[t] << 32 | t;
            openOfT[t] = q;
        }
        Arrays.sort(sorted, 0, open);
        for (int i = 0; i < open; i++) {
            int b = (int) (sorted[i] >>> 32) >>> BUCKET_SHIFT;
            if (i == 0 || b != (int) (sorted[i - 1] >>> 32) >>> BUCKET_SHIFT) openHead[b] = i;
            openEnd[b] = i + 1;
        }
        // the positions in buckets with open draws (no branch per element: most are in other buckets); each adds
        // one to the rank of the draws of its bucket that sort after it, a run ending at the bucket's end
        int[] m = members;
        int count = 0;
        for (int s = 0; s < n; s++) {
            m[count] = s;
            count += ~openHead[keys[s] >>> BUCKET_SHIFT] >>> 31;
        }
        int[] diff = openDiff;
        Arrays.fill(diff, 0, open + 1, 0);
        for (int j = 0; j < count; j++) {
            int s = m[j];
            int ks = keys[s];
            int b = ks >>> BUCKET_SHIFT;
            long v = (long) ks << 32 | s;
            int lo = openHead[b], hi = openEnd[b], end = hi;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (sorted[mid] > v) hi = mid;
                else lo = mid + 1;
            }
            diff[lo]++;
            diff[end]--;
        }
        int smaller = 0;
        for (int i = 0; i < open; i++) {
            smaller += diff[i];
            openRank[openOfT[(int) sorted[i]]] += smaller;
        }
        for (int q = 0; q < open; q++) {
            int t = bandT[openJ[q]];
            openHead[keys[t] >>> BUCKET_SHIFT] = -1;
            int at = first + t * stride;
            int keep = (int) ((bandU[openJ[q]] - belowByRank[openRank[q]]) >> 63);
            delta[at] = Float.intBitsToFloat(Float.floatToRawIntBits(delta[at]) & keep);
        }
    }

    /**
     * Sorts {@code order[0..n)} (positions, initially ascending) by magnitude bits, stably: the ranking of a
     * stable sort on (magnitude, position). An LSD radix sort on 8-bit digits, all histograms counted in one
     * sweep, digits all keys share skipped. Small digits keep the per-row histogram work (clearing and prefix
     * sums) small next to the rows of a few thousand elements.
     */
    private void rank(int n) {
        if (n == 0) return;
        Arrays.fill(count, 0);
        for (int t = 0; t < n; t++) {
            int k = keys[t];
            for (int pass = 0; pass < PASSES; pass++) count[pass * SLOTS + ((k >>> pass * DIGIT_BITS) & DIGIT_MASK) + 1]++;
        }
        for (int pass = 0; pass < PASSES; pass++) {
            int base = pass * SLOTS, shift = pass * DIGIT_BITS;
            if (count[base + ((keys[0] >>> shift) & DIGIT_MASK) + 1] == n) continue; // one digit value: no-op
            for (int d = 0; d < DIGITS - 1; d++) count[base + d + 1] += count[base + d];
            int[] src = order, dst = spare;
            for (int i = 0; i < n; i++) {
                int t = src[i];
                dst[count[base + ((keys[t] >>> shift) & DIGIT_MASK)]++] = t;
            }
            order = dst;
            spare = src;
        }
    }
}
