package dev.jmerge.methods;

import dev.jmerge.kernels.KernelUse;
import dev.jmerge.kernels.Kernels;
import java.util.List;
import java.util.Set;

/**
 * mergekit {@code nuslerp}: slerp of two models with {@code t = w₂/(w₁+w₂)}, optionally on task vectors
 * (with a base), over the whole tensor ({@code nuslerp_flatten}), per vector along the last axis, or per
 * vector along axis 0 ({@code nuslerp_row_wise}).
 */
public final class NuSlerp implements MergeMethod {

    static final ParamSpec FLATTEN = ParamSpec.flag("nuslerp_flatten", true, "treat the whole tensor as one vector");
    static final ParamSpec ROW_WISE = ParamSpec.flag("nuslerp_row_wise", false,
            "without flatten: interpolate vectors along axis 0 instead of the last axis");
    static final ParamSpec WEIGHT = ParamSpec.required("weight", "relative weight; t = w2 / (w1 + w2)");

    private static final double MIN_NORM = 1e-7;
    private static final double COLINEAR_SIN = 1e-8;

    @Override public String name() { return "nuslerp"; }
    @Override public String prettyName() { return "NuSLERP"; }
    @Override public String reference() { return null; }
    @Override public BaseModelRule baseModel() { return BaseModelRule.OPTIONAL; }

    @Override
    public List<ParamSpec> globalParameters() {
        return List.of(FLATTEN, ROW_WISE);
    }

    @Override
    public List<ParamSpec> modelParameters() {
        return List.of(WEIGHT);
    }

    @Override
    public String checkInputs(int models, boolean hasBase) {
        return models == 2 ? null : "nuslerp needs exactly two models besides the optional base_model; " + Inputs.got(models, hasBase);
    }

    @Override
    public Set<KernelUse> kernelUse(Params global) {
        return KernelUse.of(KernelUse.SUB, KernelUse.DOT, KernelUse.SUM_SQUARES, KernelUse.LINCOMB, KernelUse.AXPY);
    }

    @Override
    public void merge(MergeInput in, TensorOutput out) {
        if (in.count() == 1) {
            Inputs.copy(in, 0, out);
            return;
        }
        int base = in.baseIndex();
        int[] idx = Inputs.others(in);
        if (idx.length != 2) throw Inputs.wrongCount(in, name(), "exactly two models besides the optional base");
        double w0 = in.model(idx[0]).get(WEIGHT), w1 = in.model(idx[1]).get(WEIGHT);
        double t = Math.abs(w0 + w1) < 1e-6 ? 0.5 : w1 / (w0 + w1);
        if (in.global().flag(FLATTEN)) {
            double[][] g = Combination.gram(in, idx, base);
            double[] c = coefficients(t, g[0][0], g[1][1], g[0][1]);
            Combination.write(in, out, idx, base, c);
        } else if (in.global().flag(ROW_WISE)) {
            mergeColumns(in, out, idx, base, t);
        } else {
            mergeRows(in, out, idx, base, t);
        }
    }

    /** Weights of v0 and v1 given their squared norms and dot product. */
    static double[] coefficients(double t, double ss0, double ss1, double dot) {
        double n0 = Math.max(Math.sqrt(ss0), MIN_NORM), n1 = Math.max(Math.sqrt(ss1), MIN_NORM);
        double theta = Math.acos(Math.clamp(dot / (n0 * n1), -1.0, 1.0));
        double s = Math.sin(theta);
        if (Math.abs(s) < COLINEAR_SIN) return new double[] {1 - t, t};
        return new double[] {Math.sin((1 - t) * theta) / s, Math.sin(t * theta) / s};
    }

    /** Vectors along the last axis: each is a row, read, measured and written in one go. */
    private static void mergeRows(MergeInput in, TensorOutput out, int[] idx, int base, double t) {
        int cols = Inputs.lastAxis(in);
        long rows = cols == 0 ? 0 : in.numel() / cols;
        float[][] tl = in.tiles(3, cols);
        float[] v0 = tl[0], v1 = tl[1], b = tl[2];
        Kernels k = in.kernels();
        Tiles.forEachRows(rows, cols, cols, (off, len) -> {
            in.read(idx[0], off, v0, 0, len);
            in.read(idx[1], off, v1, 0, len);
            if (base >= 0) {
                in.read(base, off, b, 0, len);
                k.sub(v0, b, v0, len);
                k.sub(v1, b, v1, len);
            }
            double[] c = coefficients(t, k.sumSquares(v0, len), k.sumSquares(v1, len), k.dot(v0, v1, len));
            k.lincomb((float) c[0], v0, (float) c[1], v1, v0, len);
            if (base >= 0) k.axpy(1f, b, v0, len);
            out.write(off, v0, 0, len);
        });
    }

    /**
     * Vectors along axis 0: column j of the tensor seen as [shape[0], rest]. Columns are strided, so a first
     * pass accumulates per-column norms and dots and a second one writes.
     */
    private static void mergeColumns(MergeInput in, TensorOutput out, int[] idx, int base, double t) {
        long[] shape = in.shape().dims();
        long height = shape.length == 0 ? 1 : shape[0];
        int width = Math.toIntExact(height == 0 ? 0 : in.numel() / height);
        double[] ss0 = new double[width], ss1 = new double[width], dot = new double[width];
        float[][] tl = in.tiles(3);
        float[] v0 = tl[0], v1 = tl[1], b = tl[2];
        Kernels k = in.kernels();
        Tiles.TileVisitor load = (off, len) -> {
            in.read(idx[0], off, v0, 0, len);
            in.read(idx[1], off, v1, 0, len);
            if (base >= 0) {
                in.read(base, off, b, 0, len);
                k.sub(v0, b, v0, len);
                k.sub(v1, b, v1, len);
            }
        };
        Tiles.forEach(in.numel(), in.chunkSize(), (off, len) -> {
            load.visit(off, len);
            int col = (int) (off % width);
            for (int e = 0; e < len; e++) {
                double a = v0[e], c = v1[e];
                ss0[col] += a * a;
                ss1[col] += c * c;
                dot[col] += a * c;
                if (++col == width) col = 0;
            }
        });
        float[] c0 = new float[width], c1 = new float[width];
        for (int j = 0; j < width; j++) {
            double[] c = coefficients(t, ss0[j], ss1[j], dot[j]);
            c0[j] = (float) c[0];
            c1[j] = (float) c[1];
        }
        Tiles.forEach(in.numel(), in.chunkSize(), (off, len) -> {
            load.visit(off, len);
            int col = (int) (off % width);
            for (int e = 0; e < len; e++) {
                float r = c0[col] * v0[e] + c1[col] * v1[e];
                v0[e] = base >= 0 ? r + b[e] : r;
                if (++col == width) col = 0;
            }
            out.write(off, v0, 0, len);
        });
    }
}
