package dev.jmerge.methods;

import dev.jmerge.kernels.KernelUse;
import dev.jmerge.kernels.Kernels;
import java.util.List;
import java.util.Set;

/**
 * mergekit {@code model_stock}: moves from the base towards the mean of the fine-tunes by
 * {@code t = N·c / (1 + (N−1)·c)}, c being the mean pairwise cosine of the task vectors. With
 * {@code filter_wise} the cosine and t are taken per row (per vector along the last axis).
 */
public final class ModelStock implements MergeMethod {

    static final ParamSpec FILTER_WISE = ParamSpec.flag("filter_wise", false,
            "one interpolation factor per row instead of per tensor");

    private static final double MIN_NORM_PRODUCT = 1e-6;

    @Override public String name() { return "model_stock"; }
    @Override public String prettyName() { return "Model Stock"; }
    @Override public String reference() { return "https://arxiv.org/abs/2403.19522"; }
    @Override public BaseModelRule baseModel() { return BaseModelRule.REQUIRED; }

    @Override
    public List<ParamSpec> globalParameters() {
        return List.of(FILTER_WISE);
    }

    @Override public List<ParamSpec> modelParameters() { return List.of(); }

    @Override
    public String checkInputs(int models, boolean hasBase) {
        if (hasBase && models >= 2) return null;
        return "model_stock needs base_model and at least two other models; " + Inputs.got(models, hasBase);
    }

    @Override
    public Set<KernelUse> kernelUse(Params global) {
        return KernelUse.of(KernelUse.SUB, KernelUse.DOT, KernelUse.SUM_SQUARES, KernelUse.AXPY, KernelUse.LINCOMB);
    }

    @Override
    public void merge(MergeInput in, TensorOutput out) {
        int base = Inputs.requireBase(in, name());
        if (in.count() == 1) {
            Inputs.copy(in, base, out);
            return;
        }
        if (in.count() < 3) {
            // mergekit drops an optional tensor here and fails on a required one; which it is, the planner knows.
            throw Inputs.wrongCount(in, name(), "the base and at least two other models");
        }
        int[] idx = Inputs.others(in);
        in.stats().tilesHandedOver(); // the first pass hands every task vector over
        if (in.global().flag(FILTER_WISE)) {
            mergeRows(in, out, base, idx);
        } else {
            Factor f = Factor.of(Combination.gram(in, idx, base));
            if (f.dividesByZero()) warnQuirk(in, f.cosine());
            in.stats().interpolation(f.t());
            write(in, out, base, idx, f.t());
        }
    }

    /** Mean pairwise cosine c of the task vectors and t = N·c/(1+(N−1)·c). */
    private record Factor(double cosine, double t, boolean dividesByZero) {

        static Factor of(double[][] g) {
            int n = g.length;
            double sum = 0;
            int pairs = 0;
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    double norms = Math.max(Math.sqrt(g[i][i]) * Math.sqrt(g[j][j]), MIN_NORM_PRODUCT);
                    sum += Math.clamp(g[i][j] / norms, -1.0, 1.0);
                    pairs++;
                }
            }
            double c = sum / pairs;
            double den = 1 + (n - 1) * c;
            return new Factor(c, n * c / den, den == 0);
        }
    }

    private static void warnQuirk(MergeInput in, double c) {
        in.warn("model_stock: mean task-vector cosine is -1/(N-1) = " + c
                + "; t = N·c/(1+(N-1)·c) divides by zero and gives inf/NaN as in mergekit");
    }

    private static void mergeRows(MergeInput in, TensorOutput out, int base, int[] idx) {
        int n = idx.length;
        int cols = Inputs.lastAxis(in);
        long rows = cols == 0 ? 0 : in.numel() / cols;
        float[][] t = in.tiles(n + 2, cols);
        float[] b = t[n], acc = t[n + 1];
        Kernels k = in.kernels();
        boolean[] warned = {false};
        double[][] g = new double[n][n];
        // One row per tile: its statistics and its output come from the same read.
        Tiles.forEachRows(rows, cols, cols, (off, len) -> {
            in.read(base, off, b, 0, len);
            for (int i = 0; i < n; i++) {
                in.read(idx[i], off, t[i], 0, len);
                k.sub(t[i], b, t[i], len);
            }
            in.stats().taskVectors(off, len, idx, t, b);
            for (int i = 0; i < n; i++) {
                for (int j = i; j < n; j++) {
                    g[i][j] = i == j ? k.sumSquares(t[i], len) : k.dot(t[i], t[j], len);
                    g[j][i] = g[i][j];
                }
            }
            Factor f = Factor.of(g);
            if (f.dividesByZero() && !warned[0]) {
                warned[0] = true;
                warnQuirk(in, f.cosine());
            }
            in.stats().interpolation(f.t());
            // mergekit averages the fine-tunes themselves, not the task vectors: read them again.
            for (int i = 0; i < n; i++) in.read(idx[i], off, t[i], 0, len);
            combine(k, t, n, b, acc, len, f.t());
            out.write(off, acc, 0, len);
        });
    }

    private static void write(MergeInput in, TensorOutput out, int base, int[] idx, double t) {
        int n = idx.length;
        float[][] tiles = in.tiles(n + 2);
        float[] b = tiles[n], acc = tiles[n + 1];
        Kernels k = in.kernels();
        MergeStats stats = in.stats();
        boolean report = stats.enabled();
        int[] which = java.util.Arrays.copyOf(idx, n + 1);
        which[n] = base; // tiles[n] is b
        Tiles.forEach(in.numel(), in.chunkSize(), (off, len) -> {
            in.read(base, off, b, 0, len);
            for (int i = 0; i < n; i++) in.read(idx[i], off, tiles[i], 0, len);
            if (report) stats.inputs(off, len, which, tiles); // counted in the first pass: the output is compared here
            combine(k, tiles, n, b, acc, len, t);
            out.write(off, acc, 0, len);
        });
    }

    /** {@code acc = t·mean(x) + (1−t)·b}, the mean taken as sum then divide like mergekit. */
    private static void combine(Kernels k, float[][] x, int n, float[] b, float[] acc, int len, double t) {
        java.util.Arrays.fill(acc, 0, len, 0f);
        for (int i = 0; i < n; i++) k.axpy(1f, x[i], acc, len);
        for (int e = 0; e < len; e++) acc[e] /= n;
        k.lincomb((float) t, acc, (float) (1 - t), b, acc, len);
    }
}
