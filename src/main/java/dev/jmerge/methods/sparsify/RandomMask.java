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
        // The keep test as an integer compare turned into a bit mask: half the draws fail at random, which
        // as a branch costs a misprediction each. Kept values keep their bits, dropped ones become +0.
        long below = CounterRng.below(density);
        for (int i = 0; i < len; i++) {
            int keep = (int) ((CounterRng.bits53(key, offset + i) - below) >> 63); // -1 when drawn below
            delta[i] = Float.intBitsToFloat(Float.floatToRawIntBits(delta[i]) & keep);
        }
    }
}
