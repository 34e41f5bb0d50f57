package dev.jmerge.methods;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** Seeded inputs of awkward sizes, float64 helpers and tolerant comparisons for the method tests. */
final class InterpTestData {

    static final double TOL = 1e-5;
    static final int SMALL_CHUNK = 64;
    static final int LARGE_CHUNK = 1 << 15;

    private static final long[][] SHAPES = {{1}, {7}, {129}, {4099}, {13, 5}, {129, 33}};

    private InterpTestData() {}

    /** Every shape with a chunk smaller and one larger than the tensor. */
    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (long[] s : SHAPES) {
            out.add(Arguments.of(s, SMALL_CHUNK));
            out.add(Arguments.of(s, LARGE_CHUNK));
        }
        return out.stream();
    }

    static int numel(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return Math.toIntExact(n);
    }

    /** Standard normal floats. */
    static float[] gaussian(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) gauss(r);
        return x;
    }

    /** {@code base + scale·N(0,1)}: a fine-tune of {@code base}. */
    static float[] near(float[] base, double scale, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[base.length];
        for (int i = 0; i < x.length; i++) x[i] = (float) (base[i] + scale * gauss(r));
        return x;
    }

    private static double gauss(SplittableRandom r) {
        double u = r.nextDouble(1e-300, 1.0), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    static double[] d(float[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i];
        return y;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static double norm(double[] a) { return Math.sqrt(dot(a, a)); }

    static double[] minus(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) y[i] = a[i] - b[i];
        return y;
    }

    /** {@code Σ c_k v_k}. */
    static double[] comb(double[] c, double[]... v) {
        double[] y = new double[v[0].length];
        for (int k = 0; k < v.length; k++) {
            for (int i = 0; i < y.length; i++) y[i] += c[k] * v[k][i];
        }
        return y;
    }

    /** Element-wise match within {@code tol·(1 + |expected|)}, inputs being of unit scale. */
    static void assertClose(double[] expected, float[] actual, double tol) {
        assertThat(actual).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            if (!(err <= tol * (1 + Math.abs(expected[i])))) {
                throw new AssertionError("element " + i + " of " + expected.length + ": expected " + expected[i]
                        + " but got " + actual[i]);
            }
        }
    }

    static void assertClose(double[] expected, float[] actual) { assertClose(expected, actual, TOL); }

    static void assertClose(float[] expected, float[] actual) { assertClose(d(expected), actual, TOL); }
}
