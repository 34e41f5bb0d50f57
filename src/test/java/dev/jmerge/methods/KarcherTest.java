package dev.jmerge.methods;

import static dev.jmerge.methods.InterpTestData.*;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class KarcherTest {

    private final Karcher karcher = new Karcher();

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() { return InterpTestData.cases(); }

    /** The iteration on full float64 vectors, as written in the spec. */
    private static double[] reference(double[][] x, int maxIter, double tol) {
        int n = x.length, len = x[0].length;
        double[] r = new double[n];
        java.util.List<double[]> units = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            r[i] = norm(x[i]);
            if (r[i] > tol) {
                double[] u = x[i].clone();
                for (int e = 0; e < len; e++) u[e] /= r[i];
                units.add(u);
            }
        }
        if (units.isEmpty()) return new double[len];
        double a = 1.0 / units.size();
        double[] u = new double[len];
        for (double[] ui : units) for (int e = 0; e < len; e++) u[e] += a * ui[e];
        double un = norm(u);
        if (un < tol) u = units.get(0).clone();
        else for (int e = 0; e < len; e++) u[e] /= un;
        for (int it = 0; it < maxIter; it++) {
            double[] tan = new double[len];
            for (double[] ui : units) {
                double c = Math.max(-1, Math.min(1, dot(u, ui)));
                double th = Math.acos(c);
                if (th < tol) continue;
                for (int e = 0; e < len; e++) tan[e] += a * th / Math.sin(th) * (ui[e] - c * u[e]);
            }
            double tn = norm(tan);
            if (tn < tol) break;
            for (int e = 0; e < len; e++) u[e] = Math.cos(tn) * u[e] + Math.sin(tn) * tan[e] / tn;
            double nn = norm(u);
            if (nn > tol) for (int e = 0; e < len; e++) u[e] /= nn;
        }
        double s = 0;
        for (double ri : r) s += ri / n;
        for (int e = 0; e < len; e++) u[e] *= s;
        return u;
    }

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
        assertClose(reference(new double[][] {d(x[0]), d(x[1]), d(x[2])}, 10, 1e-5), in.run(karcher));
        ArrayInput fewIterations = new ArrayInput("t", shape, x, -1, Params.of("max_iter", 1, "tol", 1e-5)).chunk(chunk);
        assertClose(reference(new double[][] {d(x[0]), d(x[1]), d(x[2])}, 1, 1e-5), fewIterations.run(karcher));
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
