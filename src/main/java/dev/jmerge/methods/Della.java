package dev.jmerge.methods;

import dev.jmerge.methods.sparsify.Sparsification;

/** {@code della}: rank-dependent random drop with L1 rescale, sign election, mean over the agreeing weights. */
public final class Della extends TaskArithmeticFamily {

    public Della() {
        super("della", "DELLA", "https://arxiv.org/abs/2406.11617", Sparsification.DELLA_MAGPRUNE, true, true, true);
    }
}
