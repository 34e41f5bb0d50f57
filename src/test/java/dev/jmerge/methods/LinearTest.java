package dev.jmerge.methods;

import static dev.jmerge.methods.InterpTestData.*;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class LinearTest {

    private final Linear linear = new Linear();

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() { return InterpTestData.cases(); }

    private static double[] reference(float[][] x, double[] w, boolean normalize) {
        double[] out = new double[x[0].length];
        double sum = 0;
        for (int k = 0; k < x.length; k++) {
            sum += w[k];
            for (int i = 0; i < out.length; i++) out[i] += w[k] * x[k][i];
        }
        if (normalize) for (int i = 0; i < out.length; i++) out[i] /= sum;
        return out;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesFloat64Reference(long[] shape, int chunk) {
        int n = numel(shape);
        float[][] x = {gaussian(1, n), gaussian(2, n), gaussian(3, n)};
        double[] w = {0.2, 0.5, 1.3};
        for (boolean normalize : new boolean[] {true, false}) {
            ArrayInput in = new ArrayInput("t", shape, x, -1, Params.of("normalize", normalize),
                    Params.of("weight", w[0]), Params.of("weight", w[1]), Params.of("weight", w[2])).chunk(chunk);
            assertClose(reference(x, w, normalize), in.run(linear));
            assertThat(in.warnings).isEmpty();
        }
    }

    @Test
    void weightsOneZeroGiveTheFirstModel() {
        float[][] x = {gaussian(4, 129), gaussian(5, 129)};
        ArrayInput in = new ArrayInput("t", new long[] {129}, x, -1, Params.of("normalize", true),
                Params.of("weight", 1.0), Params.of("weight", 0.0)).chunk(64);
        assertThat(in.run(linear)).containsExactly(x[0]);
    }

    @Test
    void modelWithItselfIsItself() {
        float[] a = gaussian(6, 4099);
        ArrayInput in = new ArrayInput("t", new long[] {4099}, new float[][] {a, a}, -1, Params.of("normalize", true),
                Params.of("weight", 0.3), Params.of("weight", 0.7)).chunk(64);
        assertClose(a, in.run(linear));
    }

    @Test
    void zeroWeightSumGivesInfOrNanLikeMergekitAndWarnsOnce() {
        float[][] x = {{1f, 0f, -2f, 3f}, {0f, 0f, 1f, 3f}};
        ArrayInput in = new ArrayInput("w.zero", new long[] {4}, x, -1, Params.of("normalize", true),
                Params.of("weight", 1.0), Params.of("weight", -1.0)).chunk(2);
        float[] out = in.run(linear);
        assertThat(out[0]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(out[1]).isNaN();
        assertThat(out[2]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(out[3]).isNaN();
        assertThat(in.warnings).hasSize(1).first().asString().contains("w.zero").contains("sum to zero");
    }

    @Test
    void parameterDefaults() {
        assertThat(linear.globalParameters()).containsExactly(ParamSpec.flag("normalize", true, linear.globalParameters().get(0).help()));
        assertThat(linear.globalParameters().get(0).defaultValue()).isEqualTo(1.0);
        assertThat(linear.modelParameters()).singleElement().satisfies(p -> {
            assertThat(p.name()).isEqualTo("weight");
            assertThat(p.required()).isTrue();
        });
        assertThat(linear.baseModel()).isEqualTo(BaseModelRule.IGNORED);
        assertThat(linear.name()).isEqualTo("linear");
    }

    @Test
    void checkInputs() {
        assertThat(linear.checkInputs(1, false)).isNull();
        assertThat(linear.checkInputs(3, false)).isNull();
        assertThat(linear.checkInputs(0, false)).contains("linear").contains("at least one model");
    }
}
