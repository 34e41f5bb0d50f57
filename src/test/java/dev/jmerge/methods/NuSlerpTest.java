package dev.jmerge.methods;

import static dev.jmerge.methods.InterpTestData.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.MergeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class NuSlerpTest {

    private final NuSlerp nuslerp = new NuSlerp();

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() { return InterpTestData.cases(); }

    private static double[] pair(double t, double[] v0, double[] v1) {
        double n0 = Math.max(norm(v0), 1e-7), n1 = Math.max(norm(v1), 1e-7);
        double theta = Math.acos(Math.max(-1, Math.min(1, dot(v0, v1) / (n0 * n1))));
        double s = Math.sin(theta);
        if (Math.abs(s) < 1e-8) return comb(new double[] {1 - t, t}, v0, v1);
        return comb(new double[] {Math.sin((1 - t) * theta) / s, Math.sin(t * theta) / s}, v0, v1);
    }

    /** Splits the tensor into vectors by an index map, interpolates each, and puts them back. */
    private static double[] reference(long[] shape, double t, double[] v0, double[] v1, boolean flatten, boolean rowWise) {
        int n = v0.length;
        if (flatten) return pair(t, v0, v1);
        int height = (int) shape[0];
        int len, count;
        if (rowWise) { len = height; count = n / height; } else { len = (int) shape[shape.length - 1]; count = n / len; }
        double[] out = new double[n];
        for (int v = 0; v < count; v++) {
            int[] at = new int[len];
            for (int k = 0; k < len; k++) at[k] = rowWise ? k * count + v : v * len + k;
            double[] a = new double[len], b = new double[len];
            for (int k = 0; k < len; k++) { a[k] = v0[at[k]]; b[k] = v1[at[k]]; }
            double[] r = pair(t, a, b);
            for (int k = 0; k < len; k++) out[at[k]] = r[k];
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesFloat64ReferenceInEveryMode(long[] shape, int chunk) {
        int n = numel(shape);
        float[] b = gaussian(71, n), x0 = near(b, 0.3, 72), x1 = near(b, 0.3, 73);
        double t = 0.7 / (0.3 + 0.7);
        for (boolean flatten : new boolean[] {true, false}) {
            for (boolean rowWise : new boolean[] {false, true}) {
                Params g = Params.of("nuslerp_flatten", flatten, "nuslerp_row_wise", rowWise);
                ArrayInput plain = new ArrayInput("t", shape, new float[][] {x0, x1}, -1, g,
                        Params.of("weight", 0.3), Params.of("weight", 0.7)).chunk(chunk);
                assertClose(reference(shape, t, d(x0), d(x1), flatten, rowWise), plain.run(nuslerp));
                ArrayInput withBase = new ArrayInput("t", shape, new float[][] {x0, b, x1}, 1, g,
                        Params.of("weight", 0.3), Params.empty(), Params.of("weight", 0.7)).chunk(chunk);
                double[] tv = reference(shape, t, minus(d(x0), d(b)), minus(d(x1), d(b)), flatten, rowWise);
                double[] expected = d(b);
                for (int i = 0; i < n; i++) expected[i] += tv[i];
                assertClose(expected, withBase.run(nuslerp));
            }
        }
    }

    @Test
    void equalInputsGiveTheInput() {
        float[] x = gaussian(74, 4257);
        for (boolean flatten : new boolean[] {true, false}) {
            ArrayInput in = new ArrayInput("t", new long[] {129, 33}, new float[][] {x, x.clone()}, -1,
                    Params.of("nuslerp_flatten", flatten, "nuslerp_row_wise", false),
                    Params.of("weight", 1.0), Params.of("weight", 2.0)).chunk(64);
            assertClose(x, in.run(nuslerp));
        }
    }

    @Test
    void weightsSummingToZeroMeanHalfway() {
        float[] x0 = gaussian(75, 129), x1 = gaussian(76, 129);
        ArrayInput in = new ArrayInput("t", new long[] {129}, new float[][] {x0, x1}, -1,
                Params.of("nuslerp_flatten", true, "nuslerp_row_wise", false), Params.of("weight", 1.0), Params.of("weight", -1.0));
        assertClose(pair(0.5, d(x0), d(x1)), in.run(nuslerp));
    }

    @Test
    void wrongModelCountFails() {
        float[] x = gaussian(77, 7);
        Params g = Params.of("nuslerp_flatten", true, "nuslerp_row_wise", false);
        assertThatThrownBy(() -> new ArrayInput("w", new long[] {7}, new float[][] {x, x}, 0, g, Params.empty(), Params.of("weight", 1.0)).run(nuslerp))
                .isInstanceOf(MergeException.class).hasMessageContaining("'w'");
        assertThat(new ArrayInput("w", new long[] {7}, new float[][] {x}, -1, g, Params.of("weight", 1.0)).run(nuslerp)).containsExactly(x);
    }

    @Test
    void parametersAndInputs() {
        assertThat(nuslerp.globalParameters()).extracting(ParamSpec::name, ParamSpec::defaultValue)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("nuslerp_flatten", 1.0),
                        org.assertj.core.groups.Tuple.tuple("nuslerp_row_wise", 0.0));
        assertThat(nuslerp.modelParameters()).singleElement().satisfies(p -> assertThat(p.required()).isTrue());
        assertThat(nuslerp.baseModel()).isEqualTo(BaseModelRule.OPTIONAL);
        assertThat(nuslerp.checkInputs(2, false)).isNull();
        assertThat(nuslerp.checkInputs(2, true)).isNull();
        assertThat(nuslerp.checkInputs(1, true)).contains("exactly two");
        assertThat(nuslerp.checkInputs(3, false)).contains("exactly two");
    }
}
