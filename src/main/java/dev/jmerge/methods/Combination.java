package dev.jmerge.methods;

import dev.jmerge.kernels.KernelUse;
import dev.jmerge.kernels.Kernels;
import java.util.Set;

/**
 * Methods whose result lies in the span of their inputs (slerp, nuslerp, multislerp, karcher, model_stock
 * flattened): one pass gathers the Gram matrix of the vectors in float64, the method works on n×n numbers,
 * and a last pass writes {@code base + Σ c_k v_k}. Memory stays at a few tiles whatever the tensor size.
 */
final class Combination {

    /** What {@link #gram} and {@link #write} call. */
    static final Set<KernelUse> KERNELS =
            KernelUse.of(KernelUse.SUB, KernelUse.DOT, KernelUse.SUM_SQUARES, KernelUse.AXPY);

    private Combination() {}

    /**
     * Gram matrix of {@code v_k = x[idx[k]] − x[base]} (or {@code x[idx[k]]} when {@code base < 0}),
     * accumulated in float64 over the whole tensor.
     */
    static double[][] gram(MergeInput in, int[] idx, int base) {
        int n = idx.length;
        double[][] g = new double[n][n];
        float[][] t = in.tiles(n + 1);
        float[] b = t[n];
        Kernels k = in.kernels();
        MergeStats stats = in.stats();
        boolean report = stats.enabled();
        // a Gram the report can take whole spares it a sweep of its own over every tile
        boolean whole = report && stats.takesGram(idx, base);
        boolean hand = report && !whole;
        Tiles.forEach(in.numel(), in.chunkSize(), (off, len) -> {
            if (base >= 0) in.read(base, off, b, 0, len);
            for (int i = 0; i < n; i++) {
                in.read(idx[i], off, t[i], 0, len);
                if (base >= 0) k.sub(t[i], b, t[i], len);
            }
            if (hand && base >= 0) stats.taskVectors(off, len, idx, t, b);
            else if (hand) stats.inputs(off, len, idx, t);
            for (int i = 0; i < n; i++) {
                for (int j = i; j < n; j++) {
                    g[i][j] += i == j ? k.sumSquares(t[i], len) : k.dot(t[i], t[j], len);
                }
            }
        });
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) g[i][j] = g[j][i];
        }
        if (whole) stats.gram(g);
        return g;
    }

    /** Writes {@code x[base] + Σ c_k (x[idx[k]] − x[base])}, or {@code Σ c_k x[idx[k]]} when {@code base < 0}. */
    static void write(MergeInput in, TensorOutput out, int[] idx, int base, double[] coef) {
        write(in, out, idx, base, coef, null);
    }

    /**
     * As {@link #write(MergeInput, TensorOutput, int[], int, double[])}, not reading the vectors whose coefficient
     * is 0 in float32 and whose squared norm in {@code g} (their {@link #gram}) is finite: every element of such a
     * vector is finite, so its term {@code 0·v} is ±0, and adding ±0 to the sum leaves it as it is (the sum starts at
     * +0 and so is never −0). Slerp's {@code t} of 0 or 1, common at the ends of a gradient, reads one input, not two.
     */
    static void write(MergeInput in, TensorOutput out, int[] idx, int base, double[] coef, double[][] g) {
        MergeStats stats = in.stats();
        boolean report = stats.enabled();
        boolean[] skip = new boolean[idx.length];
        for (int i = 0; i < skip.length; i++) {
            skip[i] = !report && g != null && (float) coef[i] == 0 && Double.isFinite(g[i][i]);
        }
        int n = idx.length;
        // with a report each input keeps its own tile, so the output is compared with the base tile read here
        float[][] t = in.tiles(report ? n + 2 : 3);
        float[] b = t[report ? n : 0], acc = t[report ? n + 1 : 2];
        int[] handed = base >= 0 ? new int[] {base} : idx;
        float[][] handedTiles = base >= 0 ? new float[][] {b} : t;
        Kernels k = in.kernels();
        Tiles.forEach(in.numel(), in.chunkSize(), (off, len) -> {
            java.util.Arrays.fill(acc, 0, len, 0f);
            if (base >= 0) in.read(base, off, b, 0, len);
            for (int i = 0; i < n; i++) {
                if (skip[i]) continue;
                float[] x = t[report ? i : 1];
                in.read(idx[i], off, x, 0, len);
                if (base >= 0) k.sub(x, b, x, len);
                k.axpy((float) coef[i], x, acc, len);
            }
            if (base >= 0) k.axpy(1f, b, acc, len);
            if (report) stats.inputs(off, len, handed, handedTiles);
            out.write(off, acc, 0, len);
        });
    }

    /** {@code cᵀ G d}. */
    static double inner(double[][] g, double[] c, double[] d) {
        double s = 0;
        for (int i = 0; i < c.length; i++) {
            if (c[i] == 0) continue;
            double row = 0;
            for (int j = 0; j < d.length; j++) row += g[i][j] * d[j];
            s += c[i] * row;
        }
        return s;
    }

    /** Norm of the vector with coefficients {@code c}; rounding can make {@code cᵀGc} slightly negative. */
    static double norm(double[][] g, double[] c) {
        return Math.sqrt(Math.max(0, inner(g, c, c)));
    }
}
