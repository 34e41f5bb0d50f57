package dev.jmerge.methods;

import static dev.jmerge.methods.InterpTestData.*;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class KarcherTest {

    private final Karcher karcher = new Karcher();

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() { return InterpTestData.cases(); }

    private static Params defaults() { return Params.of("max_iter", 10, "tol", 1e-5); }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesFloat64Reference(long[] shape, int chunk) {
        int n = numel(shape);
        float[] b = gaussian(91, n);
        float[][] x = {b, near(b, 0.8, 92), gaussian(93, n)};
        for (int i = 0; i < n; i++) x[2][i] *= 3; // unequal norms
        // The base is averaged like any other input.
        ArrayInput in = new ArrayInput("t", shape, x, 0, defaults()).chunk(chunk);
        assertClose(KarcherReference.karcher(new double[][] {d(x[0]), d(x[1]), d(x[2])}, 10, 1e-5), in.run(karcher));
        ArrayInput fewIterations = new ArrayInput("t", shape, x, -1, Params.of("max_iter", 1, "tol", 1e-5)).chunk(chunk);
        assertClose(KarcherReference.karcher(new double[][] {d(x[0]), d(x[1]), d(x[2])}, 1, 1e-5), fewIterations.run(karcher));
    }

    @Test
    void oneInputOrCopiesOfOneGiveIt() {
        float[] x = gaussian(94, 4099);
        assertThat(new ArrayInput("t", new long[] {4099}, new float[][] {x}, -1, defaults()).run(karcher)).containsExactly(x);
        assertClose(x, new ArrayInput("t", new long[] {4099}, new float[][] {x, x.clone()}, -1, defaults()).chunk(64).run(karcher));
    }

    @Test
    void zeroInputsAreIgnoredInTheDirectionButCountInTheScale() {
        float[] x = gaussian(95, 129);
        float[] half = new float[x.length];
        for (int i = 0; i < x.length; i++) half[i] = x[i] / 2;
        assertClose(half, new ArrayInput("t", new long[] {129}, new float[][] {x, new float[129]}, -1, defaults()).chunk(64).run(karcher));
        assertThat(new ArrayInput("t", new long[] {7}, new float[][] {new float[7], new float[7]}, -1, defaults()).run(karcher))
                .containsOnly(0f);
    }

    @Test
    void parametersAndInputs() {
        assertThat(karcher.globalParameters()).extracting(ParamSpec::name, ParamSpec::defaultValue)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("max_iter", 10.0),
                        org.assertj.core.groups.Tuple.tuple("tol", 1e-5));
        assertThat(karcher.baseModel()).isEqualTo(BaseModelRule.IGNORED);
        assertThat(karcher.checkInputs(1, false)).isNull();
        assertThat(karcher.checkInputs(0, true)).isNull();
        assertThat(karcher.checkInputs(0, false)).contains("at least one");
    }
}
