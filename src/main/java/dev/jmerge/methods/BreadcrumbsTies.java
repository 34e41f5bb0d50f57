package dev.jmerge.methods;

import dev.jmerge.methods.sparsify.Sparsification;

/** {@code breadcrumbs_ties}: breadcrumbs sparsification followed by sign election. */
public final class BreadcrumbsTies extends TaskArithmeticFamily {

    public BreadcrumbsTies() {
        super("breadcrumbs_ties", "Model Breadcrumbs with TIES", "https://arxiv.org/abs/2312.06795", Sparsification.MAGNITUDE_OUTLIERS, true, false, false);
    }
}
