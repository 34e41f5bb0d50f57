package dev.jmerge.methods;

import static dev.jmerge.methods.InterpTestData.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.MergeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class MultiSlerpTest {

    private final MultiSlerp multislerp = new MultiSlerp();
    private static final double EPS = 1e-8;

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() { return InterpTestData.cases(); }

    /** The algorithm on full float64 vectors. */
    private static double[] reference(double[][] y, double[] weights, boolean normalize) {
        int n = y.length, len = y[0].length;
        double[] w = weights.clone();
        double ws = 0;
        for (double v : w) ws += v;
        if (normalize) for (int i = 0; i < n; i++) w[i] /= ws;
        double[] r = new double[n];
        double[][] u = new double[n][len];
        double[] m = new double[len];
        for (int i = 0; i < n; i++) {
            r[i] = norm(y[i]);
            for (int e = 0; e < len; e++) {
                u[i][e] = y[i][e] / (r[i] + EPS);
                m[e] += w[i] * u[i][e];
            }
        }
        double mn = norm(m);
        for (int e = 0; e < len; e++) m[e] /= mn;
        double[] tau = new double[len];
        for (int i = 0; i < n; i++) {
            double dd = dot(u[i], m);
            for (int e = 0; e < len; e++) tau[e] += w[i] * (u[i][e] - dd * m[e]);
        }
        double nu = norm(tau) + EPS;
        double s = 0;
        for (int i = 0; i < n; i++) s += w[i] * r[i];
        double[] out = new double[len];
        for (int e = 0; e < len; e++) out[e] = (m[e] * Math.cos(nu) + tau[e] * Math.sin(nu) / nu) * s;
        return out;
    }

    private static Params[] weights(double... w) {
        Params[] p = new Params[w.length];
        for (int i = 0; i < w.length; i++) p[i] = Double.isNaN(w[i]) ? Params.empty() : Params.of("weight", w[i]);
        return p;
    }

    private static Params global(boolean normalize) {
        return Params.of("normalize_weights", normalize, "eps", EPS);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesFloat64Reference(long[] shape, int chunk) {
        int n = numel(shape);
        float[] b = gaussian(81, n);
        float[][] x = {near(b, 0.5, 82), near(b, 0.5, 83), near(b, 0.5, 84)};
        double[] w = {0.2, 0.3, 0.9};
        for (boolean normalize : new boolean[] {true, false}) {
            ArrayInput plain = new ArrayInput("t", shape, x, -1, global(normalize), weights(w)).chunk(chunk);
            assertClose(reference(new double[][] {d(x[0]), d(x[1]), d(x[2])}, w, normalize), plain.run(multislerp));

            ArrayInput based = new ArrayInput("t", shape, new float[][] {b, x[0], x[1], x[2]}, 0, global(normalize),
                    weights(Double.NaN, w[0], w[1], w[2])).chunk(chunk);
            double[][] y = {minus(d(x[0]), d(b)), minus(d(x[1]), d(b)), minus(d(x[2]), d(b))};
            double[] expected = reference(y, w, normalize);
            for (int i = 0; i < n; i++) expected[i] += b[i];
            assertClose(expected, based.run(multislerp));
        }
    }

    @Test
    void equalInputsGiveTheInput() {
        float[] x = gaussian(85, 4099);
        ArrayInput in = new ArrayInput("t", new long[] {4099}, new float[][] {x, x.clone(), x.clone()}, -1, global(true),
                weights(1, 2, 3)).chunk(64);
        assertClose(x, in.run(multislerp));
    }

    @Test
    void singleModelIsCopied() {
        float[] b = gaussian(86, 7), x = gaussian(87, 7);
        assertThat(new ArrayInput("t", new long[] {7}, new float[][] {b, x}, 0, global(true), weights(Double.NaN, 0.5))
                .run(multislerp)).containsExactly(x);
    }

    @Test
    void antipodalPairFallsBackToLinearAndTripletFails() {
        float[] x = gaussian(88, 129);
        float[] neg = new float[x.length];
        for (int i = 0; i < x.length; i++) neg[i] = -x[i];
        ArrayInput pair = new ArrayInput("t", new long[] {129}, new float[][] {x, neg}, -1, global(true), weights(1, 1));
        assertClose(comb(new double[] {0.5, 0.5}, d(x), d(neg)), pair.run(multislerp));
        ArrayInput triple = new ArrayInput("w", new long[] {129}, new float[][] {x, neg, x.clone(), neg.clone()}, -1,
                global(true), weights(1, 1, 1, 1));
        assertThatThrownBy(() -> triple.run(multislerp)).isInstanceOf(MergeException.class)
                .hasMessageContaining("'w'").hasMessageContaining("weights");
    }

    @Test
    void parametersAndInputs() {
        assertThat(multislerp.globalParameters()).extracting(ParamSpec::name, ParamSpec::defaultValue)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("normalize_weights", 1.0),
                        org.assertj.core.groups.Tuple.tuple("eps", 1e-8));
        assertThat(multislerp.modelParameters()).singleElement().satisfies(p -> assertThat(p.required()).isTrue());
        assertThat(multislerp.baseModel()).isEqualTo(BaseModelRule.OPTIONAL);
        assertThat(multislerp.checkInputs(1, false)).isNull();
        assertThat(multislerp.checkInputs(3, true)).isNull();
        assertThat(multislerp.checkInputs(0, true)).contains("at least one");
    }
}
