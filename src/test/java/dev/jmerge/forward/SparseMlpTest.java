package dev.jmerge.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.KernelsProvider;
import dev.jmerge.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The mixture-of-experts MLP against a float64 reference of transformers' routing, and its routing by hand. */
class SparseMlpTest {

    private static final int E = 4, K = 2, H = 8, I = 12;
    private final SplittableRandom random = new SplittableRandom(5);
    private final Arena arena = Arena.ofAuto();

    @Test
    void routingIsSoftmaxTopKRenormalisedWithTiesToTheLowerIndex() {
        SparseMlp m = new SparseMlp(null, new Mlp[0], 2, true);
        int[] chosen = new int[2];
        float[] w = new float[2];
        // probabilities proportional to 1, 2, 3, 0.5: experts 2 and 1, weights 3/5 and 2/5 once renormalised
        m.route(new float[] {0, (float) Math.log(2), (float) Math.log(3), (float) Math.log(0.5)}, 0, 4, chosen, w, 0);
        assertThat(chosen).containsExactly(2, 1);
        assertThat(w[0]).isCloseTo(0.6f, offset(1e-6f));
        assertThat(w[1]).isCloseTo(0.4f, offset(1e-6f));
        m.route(new float[] {1, 3, 3, 3}, 0, 4, chosen, w, 0);
        assertThat(chosen).containsExactly(1, 2);
        SparseMlp raw = new SparseMlp(null, new Mlp[0], 2, false);
        raw.route(new float[] {0, (float) Math.log(2), (float) Math.log(3), (float) Math.log(0.5)}, 0, 4, chosen, w, 0);
        assertThat(w[0]).isCloseTo(3 / 6.5f, offset(1e-6f));
        assertThat(w[1]).isCloseTo(2 / 6.5f, offset(1e-6f));
    }

    @Test
    void outputIsTheWeightedSumOfTheChosenExpertsAddedToTheResidual() {
        for (boolean norm : new boolean[] {true, false}) {
            double[][] router = matrix(E, H);
            double[][][] gate = new double[E][][], up = new double[E][][], down = new double[E][][];
            Mlp[] experts = new Mlp[E];
            for (int e = 0; e < E; e++) {
                gate[e] = matrix(I, H);
                up[e] = matrix(I, H);
                down[e] = matrix(H, I);
                experts[e] = new Mlp(linear(gate[e]), linear(up[e]), linear(down[e]));
            }
            SparseMlp m = new SparseMlp(linear(router), experts, K, norm);
            int rows = 7, first = 2;
            float[] xn = new float[(first + rows) * H], x = new float[(first + rows) * H];
            for (int i = 0; i < xn.length; i++) {
                xn[i] = (float) random.nextGaussian();
                x[i] = (float) random.nextGaussian();
            }
            float[] got = x.clone();
            Kernels k = KernelsProvider.get();
            try (Parallel par = new Parallel(2)) {
                m.apply(k, par, xn, first, rows, H, got);
            }
            for (int r = 0; r < first + rows; r++) {
                double[] want = new double[H];
                if (r >= first) want = reference(router, gate, up, down, xn, r, norm);
                for (int c = 0; c < H; c++) {
                    assertThat((double) got[r * H + c]).as("row %d column %d (norm %s)", r, c, norm)
                            .isCloseTo(x[r * H + c] + want[c], offset(1e-4));
                }
            }
        }
    }

    /** transformers' MixtralSparseMoeBlock for one row, in float64. */
    private static double[] reference(double[][] router, double[][][] gate, double[][][] up, double[][][] down,
                                      float[] xn, int r, boolean norm) {
        double[] in = new double[H];
        for (int i = 0; i < H; i++) in[i] = xn[r * H + i];
        double[] logits = mul(router, in);
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double l : logits) max = Math.max(max, l);
        double[] p = new double[E];
        for (int e = 0; e < E; e++) sum += p[e] = Math.exp(logits[e] - max);
        for (int e = 0; e < E; e++) p[e] /= sum;
        int[] top = new int[K];
        boolean[] taken = new boolean[E];
        double total = 0;
        for (int j = 0; j < K; j++) {
            int best = -1;
            for (int e = 0; e < E; e++) if (!taken[e] && (best < 0 || p[e] > p[best])) best = e;
            taken[best] = true;
            top[j] = best;
            total += p[best];
        }
        double[] out = new double[H];
        for (int e : top) {
            double w = norm ? p[e] / total : p[e];
            double[] g = mul(gate[e], in), u = mul(up[e], in), a = new double[I];
            for (int i = 0; i < I; i++) a[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
            double[] y = mul(down[e], a);
            for (int c = 0; c < H; c++) out[c] += w * y[c];
        }
        return out;
    }

    private static double[] mul(double[][] w, double[] x) {
        double[] y = new double[w.length];
        for (int j = 0; j < w.length; j++) for (int i = 0; i < x.length; i++) y[j] += w[j][i] * x[i];
        return y;
    }

    /** Values exactly representable in float32, so the reference and the float32 weights agree. */
    private double[][] matrix(int rows, int cols) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) for (int i = 0; i < cols; i++) row[i] = (float) (random.nextGaussian() / Math.sqrt(cols));
        return m;
    }

    private Linear linear(double[][] m) {
        int out = m.length, in = m[0].length;
        MemorySegment seg = arena.allocate((long) out * in * Float.BYTES, 8);
        for (int j = 0; j < out; j++) {
            for (int i = 0; i < in; i++) {
                seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN),
                        ((long) j * in + i) * Float.BYTES, (float) m[j][i]);
            }
        }
        return new Linear("w", seg, DType.F32, out, in, null);
    }
}
