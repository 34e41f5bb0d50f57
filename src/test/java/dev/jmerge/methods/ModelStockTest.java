package dev.jmerge.methods;

import static dev.jmerge.methods.InterpTestData.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.MergeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ModelStockTest {

    private final ModelStock stock = new ModelStock();

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() { return InterpTestData.cases(); }

    /** One vector's worth: t from the mean pairwise cosine, then t·mean + (1−t)·b. */
    private static double[] stockVector(double[] b, double[][] x) {
        int n = x.length;
        double[][] delta = new double[n][];
        for (int i = 0; i < n; i++) delta[i] = minus(x[i], b);
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double c = dot(delta[i], delta[j]) / Math.max(norm(delta[i]) * norm(delta[j]), 1e-6);
                sum += Math.max(-1, Math.min(1, c));
                pairs++;
            }
        }
        double c = sum / pairs;
        double t = n * c / (1 + (n - 1) * c);
        double[] out = new double[b.length];
        for (int e = 0; e < b.length; e++) {
            double mean = 0;
            for (double[] xi : x) mean += xi[e];
            out[e] = t * mean / n + (1 - t) * b[e];
        }
        return out;
    }

    private static double[] reference(long[] shape, float[] b, float[][] x, boolean filterWise) {
        double[][] xd = new double[x.length][];
        for (int i = 0; i < x.length; i++) xd[i] = d(x[i]);
        if (!filterWise) return stockVector(d(b), xd);
        int cols = (int) shape[shape.length - 1];
        double[] out = new double[b.length];
        for (int r = 0; r < b.length / cols; r++) {
            double[] br = java.util.Arrays.copyOfRange(d(b), r * cols, (r + 1) * cols);
            double[][] xr = new double[x.length][];
            for (int i = 0; i < x.length; i++) xr[i] = java.util.Arrays.copyOfRange(xd[i], r * cols, (r + 1) * cols);
            System.arraycopy(stockVector(br, xr), 0, out, r * cols, cols);
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesFloat64Reference(long[] shape, int chunk) {
        int n = numel(shape);
        float[] b = gaussian(51, n);
        float[][] x = {near(b, 0.1, 52), near(b, 0.1, 53), near(b, 0.1, 54)};
        // Correlated task vectors so that t is far from 0.
        for (int i = 0; i < n; i++) {
            x[1][i] += 0.5f * (x[0][i] - b[i]);
            x[2][i] += 0.5f * (x[0][i] - b[i]);
        }
        for (boolean fw : new boolean[] {false, true}) {
            float[][] all = {x[0], b, x[1], x[2]};
            ArrayInput in = new ArrayInput("t", shape, all, 1, Params.of("filter_wise", fw)).chunk(chunk);
            assertClose(reference(shape, b, x, fw), in.run(stock));
            assertThat(in.warnings).isEmpty();
        }
    }

    @Test
    void twoFineTunesUseThePapersFormula() {
        float[] b = gaussian(55, 129);
        float[][] x = {near(b, 0.2, 56), near(b, 0.2, 57)};
        ArrayInput in = new ArrayInput("t", new long[] {129}, new float[][] {b, x[0], x[1]}, 0, Params.of("filter_wise", false));
        assertClose(reference(new long[] {129}, b, x, false), in.run(stock));
    }

    @Test
    void identicalFineTunesGiveThatFineTune() {
        float[] b = gaussian(58, 4099), x = near(b, 0.1, 59);
        ArrayInput in = new ArrayInput("t", new long[] {4099}, new float[][] {b, x, x.clone(), x.clone()}, 0,
                Params.of("filter_wise", false)).chunk(64);
        assertClose(x, in.run(stock));
        ArrayInput rows = new ArrayInput("t", new long[] {129, 33}, new float[][] {
                gaussian(60, 4257), gaussian(61, 4257), gaussian(61, 4257)}, 0, Params.of("filter_wise", true)).chunk(64);
        assertClose(gaussian(61, 4257), rows.run(stock));
    }

    @Test
    void oppositeTaskVectorsHitMergekitsDivisionByZeroAndWarn() {
        // δ and −δ with |δ| = 5 exactly: c = −1 = −1/(N−1), t = 2c/(1+c) = −2/0.
        float[] b = {1, 2, 3, 4}, x1 = {4, 6, 3, 4}, x2 = {-2, -2, 3, 4};
        ArrayInput in = new ArrayInput("w.quirk", new long[] {4}, new float[][] {b, x1, x2}, 0, Params.of("filter_wise", false));
        float[] out = in.run(stock);
        for (float v : out) assertThat(Float.isFinite(v)).isFalse();
        assertThat(in.warnings).singleElement().asString().contains("w.quirk").contains("divides by zero");
    }

    @Test
    void baseAloneIsCopiedAndTooFewModelsFail() {
        float[] b = gaussian(62, 7);
        assertThat(new ArrayInput("t", new long[] {7}, new float[][] {b}, 0, Params.of("filter_wise", false)).run(stock))
                .containsExactly(b);
        assertThatThrownBy(() -> new ArrayInput("w", new long[] {7}, new float[][] {b, b}, 0, Params.of("filter_wise", false)).run(stock))
                .isInstanceOf(MergeException.class).hasMessageContaining("model_stock").hasMessageContaining("'w'");
        assertThatThrownBy(() -> new ArrayInput("w", new long[] {7}, new float[][] {b, b, b}, -1, Params.of("filter_wise", false)).run(stock))
                .isInstanceOf(MergeException.class).hasMessageContaining("base");
    }

    @Test
    void parametersAndInputs() {
        assertThat(stock.globalParameters()).singleElement().satisfies(p -> {
            assertThat(p.name()).isEqualTo("filter_wise");
            assertThat(p.defaultValue()).isEqualTo(0.0);
        });
        assertThat(stock.baseModel()).isEqualTo(BaseModelRule.REQUIRED);
        assertThat(stock.checkInputs(2, true)).isNull();
        assertThat(stock.checkInputs(5, true)).isNull();
        assertThat(stock.checkInputs(1, true)).contains("at least two other models");
        assertThat(stock.checkInputs(3, false)).contains("no base_model");
    }
}
