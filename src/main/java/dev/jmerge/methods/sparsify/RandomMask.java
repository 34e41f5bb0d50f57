package dev.jmerge.methods.sparsify;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.methods.random.CounterRng;

/** DARE drop: each element survives independently with probability {@code density}. */
final class RandomMask implements TileMask {

    private final long key;
    private final long below;
    private final Kernels kernels;

    RandomMask(long key, double density, Kernels kernels) {
        this.key = key;
        this.below = CounterRng.below(density);
        this.kernels = kernels;
    }

    /** Kept values keep their bits, dropped ones become +0 ({@link Kernels#keepDrawn}: no branch on a coin toss). */
    @Override
    public void apply(long offset, float[] delta, int len) { kernels.keepDrawn(key, offset, below, delta, len); }
}
