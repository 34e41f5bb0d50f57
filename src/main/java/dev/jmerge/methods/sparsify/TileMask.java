package dev.jmerge.methods.sparsify;

/**
 * A sparsified task vector, applied tile by tile: zeroes the dropped elements of a tile of {@code δ} in place
 * (and rescales the kept ones when asked). Deterministic per element, so any tile can be masked on its own;
 * tiles must be whole rows for row-wise masks. Confined to the merge call that built it.
 */
@FunctionalInterface
public interface TileMask {

    /** Masks {@code delta[0..len)}, which holds elements {@code [offset, offset+len)} of the tensor. */
    void apply(long offset, float[] delta, int len);
}
