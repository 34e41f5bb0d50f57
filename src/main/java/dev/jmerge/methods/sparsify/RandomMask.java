package dev.jmerge.methods.sparsify;

import dev.jmerge.methods.random.CounterRng;

/** DARE drop: each element survives independently with probability {@code density}. */
final class RandomMask implements TileMask {

    private final long key;
    private final double density;

    RandomMask(long key, double density) {
        this.key = key;
        this.density = density;
    }

    @Override
    public void apply(long offset, float[] delta, int len) {
        for (int i = 0; i < len; i++) {
            if (!(CounterRng.uniform(key, offset + i) < density)) delta[i] = 0f;
        }
    }
}
