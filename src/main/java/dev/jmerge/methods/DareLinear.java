package dev.jmerge.methods;

import dev.jmerge.methods.sparsify.Sparsification;

/** {@code dare_linear}: random drop with L1 rescale, then a plain weighted sum. */
public final class DareLinear extends TaskArithmeticFamily {

    public DareLinear() {
        super("dare_linear", "Linear DARE", "https://arxiv.org/abs/2311.03099", Sparsification.RANDOM, false, false, true);
    }
}
