package dev.jmerge.linalg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The randomized and exact truncated SVDs against the Eckart–Young optimum, which the float64 Jacobi
 * reference in this test computes independently: ‖M − U·S·Vᵀ‖_F must be within 1 % of the optimal error.
 */
class TruncatedSvdTest {

    /** An in-memory matrix served in row blocks. */
    record Dense(double[] a, int rows, int cols) implements RowSource {
        @Override
        public void read(int first, int count, float[] dst) {
            for (int i = 0; i < count * cols; i++) dst[i] = (float) a[first * cols + i];
        }
    }

    /** Gaussian noise of scale {@code noise} plus a low-rank part whose singular values fall geometrically. */
    static Dense matrix(int m, int n, int lowRank, double decay, double noise, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] a = new double[m * n];
        for (int i = 0; i < a.length; i++) a[i] = noise * r.nextGaussian();
        for (int p = 0; p < lowRank; p++) {
            double[] u = new double[m], v = new double[n];
            for (int i = 0; i < m; i++) u[i] = r.nextGaussian();
            for (int j = 0; j < n; j++) v[j] = r.nextGaussian();
            double s = Math.pow(decay, p) / Math.sqrt(m * (double) n);
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) a[i * n + j] += s * 20 * u[i] * v[j];
        }
        return new Dense(a, m, n);
    }

    /** ‖M − U·diag(s)·Vᵀ‖_F, element by element in float64. */
    static double error(Dense d, Factorization f) {
        double e = 0;
        int r = f.rank();
        for (int i = 0; i < d.rows(); i++) {
            for (int j = 0; j < d.cols(); j++) {
                double x = 0;
                for (int c = 0; c < r; c++) x += f.u()[i * r + c] * f.s()[c] * f.v()[j * r + c];
                double diff = d.a()[i * d.cols() + j] - x;
                e += diff * diff;
            }
        }
        return Math.sqrt(e);
    }

    static double norm(Dense d) {
        double s = 0;
        for (double x : d.a()) s += x * x;
        return Math.sqrt(s);
    }

    private static void checkNearOptimal(Dense d, int rank, TruncatedSvd.Options o, double relTolerance) {
        Factorization f = TruncatedSvd.compute(d, rank, o);
        double[] sv = Jacobi.singularValues(d.a(), d.rows(), d.cols());
        double opt = Jacobi.optimalError(sv, Math.min(rank, sv.length));
        double err = error(d, f);
        assertThat(f.rank()).isEqualTo(Math.min(rank, Math.min(d.rows(), d.cols())));
        // the bar: within 1 % of ‖M‖ of the optimum; ours: within relTolerance of the optimal error itself
        assertThat(err - opt).isLessThanOrEqualTo(0.01 * norm(d));
        assertThat(err).isLessThanOrEqualTo(opt * (1 + relTolerance) + 1e-6 * norm(d));
        // the residual reported from the norms agrees with the one measured
        assertThat(f.residualNorm()).isCloseTo(err, within(1e-4 * norm(d)));
        for (int i = 1; i < f.rank(); i++) assertThat(f.s()[i]).isLessThanOrEqualTo(f.s()[i - 1]);
        for (int i = 0; i < f.rank(); i++) assertThat(f.s()[i]).isLessThanOrEqualTo(sv[i] * (1 + 1e-5) + 1e-9);
    }

    @Test
    void randomizedReachesTheOptimumOnADecayingSpectrum() {
        Dense d = matrix(300, 140, 40, 0.85, 0.002, 1);
        assertThat(TruncatedSvd.sketchWidth(300, 140, 8, TruncatedSvd.Options.of(false, 0))).isEqualTo(32);
        checkNearOptimal(d, 8, TruncatedSvd.Options.of(false, 7), 0.01);
    }

    @Test
    void randomizedReachesTheOptimumOnFlatNoise() {
        // The hard case for range finders: singular values that barely fall (a noise-like fine-tune delta).
        checkNearOptimal(matrix(260, 180, 0, 1, 1, 2), 16, TruncatedSvd.Options.of(false, 3), 0.01);
    }

    @Test
    void randomizedOnAWideMatrixAndOnOneOfLowRank() {
        checkNearOptimal(matrix(90, 310, 30, 0.9, 0.01, 3), 12, TruncatedSvd.Options.of(false, 5), 0.01);
        Dense rank3 = matrix(200, 150, 3, 0.5, 0, 4);
        Factorization f = TruncatedSvd.compute(rank3, 8, TruncatedSvd.Options.of(false, 1));
        assertThat(error(rank3, f)).isLessThan(1e-5 * norm(rank3));
    }

    @Test
    void exactIsTheFullDecomposition() {
        Dense d = matrix(120, 70, 20, 0.8, 0.05, 5);
        Factorization f = TruncatedSvd.compute(d, 70, TruncatedSvd.Options.of(true, 0));
        double[] sv = Jacobi.singularValues(d.a(), 120, 70);
        for (int i = 0; i < 70; i++) assertThat(f.s()[i]).isCloseTo(sv[i], within(1e-5 * sv[0]));
        assertThat(error(d, f)).isLessThan(1e-5 * norm(d));
        checkNearOptimal(d, 10, TruncatedSvd.Options.of(true, 0), 1e-4);
    }

    @Test
    void wideSketchesFallBackToTheExactDecomposition() {
        assertThat(TruncatedSvd.sketchWidth(100, 60, 20, TruncatedSvd.Options.of(false, 0))).isZero();
        assertThat(TruncatedSvd.sketchWidth(4096, 2048, 32, TruncatedSvd.Options.of(false, 0))).isEqualTo(48);
        assertThat(TruncatedSvd.sketchWidth(4096, 2048, 32, TruncatedSvd.Options.of(true, 0))).isZero();
    }

    @Test
    void factorsAreOrthonormalAndReproducible() {
        Dense d = matrix(220, 130, 25, 0.9, 0.01, 6);
        Factorization f = TruncatedSvd.compute(d, 10, TruncatedSvd.Options.of(false, 11));
        Factorization g = TruncatedSvd.compute(d, 10, TruncatedSvd.Options.of(false, 11));
        assertThat(g.u()).containsExactly(f.u());
        assertThat(g.v()).containsExactly(f.v());
        int r = f.rank();
        for (int a = 0; a < r; a++) {
            for (int b = 0; b < r; b++) {
                double uu = 0, vv = 0;
                for (int i = 0; i < 220; i++) uu += f.u()[i * r + a] * f.u()[i * r + b];
                for (int j = 0; j < 130; j++) vv += f.v()[j * r + a] * f.v()[j * r + b];
                assertThat(uu).isCloseTo(a == b ? 1 : 0, within(1e-5));
                assertThat(vv).isCloseTo(a == b ? 1 : 0, within(1e-5));
            }
        }
    }

    @Test
    void buffersKeptFromOneMatrixToTheNextChangeNothing() throws Exception {
        Dense wide = matrix(70, 260, 20, 0.8, 0.01, 8), tall = matrix(400, 90, 20, 0.8, 0.01, 9);
        TruncatedSvd.Options o = TruncatedSvd.Options.of(false, 4);
        Factorization fresh = java.util.concurrent.Executors.newSingleThreadExecutor()
                .submit(() -> TruncatedSvd.compute(wide, 6, o)).get();
        TruncatedSvd.compute(tall, 6, o); // leaves larger buffers behind in this thread
        Factorization reused = TruncatedSvd.compute(wide, 6, o);
        assertThat(reused.u()).containsExactly(fresh.u());
        assertThat(reused.v()).containsExactly(fresh.v());
        assertThat(reused.s()).containsExactly(fresh.s());
    }

    @Test
    void aZeroMatrixHasZeroSingularValues() {
        Dense zero = new Dense(new double[150 * 100], 150, 100);
        Factorization f = TruncatedSvd.compute(zero, 6, TruncatedSvd.Options.of(false, 0));
        assertThat(f.s()).containsOnly(0.0);
        assertThat(error(zero, f)).isZero();
    }

    @Test
    void nonFiniteValuesAreRefused() {
        double[] a = new double[40 * 40];
        a[77] = Double.NaN;
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> TruncatedSvd.compute(new Dense(a, 40, 40), 2, TruncatedSvd.Options.of(false, 0)))
                .isInstanceOf(ArithmeticException.class).hasMessageContaining("NaN");
    }
}
