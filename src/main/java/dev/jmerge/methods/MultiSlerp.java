package dev.jmerge.methods;

import dev.jmerge.error.MergeException;
import java.util.List;

/**
 * mergekit {@code multislerp}: barycentric interpolation of n models on the hypersphere (optionally of their
 * task vectors). Every quantity of the algorithm is a linear combination of the inputs, so it runs on the
 * n×n Gram matrix from one pass and writes the combination in a second.
 */
public final class MultiSlerp implements MergeMethod {

    static final ParamSpec NORMALIZE_WEIGHTS = ParamSpec.flag("normalize_weights", true, "divide the weights by their sum");
    static final ParamSpec EPS = ParamSpec.withDefault("eps", 1e-8, "guard added to norms");
    static final ParamSpec WEIGHT = ParamSpec.required("weight", "weight of this model");

    @Override public String name() { return "multislerp"; }
    @Override public String prettyName() { return "Multi-SLERP"; }
    @Override public String reference() { return "https://goddard.blog/posts/multislerp-wow-what-a-cool-idea"; }
    @Override public BaseModelRule baseModel() { return BaseModelRule.OPTIONAL; }

    @Override
    public List<ParamSpec> globalParameters() {
        return List.of(NORMALIZE_WEIGHTS, EPS);
    }

    @Override
    public List<ParamSpec> modelParameters() {
        return List.of(WEIGHT);
    }

    @Override
    public String checkInputs(int models, boolean hasBase) {
        return models >= 1 ? null : "multislerp needs at least one model besides the base; " + Inputs.got(models, hasBase);
    }

    @Override
    public void merge(MergeInput in, TensorOutput out) {
        int base = in.baseIndex();
        int[] idx = Inputs.others(in);
        if (idx.length <= 1) {
            Inputs.copy(in, idx.length == 1 ? idx[0] : base, out);
            return;
        }
        int n = idx.length;
        double eps = in.global().get(EPS);
        double[] w = new double[n];
        double wsum = 0;
        for (int i = 0; i < n; i++) {
            w[i] = in.model(idx[i]).get(WEIGHT);
            wsum += w[i];
        }
        if (in.global().flag(NORMALIZE_WEIGHTS)) {
            for (int i = 0; i < n; i++) w[i] /= wsum;
        }
        double[][] g = Combination.gram(in, idx, base);
        Combination.write(in, out, idx, base, coefficients(g, w, eps, in));
    }

    private static double[] coefficients(double[][] g, double[] w, double eps, MergeInput in) {
        int n = w.length;
        double[] r = new double[n], unit = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = Math.sqrt(g[i][i]);
            unit[i] = 1 / (r[i] + eps);
        }
        double[] mean = new double[n];
        for (int i = 0; i < n; i++) mean[i] = w[i] * unit[i];
        double meanNorm = Combination.norm(g, mean);
        if (meanNorm < eps) {
            if (n == 2) return w.clone();
            throw new MergeException("multislerp: tensor '" + in.tensorName() + "': the weighted mean of the"
                    + " normalised inputs is zero (antipodal inputs with balancing weights); change the weights");
        }
        for (int i = 0; i < n; i++) mean[i] /= meanNorm;
        // τ = Σ w_i (u_i − (u_i·m̂) m̂)
        double[] tangent = new double[n];
        double along = 0;
        for (int i = 0; i < n; i++) {
            double[] ui = new double[n];
            ui[i] = unit[i];
            along += w[i] * Combination.inner(g, ui, mean);
            tangent[i] = w[i] * unit[i];
        }
        for (int i = 0; i < n; i++) tangent[i] -= along * mean[i];
        double nu = Combination.norm(g, tangent) + eps;
        double scale = 0;
        for (int i = 0; i < n; i++) scale += w[i] * r[i];
        double[] c = new double[n];
        for (int i = 0; i < n; i++) {
            c[i] = (mean[i] * Math.cos(nu) + tangent[i] * Math.sin(nu) / nu) * scale;
        }
        return c;
    }
}
