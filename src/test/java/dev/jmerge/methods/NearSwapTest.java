package dev.jmerge.methods;

import static dev.jmerge.methods.InterpTestData.*;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class NearSwapTest {

    private final NearSwap nearswap = new NearSwap();

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() { return InterpTestData.cases(); }

    private static double[] reference(double t, float[] a, float[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < out.length; i++) {
            double w = Math.min(1, Math.max(0, t / Math.max(Math.abs((double) a[i] - b[i]), 1e-6)));
            out[i] = w * b[i] + (1 - w) * a[i];
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesFloat64Reference(long[] shape, int chunk) {
        int n = numel(shape);
        float[] a = gaussian(41, n), b = near(a, 0.5, 42);
        for (double t : new double[] {0.1, 0.4}) {
            ArrayInput in = new ArrayInput("t", shape, new float[][] {b, a}, 1, Params.of("t", t)).chunk(chunk);
            assertClose(reference(t, a, b), in.run(nearswap));
        }
    }

    @Test
    void extremes() {
        float[] a = gaussian(43, 129), b = gaussian(44, 129);
        assertThat(new ArrayInput("t", new long[] {129}, new float[][] {a, b}, 0, Params.of("t", 0.0)).run(nearswap))
                .containsExactly(a);
        assertThat(new ArrayInput("t", new long[] {129}, new float[][] {a, b}, 0, Params.of("t", 1e9)).run(nearswap))
                .containsExactly(b);
        assertThat(new ArrayInput("t", new long[] {129}, new float[][] {a, a}, 0, Params.of("t", 0.3)).run(nearswap))
                .containsExactly(a);
    }

    @Test
    void parametersAndInputs() {
        assertThat(nearswap.globalParameters()).singleElement().satisfies(p -> {
            assertThat(p.name()).isEqualTo("t");
            assertThat(p.required()).isTrue();
        });
        assertThat(nearswap.checkInputs(1, true)).isNull();
        assertThat(nearswap.checkInputs(2, true)).contains("exactly two");
        assertThat(nearswap.checkInputs(1, false)).contains("no base_model");
    }
}
