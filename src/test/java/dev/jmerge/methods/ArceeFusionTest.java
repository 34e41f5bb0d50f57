package dev.jmerge.methods;

import static dev.jmerge.methods.InterpTestData.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ArceeFusionTest {

    private final ArceeFusion fusion = new ArceeFusion();

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() { return InterpTestData.cases(); }

    /** Importance of every element, from per-row KL of the softmaxes (float64). */
    private static double[] importance(long[] shape, float[] b, float[] p) {
        int cols = (int) shape[shape.length - 1];
        double[] imp = new double[b.length];
        for (int r = 0; r < b.length / cols; r++) {
            double sp = 0, sb = 0;
            for (int k = 0; k < cols; k++) {
                sp += Math.exp(p[r * cols + k]);
                sb += Math.exp(b[r * cols + k]);
            }
            double kl = 0;
            for (int k = 0; k < cols; k++) {
                double pp = Math.exp(p[r * cols + k]) / sp + 1e-8, qq = Math.exp(b[r * cols + k]) / sb + 1e-8;
                kl += pp * Math.log(pp / qq);
            }
            for (int k = 0; k < cols; k++) imp[r * cols + k] = Math.abs((double) p[r * cols + k] - b[r * cols + k]) * kl;
        }
        return imp;
    }

    private static double threshold(double[] imp) {
        double[] s = imp.clone();
        Arrays.sort(s);
        int last = s.length - 1;
        return s[(int) (0.5 * last)] + 1.5 * (s[(int) (0.75 * last)] - s[(int) (0.25 * last)]);
    }

    /**
     * Elements whose importance lies within {@code margin} (relative) of the threshold may fall either way
     * between float32 and float64 arithmetic; the rest must match: p where important, b elsewhere.
     */
    private static int assertFused(float[] b, float[] p, double[] imp, double thr, float[] out, double margin) {
        int kept = 0;
        for (int i = 0; i < b.length; i++) {
            if (Math.abs(imp[i] - thr) <= margin * Math.abs(thr) + 1e-12) continue;
            boolean keep = imp[i] >= thr;
            double expected = keep ? p[i] : b[i];
            if (keep) kept++;
            assertThat((double) out[i]).as("element %d", i).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-6 * (1 + Math.abs(expected))));
        }
        return kept;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesFloat64Reference(long[] shape, int chunk) {
        int n = numel(shape);
        float[] b = gaussian(101, n), p = near(b, 0.3, 102);
        ArrayInput in = new ArrayInput("t", shape, new float[][] {b, p}, 0, Params.empty()).chunk(chunk);
        double[] imp = importance(shape, b, p);
        assertFused(b, p, imp, threshold(imp), in.run(fusion), 1e-5);
    }

    @Test
    void selectsOnlyTheOutliersOfAnImportanceDistribution() {
        long[] shape = {129, 33};
        float[] b = gaussian(103, 4257), p = near(b, 0.3, 104);
        double[] imp = importance(shape, b, p);
        int kept = assertFused(b, p, imp, threshold(imp), new ArrayInput("t", shape, new float[][] {p, b}, 1, Params.empty()).run(fusion), 1e-5);
        assertThat(kept).isBetween(1, 4257 / 4);
    }

    @Test
    void sameModelGivesTheBase() {
        float[] b = gaussian(105, 4257);
        assertThat(new ArrayInput("t", new long[] {129, 33}, new float[][] {b, b.clone()}, 0, Params.empty()).chunk(64).run(fusion))
                .containsExactly(b);
    }

    @Test
    void largeTensorsUseASeededSampleIndependentOfChunking() {
        long[] shape = {1500, 2000}; // 3e6 elements: quantiles come from a 1e6 sample
        int n = 3_000_000;
        float[] b = gaussian(106, n), p = near(b, 0.3, 107);
        float[] a = new ArrayInput("big", shape, new float[][] {b, p}, 0, Params.empty()).chunk(4096).seed(7).run(fusion);
        float[] c = new ArrayInput("big", shape, new float[][] {b, p}, 0, Params.empty()).chunk(1 << 16).seed(7).run(fusion);
        assertThat(Arrays.equals(c, a)).as("same output whatever the chunk size").isTrue();
        double[] imp = importance(shape, b, p);
        // A 1e6 sample puts the quartiles within a fraction of a percent of the full-tensor ones.
        assertFused(b, p, imp, threshold(imp), a, 1e-2);
        float[] other = new ArrayInput("big", shape, new float[][] {b, p}, 0, Params.empty()).seed(8).run(fusion);
        assertThat(Arrays.equals(other, a)).as("another seed draws another sample").isFalse();
    }

    @Test
    void parametersAndInputs() {
        assertThat(fusion.globalParameters()).isEmpty();
        assertThat(fusion.baseModel()).isEqualTo(BaseModelRule.REQUIRED);
        assertThat(fusion.checkInputs(1, true)).isNull();
        assertThat(fusion.checkInputs(2, true)).contains("exactly two");
        assertThat(fusion.checkInputs(1, false)).contains("no base_model");
    }
}
