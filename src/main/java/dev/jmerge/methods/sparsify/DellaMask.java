package dev.jmerge.methods.sparsify;

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
 * <p>With {@code rescale} the mask is applied twice (L1 norms, then the output), and ranking is most of
 * della's time: the keep bits of the first application are remembered (one bit per element, for tensors up
 * to {@link #MEMO_LIMIT} elements) and replayed in the second, which gives the same bits without ranking.
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
    /** Largest tensor whose keep bits are remembered: 2^27 elements, a 16 MB bit set per model. */
    static final long MEMO_LIMIT = 1L << 27;

    /** Bytes of remembered keep bits for one model's tensor of {@code numel} elements (0 when not remembered). */
    public static long memoBytes(long numel) {
        return numel > MEMO_LIMIT ? 0 : ((numel + 63) >>> 6) * Long.BYTES;
    }
    private final long[] memo;
    private long recordedUpTo;

    /** @param appliedTwice whether the mask will be applied in two passes (rescale), so remembering pays */
    DellaMask(Shape shape, long key, double density, double epsilon, boolean appliedTwice) {
        this.key = key;
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
        memo = appliedTwice && numel > 0 && numel <= MEMO_LIMIT ? new long[Math.toIntExact((numel + 63) >>> 6)] : null;
        keys = new int[groupLength];
        order = new int[groupLength];
        spare = new int[groupLength];
    }

    /** Whether some group has a single element (rank spread undefined). */
    boolean hasSingletonGroups() { return groupLength == 1; }

    @Override
    public void apply(long offset, float[] delta, int len) {
        if (slab == 0) return;
        if (offset % slab != 0 || len % slab != 0) {
            throw new IllegalArgumentException("della tiles must be whole slabs of " + slab + " elements");
        }
        if (memo != null && offset + len <= recordedUpTo) {
            replay(offset, delta, len);
            return;
        }
        for (int s = 0; s < len; s += slab) {
            for (int c = 0; c < stride; c++) {
                maskGroup(offset, delta, s + c);
            }
        }
        if (memo != null) recordedUpTo = Math.max(recordedUpTo, offset + len);
    }

    private void replay(long offset, float[] delta, int len) {
        for (int i = 0; i < len; i++) {
            long e = offset + i;
            int keep = (int) -((memo[(int) (e >>> 6)] >>> e) & 1L);
            delta[i] = Float.intBitsToFloat(Float.floatToRawIntBits(delta[i]) & keep);
        }
    }

    private void maskGroup(long offset, float[] delta, int first) {
        int n = groupLength;
        for (int t = 0; t < n; t++) {
            keys[t] = MagnitudeKey.of(delta[first + t * stride]);
            order[t] = t;
        }
        rank(n);
        for (int r = 0; r < n; r++) {
            int t = order[r];
            int at = first + t * stride;
            // uniform < p as an integer compare turned into a mask (see CounterRng.below): no branch on a
            // coin toss; dropped values become +0
            int keep = (int) ((CounterRng.bits53(key, offset + at) - belowByRank[r]) >> 63);
            delta[at] = Float.intBitsToFloat(Float.floatToRawIntBits(delta[at]) & keep);
            if (memo != null) {
                long e = offset + at;
                memo[(int) (e >>> 6)] |= (keep & 1L) << e; // fresh array, each element written once
            }
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
