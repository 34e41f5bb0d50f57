package dev.jmerge.methods;

import dev.jmerge.kernels.KernelUse;
import java.util.List;
import java.util.Set;

/**
 * mergekit {@code karcher}: the Riemannian (Karcher) mean of the inputs' directions with equal weights,
 * scaled by their mean norm. Every iterate stays in the span of the inputs, so the iteration runs on
 * coefficients over the Gram matrix of one pass; the result is written in a second.
 */
public final class Karcher implements MergeMethod {

    static final ParamSpec MAX_ITER = ParamSpec.withDefault("max_iter", 10, "maximum number of iterations");
    static final ParamSpec TOL = ParamSpec.withDefault("tol", 1e-5, "convergence tolerance");

    @Override public String name() { return "karcher"; }
    @Override public String prettyName() { return "Karcher Mean"; }
    @Override public String reference() { return "https://en.wikipedia.org/wiki/Karcher_mean"; }
    @Override public BaseModelRule baseModel() { return BaseModelRule.IGNORED; }

    @Override
    public List<ParamSpec> globalParameters() {
        return List.of(MAX_ITER, TOL);
    }

    @Override public List<ParamSpec> modelParameters() { return List.of(); }

    @Override
    public String checkInputs(int models, boolean hasBase) {
        return models + (hasBase ? 1 : 0) >= 1 ? null : "karcher needs at least one model, " + Inputs.got(models, hasBase);
    }

    @Override
    public Set<KernelUse> kernelUse(Params global) { return Combination.KERNELS; }

    @Override
    public void merge(MergeInput in, TensorOutput out) {
        int n = in.count();
        if (n == 1) {
            Inputs.copy(in, 0, out);
            return;
        }
        // The base, when present, is averaged like any other input (mergekit gathers it with the rest).
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        in.stats().tilesHandedOver(); // the Gram pass hands every input over
        double[][] g = Combination.gram(in, all, -1);
        double[] c = coefficients(g, (int) in.global().get(MAX_ITER), in.global().get(TOL));
        if (c == null) {
            Inputs.zeros(in, out);
        } else {
            Combination.write(in, out, all, -1, c);
        }
    }

    /** Coefficients of the result over the inputs, or null when every input has a zero norm. */
    static double[] coefficients(double[][] g, int maxIter, double tol) {
        int n = g.length;
        double alpha = 1.0 / n;
        double[] r = new double[n];
        int valid = 0;
        for (int i = 0; i < n; i++) {
            r[i] = Math.sqrt(g[i][i]);
            if (r[i] > tol) valid++;
        }
        if (valid == 0) return null;
        double a = 1.0 / valid; // equal weights renormalised over the inputs that count
        double[] u = new double[n];
        int first = -1;
        for (int i = 0; i < n; i++) {
            if (r[i] > tol) {
                u[i] = a / r[i];
                if (first < 0) first = i;
            }
        }
        double norm = Combination.norm(g, u);
        if (norm < tol) {
            u = new double[n];
            u[first] = 1 / r[first];
        } else {
            scale(u, 1 / norm);
        }
        for (int iter = 0; iter < maxIter; iter++) {
            double[] gu = times(g, u);
            double[] tan = new double[n];
            for (int i = 0; i < n; i++) {
                if (!(r[i] > tol)) continue;
                double cos = Math.clamp(gu[i] / r[i], -1.0, 1.0);
                double theta = Math.acos(cos);
                if (theta < tol) continue;
                double f = a * theta / Math.sin(theta);
                tan[i] += f / r[i];
                for (int j = 0; j < n; j++) tan[j] -= f * cos * u[j];
            }
            double tNorm = Combination.norm(g, tan);
            if (tNorm < tol) break;
            double cs = Math.cos(tNorm), sn = Math.sin(tNorm) / tNorm;
            for (int j = 0; j < n; j++) u[j] = cs * u[j] + sn * tan[j];
            double un = Combination.norm(g, u);
            if (un > tol) scale(u, 1 / un);
        }
        double s = 0;
        for (int i = 0; i < n; i++) s += alpha * r[i];
        scale(u, s);
        return u;
    }

    private static double[] times(double[][] g, double[] c) {
        double[] y = new double[c.length];
        for (int i = 0; i < c.length; i++) {
            for (int j = 0; j < c.length; j++) y[i] += g[i][j] * c[j];
        }
        return y;
    }

    private static void scale(double[] v, double f) {
        for (int i = 0; i < v.length; i++) v[i] *= f;
    }
}
