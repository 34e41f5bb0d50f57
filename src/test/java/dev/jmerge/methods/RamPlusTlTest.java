package dev.jmerge.methods;

import static dev.jmerge.methods.InterpTestData.*;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RamPlusTlTest {

    private final RamPlusTl ramplus = new RamPlusTl();

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() { return InterpTestData.cases(); }

    /** λ_i from whole-tensor counts of each model's unique and shared active entries. */
    private static double[] lambdas(float[] b, float[][] x, double eps, double r, double alpha) {
        double[] lambda = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            long unique = 0, shared = 0;
            for (int e = 0; e < b.length; e++) {
                if (!(Math.abs((double) x[i][e] - b[e]) > eps)) continue;
                int c = 0;
                for (float[] xj : x) if (Math.abs((double) xj[e] - b[e]) > eps) c++;
                if (c == 1) unique++; else shared++;
            }
            double rho = shared / Math.max(unique, eps);
            lambda[i] = 1 + r * Math.min(alpha, Math.max(0, rho));
        }
        return lambda;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesFloat64Reference(long[] shape, int chunk) {
        int n = numel(shape);
        float[] b = gaussian(121, n);
        float[][] x = {RamTest.sparseTune(b, 0.6, 122), RamTest.sparseTune(b, 0.2, 123)};
        for (double[] ra : new double[][] {{0.1, 0.2}, {0.5, 3.0}}) {
            ArrayInput in = new ArrayInput("t", shape, new float[][] {b, x[0], x[1]}, 0,
                    Params.of("r", ra[0], "alpha", ra[1], "epsilon", 1e-5)).chunk(chunk);
            double[] lambda = lambdas(b, x, 1e-5, ra[0], ra[1]);
            assertClose(RamTest.reference(b, x, 1e-5, lambda), in.run(ramplus));
        }
    }

    @Test
    void uniqueEntriesAreBoostedByTheCappedSharedToUniqueRatio() {
        float[] b = {0, 0, 0, 0};
        float[] x1 = {1, 1, 1, 0}, x2 = {0, 1, 1, 1};
        // Each model: 1 unique, 2 shared → ρ = 2, capped at α = 0.5 → λ = 1 + 0.2·0.5 = 1.1.
        ArrayInput in = new ArrayInput("t", new long[] {4}, new float[][] {b, x1, x2}, 0,
                Params.of("r", 0.2, "alpha", 0.5, "epsilon", 1e-5));
        assertThat(in.run(ramplus)).containsExactly(1.1f, 1f, 1f, 1.1f);
    }

    @Test
    void noUniqueEntriesMeansRatioOverEpsilon() {
        float[] b = {0, 0}, x = {1, 2};
        ArrayInput in = new ArrayInput("t", new long[] {2}, new float[][] {b, x, x.clone()}, 0,
                Params.of("r", 0.1, "alpha", 0.2, "epsilon", 1e-5));
        assertThat(in.run(ramplus)).containsExactly(1f, 2f);
    }

    @Test
    void parametersAndInputs() {
        assertThat(ramplus.globalParameters()).extracting(ParamSpec::name, ParamSpec::defaultValue)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("r", 0.1),
                        org.assertj.core.groups.Tuple.tuple("alpha", 0.2),
                        org.assertj.core.groups.Tuple.tuple("epsilon", 1e-5));
        assertThat(ramplus.checkInputs(2, true)).isNull();
        assertThat(ramplus.checkInputs(0, true)).contains("ramplus_tl").contains("at least one");
    }
}
