package dev.jmerge.methods;

import dev.jmerge.methods.sparsify.Sparsification;

/** {@code breadcrumbs}: drops the smallest and the largest magnitudes, then a weighted sum. */
public final class Breadcrumbs extends TaskArithmeticFamily {

    public Breadcrumbs() {
        super("breadcrumbs", "Model Breadcrumbs", "https://arxiv.org/abs/2312.06795", Sparsification.MAGNITUDE_OUTLIERS, false, false, false);
    }
}
