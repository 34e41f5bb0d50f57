package dev.jmerge.methods;

import dev.jmerge.methods.sparsify.Sparsification;

/** {@code dare_ties}: random drop with L1 rescale, then sign election (no division by the weights by default). */
public final class DareTies extends TaskArithmeticFamily {

    public DareTies() {
        super("dare_ties", "DARE TIES", "https://arxiv.org/abs/2311.03099", Sparsification.RANDOM, true, false, true);
    }
}
