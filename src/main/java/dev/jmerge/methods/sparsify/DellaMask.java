package dev.jmerge.methods.sparsify;

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
 */
final class DellaMask implements TileMask {

    private final long key;
    private final double low;
    private final double span;
    private final double density;
    private final int slab;
    private final int groupLength;
    private final int stride;
    private final int[] keys;
    private int[] order;
    private int[] spare;
    private final int[] count = new int[257];

    DellaMask(long[] shape, long key, double density, double epsilon) {
        this.key = key;
        this.density = density;
        this.low = density - epsilon;
        this.span = 2 * epsilon;
        long numel = 1;
        for (long d : shape) numel *= d;
        if (shape.length < 2) {
            slab = Math.toIntExact(numel);
            groupLength = slab;
            stride = 1;
        } else {
            slab = Math.toIntExact(numel / shape[0]);
            groupLength = Math.toIntExact(shape[1]);
            stride = groupLength == 0 ? 1 : slab / groupLength;
        }
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
        for (int s = 0; s < len; s += slab) {
            for (int c = 0; c < stride; c++) {
                maskGroup(offset, delta, s + c);
            }
        }
    }

    private void maskGroup(long offset, float[] delta, int first) {
        int n = groupLength;
        for (int t = 0; t < n; t++) {
            keys[t] = Cut.magnitudeBits(delta[first + t * stride]);
            order[t] = t;
        }
        rank(n);
        for (int r = 0; r < n; r++) {
            int t = order[r];
            int at = first + t * stride;
            double p = n == 1 ? density : low + span * ((double) r / (n - 1));
            // an int select, not a branch: half the draws fail at random; dropped values become +0
            int keep = CounterRng.uniform(key, offset + at) < p ? -1 : 0;
            delta[at] = Float.intBitsToFloat(Float.floatToRawIntBits(delta[at]) & keep);
        }
    }

    /**
     * Sorts {@code order[0..n)} (positions, initially ascending) by magnitude bits, stably: the ranking of a
     * stable sort on (magnitude, position). An LSD radix sort, byte by byte, skipping bytes all keys share;
     * several times faster than a comparison sort on rows of a few thousand elements.
     */
    private void rank(int n) {
        for (int shift = 0; shift < 32; shift += 8) {
            Arrays.fill(count, 0);
            for (int t = 0; t < n; t++) count[((keys[t] >>> shift) & 0xFF) + 1]++;
            if (n == 0 || count[((keys[0] >>> shift) & 0xFF) + 1] == n) continue;
            for (int d = 0; d < 256; d++) count[d + 1] += count[d];
            int[] src = order, dst = spare;
            for (int i = 0; i < n; i++) {
                int t = src[i];
                dst[count[(keys[t] >>> shift) & 0xFF]++] = t;
            }
            order = dst;
            spare = src;
        }
    }
}
