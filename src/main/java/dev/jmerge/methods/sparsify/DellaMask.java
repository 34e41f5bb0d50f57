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
    private final long[] order;

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
        order = new long[groupLength];
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
            order[t] = ((long) Cut.magnitudeBits(delta[first + t * stride]) << 32) | t;
        }
        Arrays.sort(order); // magnitude bits first, position second: a stable ascending ranking
        for (int r = 0; r < n; r++) {
            int t = (int) order[r];
            int at = first + t * stride;
            double p = n == 1 ? density : low + span * ((double) r / (n - 1));
            if (!(CounterRng.uniform(key, offset + at) < p)) delta[at] = 0f;
        }
    }
}
