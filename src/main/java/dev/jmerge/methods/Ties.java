package dev.jmerge.methods;

import dev.jmerge.methods.sparsify.Sparsification;

/** {@code ties}: magnitude trim, sign election, mean over the agreeing weights. */
public final class Ties extends TaskArithmeticFamily {

    public Ties() {
        super("ties", "TIES", "https://arxiv.org/abs/2306.01708", Sparsification.MAGNITUDE, true, true, false);
    }
}
