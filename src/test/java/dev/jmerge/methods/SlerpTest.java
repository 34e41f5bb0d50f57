package dev.jmerge.methods;

import static dev.jmerge.methods.InterpTestData.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.MergeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SlerpTest {

    private final Slerp slerp = new Slerp();

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() { return InterpTestData.cases(); }

    /** Straight from the definition, on whole float64 arrays. */
    static double[] reference(double t, double[] v0, double[] v1) {
        double n0 = norm(v0), n1 = norm(v1);
        double[] u0 = v0.clone(), u1 = v1.clone();
        if (n0 > 1e-8) for (int i = 0; i < u0.length; i++) u0[i] /= n0;
        if (n1 > 1e-8) for (int i = 0; i < u1.length; i++) u1[i] /= n1;
        double d = dot(u0, u1);
        if (Math.abs(d) > 0.9995) return comb(new double[] {1 - t, t}, v0, v1);
        double theta = Math.acos(d);
        return comb(new double[] {Math.sin((1 - t) * theta) / Math.sin(theta), Math.sin(t * theta) / Math.sin(theta)}, v0, v1);
    }

    private static ArrayInput input(long[] shape, float[] base, float[] other, double t, int chunk) {
        return new ArrayInput("t", shape, new float[][] {base, other}, 0, Params.of("t", t)).chunk(chunk);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesFloat64Reference(long[] shape, int chunk) {
        int n = numel(shape);
        float[] b = gaussian(11, n), x = gaussian(12, n);
        for (double t : new double[] {0.3, 0.75, -0.2}) {
            assertClose(reference(t, d(b), d(x)), input(shape, b, x, t, chunk).run(slerp));
        }
    }

    @Test
    void endpoints() {
        float[] b = gaussian(13, 4099), x = gaussian(14, 4099);
        assertClose(b, input(new long[] {4099}, b, x, 0, 64).run(slerp));
        assertClose(x, input(new long[] {4099}, b, x, 1, 64).run(slerp));
    }

    @Test
    void baseMayComeSecond() {
        float[] b = gaussian(15, 129), x = gaussian(16, 129);
        ArrayInput in = new ArrayInput("t", new long[] {129}, new float[][] {x, b}, 1, Params.of("t", 0.4)).chunk(64);
        assertClose(reference(0.4, d(b), d(x)), in.run(slerp));
    }

    @Test
    void nearParallelVectorsAreLerped() {
        float[] b = gaussian(17, 129);
        float[] x = new float[b.length];
        for (int i = 0; i < x.length; i++) x[i] = -2 * b[i] + 1e-4f * (i % 3);
        double[] lerp = comb(new double[] {0.6, 0.4}, d(b), d(x));
        assertClose(lerp, input(new long[] {129}, b, x, 0.4, 64).run(slerp));
    }

    @Test
    void modelWithItselfIsItself() {
        float[] b = gaussian(18, 4099);
        assertClose(b, input(new long[] {4099}, b, b.clone(), 0.5, 64).run(slerp));
    }

    @Test
    void zeroVectorIsNotNormalised() {
        float[] b = new float[7], x = gaussian(19, 7);
        assertClose(reference(0.5, d(b), d(x)), input(new long[] {7}, b, x, 0.5, 64).run(slerp));
    }

    @Test
    void singleInputIsCopied() {
        float[] b = gaussian(20, 7);
        ArrayInput in = new ArrayInput("t", new long[] {7}, new float[][] {b}, 0, Params.of("t", 0.5));
        assertThat(in.run(slerp)).containsExactly(b);
    }

    @Test
    void threeInputsOrNoBaseFail() {
        float[] a = gaussian(21, 7);
        assertThatThrownBy(() -> new ArrayInput("w", new long[] {7}, new float[][] {a, a, a}, 0, Params.of("t", 0.5)).run(slerp))
                .isInstanceOf(MergeException.class).hasMessageContaining("'w'");
        assertThatThrownBy(() -> new ArrayInput("w", new long[] {7}, new float[][] {a, a}, -1, Params.of("t", 0.5)).run(slerp))
                .isInstanceOf(MergeException.class).hasMessageContaining("base");
    }

    @Test
    void parametersAndInputs() {
        assertThat(slerp.globalParameters()).singleElement().satisfies(p -> {
            assertThat(p.name()).isEqualTo("t");
            assertThat(p.required()).isTrue();
        });
        assertThat(slerp.baseModel()).isEqualTo(BaseModelRule.REQUIRED);
        assertThat(slerp.checkInputs(1, true)).isNull();
        assertThat(slerp.checkInputs(2, true)).contains("exactly two models");
        assertThat(slerp.checkInputs(2, false)).contains("base_model");
        assertThat(slerp.checkInputs(1, false)).contains("no base_model");
    }
}
