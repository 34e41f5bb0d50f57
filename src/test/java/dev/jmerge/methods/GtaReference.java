package dev.jmerge.methods;

import dev.jmerge.methods.random.CounterRng;
import dev.jmerge.methods.sparsify.LibstdcxxSort;
import java.util.Arrays;
import java.util.Comparator;

/**
 * Plain whole-array float64 references of compat §2.11/§2.12 for tests: sorting allowed, nothing streamed.
 * Magnitude selections take torch's order of equal magnitudes from the full libstdc++ sort
 * ({@link LibstdcxxSort}); DELLA ranks equal magnitudes in index order (a stable sort), as the implementation
 * promises. The random sparsifiers use the same counter generator so their masks can be compared element by
 * element.
 */
final class GtaReference {

    private GtaReference() {}

    static float[] delta(float[] x, float[] b) {
        float[] d = new float[x.length];
        for (int i = 0; i < d.length; i++) d[i] = x[i] - b[i];
        return d;
    }

    /** torch.argsort(|d|, descending): the positions in torch's order. */
    private static int[] torchOrder(float[] d, boolean descending) {
        float[] mag = new float[d.length];
        for (int i = 0; i < d.length; i++) mag[i] = Math.abs(d[i]);
        return LibstdcxxSort.argsort(mag, descending);
    }

    private static Integer[] byMagnitude(float[] d, boolean descending) {
        Integer[] idx = new Integer[d.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Comparator<Integer> c = Comparator.comparingDouble(i -> Math.abs(d[i]));
        Arrays.sort(idx, descending ? c.reversed() : c); // stable: equal magnitudes stay in index order
        return idx;
    }

    static float[] magnitude(float[] d, double density) {
        if (density >= 1) return d.clone();
        int k = (int) (density * d.length);
        float[] out = new float[d.length];
        int[] idx = torchOrder(d, true);
        for (int r = 0; r < k; r++) out[idx[r]] = d[idx[r]];
        return out;
    }

    static float[] outliers(float[] d, double density, double gamma) {
        if (density >= 1) return d.clone();
        int n = d.length;
        int keep = (int) (density * n);
        int top = (int) (gamma * n);
        int bot = n - keep - top;
        if (bot < 0) { top += bot; bot = 0; }
        float[] out = new float[n];
        if (top == 0) return out; // mergekit's [bot:-0] slice
        int[] idx = torchOrder(d, false);
        for (int r = bot; r < n - top; r++) out[idx[r]] = d[idx[r]];
        return out;
    }

    static float[] random(float[] d, double density, long key) {
        if (density >= 1) return d.clone();
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) if (CounterRng.uniform(key, i) < density) out[i] = d[i];
        return out;
    }

    /** DELLA on a tensor of {@code shape}: ranks along axis 1 (a 1-D tensor is one row). */
    static float[] della(float[] d, long[] shape, double density, double eps, long key) {
        if (density >= 1) return d.clone();
        float[] out = new float[d.length];
        if (density <= 0) return out;
        int outer = shape.length < 2 ? 1 : (int) shape[0];
        int len = shape.length < 2 ? d.length : (int) shape[1];
        int inner = d.length / Math.max(1, outer * len);
        for (int a = 0; a < outer; a++) {
            for (int c = 0; c < inner; c++) {
                float[] row = new float[len];
                int[] at = new int[len];
                for (int t = 0; t < len; t++) {
                    at[t] = (a * len + t) * inner + c;
                    row[t] = d[at[t]];
                }
                Integer[] order = byMagnitude(row, false);
                for (int r = 0; r < len; r++) {
                    double rho = len == 1 ? 0.5 : (double) r / (len - 1);
                    double p = density - eps + 2 * eps * rho;
                    int e = at[order[r]];
                    if (CounterRng.uniform(key, e) < p) out[e] = d[e];
                }
            }
        }
        return out;
    }

    static float[] rescaleL1(float[] original, float[] masked) {
        double before = 0;
        double after = 0;
        for (int i = 0; i < original.length; i++) {
            before += Math.abs(original[i]);
            after += Math.abs(masked[i]);
        }
        if (before < 1e-7 || after < 1e-7) return masked;
        float[] out = new float[masked.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) (masked[i] * (before / after));
        return out;
    }

    /** Steps 3–7 of §2.11 on already sparsified deltas. */
    static float[] combine(float[] b, float[][] deltas, double[] w, boolean consensus, boolean normalize, double lambda) {
        float[] out = new float[b.length];
        double wsum = 0;
        for (double x : w) wsum += (float) x;
        if (Math.abs(wsum) < 1e-8) wsum = 1;
        for (int i = 0; i < b.length; i++) {
            double[] dw = new double[deltas.length];
            double total = 0;
            for (int m = 0; m < deltas.length; m++) {
                dw[m] = deltas[m][i] * (float) w[m];
                total += dw[m];
            }
            double num = 0;
            double den;
            if (consensus) {
                double s = total >= 0 ? 1 : -1;
                den = 0;
                for (int m = 0; m < deltas.length; m++) {
                    if (Math.signum(dw[m]) == s) {
                        num += dw[m];
                        den += (float) w[m];
                    }
                }
                if (den == 0) den = 1;
            } else {
                num = total;
                den = wsum;
            }
            double delta = (normalize ? num / den : num) * lambda;
            out[i] = (float) (b[i] + delta);
        }
        return out;
    }

    /** §2.12 with whole arrays. */
    static float[] sce(float[] b, float[][] xs, double topk) {
        int k = xs.length;
        int n = b.length;
        float[][] d = new float[k][];
        for (int m = 0; m < k; m++) d[m] = delta(xs[m], b);
        if (topk <= 0) return b.clone();
        if (topk < 1) {
            float[] var = new float[n];
            int nonzero = 0;
            for (int i = 0; i < n; i++) {
                double mean = 0;
                for (int m = 0; m < k; m++) mean += d[m][i];
                mean /= k;
                double v = 0;
                for (int m = 0; m < k; m++) v += (d[m][i] - mean) * (d[m][i] - mean);
                var[i] = (float) (v / k);
                if (var[i] != 0) nonzero++;
            }
            int kept = (int) (nonzero * topk);
            boolean[] keep = new boolean[n];
            for (int i : LibstdcxxSort.topk(var, kept, true, true)) keep[i] = true;
            for (int m = 0; m < k; m++) for (int i = 0; i < n; i++) if (!keep[i]) d[m][i] = 0;
        }
        double[] ms = new double[k];
        double total = 0;
        for (int m = 0; m < k; m++) {
            for (float x : d[m]) ms[m] += (double) x * x;
            ms[m] /= n;
            total += ms[m];
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int m = 0; m < k; m++) s += d[m][i];
            double sign = s >= 0 ? 1 : -1;
            double num = 0;
            double den = 0;
            for (int m = 0; m < k; m++) {
                double omega = Math.abs(total) < 1e-6 ? 1.0 / k : ms[m] / total;
                if (Math.signum(d[m][i]) == sign) {
                    num += omega * d[m][i];
                    den += omega;
                }
            }
            out[i] = (float) (b[i] + num / Math.max(den, 1e-6));
        }
        return out;
    }
}
