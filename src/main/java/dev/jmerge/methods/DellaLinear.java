package dev.jmerge.methods;

import dev.jmerge.methods.sparsify.Sparsification;

/** {@code della_linear}: rank-dependent random drop with L1 rescale, then a weighted sum. */
public final class DellaLinear extends TaskArithmeticFamily {

    public DellaLinear() {
        super("della_linear", "Linear DELLA", "https://arxiv.org/abs/2406.11617", Sparsification.DELLA_MAGPRUNE, false, false, true);
    }
}
