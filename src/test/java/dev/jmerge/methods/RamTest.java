package dev.jmerge.methods;

import static dev.jmerge.methods.InterpTestData.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RamTest {

    private final Ram ram = new Ram();

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() { return InterpTestData.cases(); }

    /** A fine-tune that leaves each element untouched with probability {@code keep}. */
    static float[] sparseTune(float[] b, double keep, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = b.clone();
        for (int i = 0; i < x.length; i++) {
            if (r.nextDouble() >= keep) x[i] = (float) (b[i] + (r.nextBoolean() ? 1 : -1) * (0.01 + r.nextDouble()));
        }
        return x;
    }

    /** Per element: active deltas taken whole when alone, averaged when shared; lambda scales the lone ones. */
    static double[] reference(float[] b, float[][] x, double eps, double[] lambda) {
        double[] out = d(b);
        for (int e = 0; e < b.length; e++) {
            int c = 0;
            for (float[] xi : x) if (Math.abs((double) xi[e] - b[e]) > eps) c++;
            for (int i = 0; i < x.length; i++) {
                double dlt = (double) x[i][e] - b[e];
                if (Math.abs(dlt) > eps) out[e] += c == 1 ? lambda[i] * dlt : dlt / c;
            }
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesFloat64Reference(long[] shape, int chunk) {
        int n = numel(shape);
        float[] b = gaussian(111, n);
        float[][] x = {sparseTune(b, 0.5, 112), sparseTune(b, 0.5, 113), sparseTune(b, 0.3, 114)};
        ArrayInput in = new ArrayInput("t", shape, new float[][] {x[0], x[1], b, x[2]}, 2, Params.of("epsilon", 1e-5)).chunk(chunk);
        assertClose(reference(b, x, 1e-5, new double[] {1, 1, 1}), in.run(ram));
    }

    @Test
    void epsilonDecidesWhatIsActive() {
        float[] b = {0f, 0f, 0f};
        float[] x1 = {0.5f, 0.5f, 0.001f}, x2 = {0.25f, 0f, 0.003f};
        ArrayInput in = new ArrayInput("t", new long[] {3}, new float[][] {b, x1, x2}, 0, Params.of("epsilon", 0.002));
        assertThat(in.run(ram)).containsExactly(0.375f, 0.5f, 0.003f);
    }

    @Test
    void baseAloneAndSelf() {
        float[] b = gaussian(115, 7);
        assertThat(new ArrayInput("t", new long[] {7}, new float[][] {b}, 0, Params.of("epsilon", 1e-5)).run(ram)).containsExactly(b);
        float[] x = gaussian(116, 7);
        assertClose(x, new ArrayInput("t", new long[] {7}, new float[][] {b, x, x.clone()}, 0, Params.of("epsilon", 1e-5)).run(ram));
    }

    @Test
    void parametersAndInputs() {
        assertThat(ram.globalParameters()).singleElement().satisfies(p -> {
            assertThat(p.name()).isEqualTo("epsilon");
            assertThat(p.defaultValue()).isEqualTo(1e-5);
        });
        assertThat(ram.baseModel()).isEqualTo(BaseModelRule.REQUIRED);
        assertThat(ram.checkInputs(1, true)).isNull();
        assertThat(ram.checkInputs(0, true)).contains("at least one");
        assertThat(ram.checkInputs(2, false)).contains("no base_model");
    }
}
