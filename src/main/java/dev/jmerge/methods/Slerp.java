package dev.jmerge.methods;

import dev.jmerge.kernels.KernelUse;
import java.util.List;
import java.util.Set;

/**
 * mergekit {@code slerp}: spherical interpolation between the base ({@code t = 0}) and the other model
 * ({@code t = 1}), the whole tensor taken as one vector. The angle comes from a first pass (norms and dot in
 * float64); the original, unnormalised vectors are then combined.
 */
public final class Slerp implements MergeMethod {

    /** Above this |cos θ| the vectors count as colinear and are lerped (mergekit's DOT_THRESHOLD). */
    static final double DOT_THRESHOLD = 0.9995;
    /** Norms at or below this are not divided by. */
    static final double NORM_EPS = 1e-8;

    static final ParamSpec T = ParamSpec.required("t", "interpolation factor: 0 = base model, 1 = the other model");

    @Override public String name() { return "slerp"; }
    @Override public String prettyName() { return "SLERP"; }
    @Override public String reference() { return "https://en.wikipedia.org/wiki/Slerp"; }
    @Override public BaseModelRule baseModel() { return BaseModelRule.REQUIRED; }

    @Override
    public List<ParamSpec> globalParameters() {
        return List.of(T);
    }

    @Override public List<ParamSpec> modelParameters() { return List.of(); }

    @Override
    public String checkInputs(int models, boolean hasBase) {
        return Inputs.baseAndOneOther(name(), models, hasBase);
    }

    @Override
    public Set<KernelUse> kernelUse(Params global) { return Combination.KERNELS; }

    @Override
    public void merge(MergeInput in, TensorOutput out) {
        int other = Inputs.otherThanBase(in, name(), out);
        if (other < 0) return;
        int base = 1 - other;
        in.stats().tilesHandedOver(); // the Gram pass hands both inputs over
        double t = in.global().get(T);
        double[][] g = Combination.gram(in, new int[] {base, other}, -1);
        double n0 = Math.sqrt(g[0][0]), n1 = Math.sqrt(g[1][1]);
        double d = g[0][1] / ((n0 > NORM_EPS ? n0 : 1) * (n1 > NORM_EPS ? n1 : 1));
        double[] c;
        if (Math.abs(d) > DOT_THRESHOLD) {
            c = new double[] {1 - t, t};
        } else {
            double theta = Math.acos(d);
            double s = Math.sin(theta);
            c = new double[] {Math.sin(theta - t * theta) / s, Math.sin(t * theta) / s};
        }
        Combination.write(in, out, new int[] {base, other}, -1, c, g);
    }
}
