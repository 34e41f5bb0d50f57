package dev.jmerge.methods;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** DARE and DELLA: keep rates, the L1 rescale, seeds and per-rank keep probabilities. */
class StochasticSparsifyTest {

    private static final int N = 100_000;

    private static float[][] baseZeroAndDelta(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return new float[][] {new float[n], x};
    }

    private static float[] run(MergeMethod m, long[] shape, float[][] x, Params global, Params model, long seed) {
        return new ArrayInput("blk.w", shape, x, 0, global, Params.empty(), model).seed(seed).chunk(4096).run(m);
    }

    @Test
    void dareKeepsDensityShareAndRescaleRestoresTheL1Norm() {
        float[][] x = baseZeroAndDelta(N, 1);
        double density = 0.3;
        Params model = Params.of("weight", 1.0, "density", density);
        float[] plain = run(new DareLinear(), new long[] {N}, x, Params.of("rescale", false), model, 5);
        int kept = 0;
        for (int i = 0; i < N; i++) if (plain[i] != 0) { kept++; assertThat(plain[i]).isEqualTo(x[1][i]); }
        double se = Math.sqrt(density * (1 - density) / N);
        assertThat((double) kept / N).isCloseTo(density, within(4 * se));

        float[] rescaled = run(new DareLinear(), new long[] {N}, x, Params.empty(), model, 5);
        double l1 = 0;
        double l1Out = 0;
        for (int i = 0; i < N; i++) {
            l1 += Math.abs(x[1][i]);
            l1Out += Math.abs(rescaled[i]);
            assertThat(rescaled[i] == 0).isEqualTo(plain[i] == 0);
        }
        assertThat(l1Out).isCloseTo(l1, within(1e-5 * l1));
    }

    @Test
    void sameSeedSameMaskOtherSeedOtherMask() {
        float[][] x = baseZeroAndDelta(10_000, 2);
        Params model = Params.of("weight", 1.0, "density", 0.5, "epsilon", 0.2);
        for (MergeMethod m : new MergeMethod[] {new DareTies(), new DellaLinear()}) {
            float[] a = run(m, new long[] {100, 100}, x, Params.empty(), model, 11);
            float[] b = run(m, new long[] {100, 100}, x, Params.empty(), model, 11);
            float[] c = run(m, new long[] {100, 100}, x, Params.empty(), model, 12);
            assertThat(a).containsExactly(b);
            int differ = 0;
            for (int i = 0; i < a.length; i++) if ((a[i] == 0) != (c[i] == 0)) differ++;
            assertThat(differ).as(m.name()).isGreaterThan(a.length / 4);
        }
    }

    @Test
    void dellaKeepProbabilityRisesWithRankWithinEachRow() {
        int rows = 40;
        int cols = 2500;
        float[][] x = baseZeroAndDelta(rows * cols, 3);
        double density = 0.5;
        double eps = 0.2;
        float[] got = run(new DellaLinear(), new long[] {rows, cols}, x, Params.of("rescale", false),
                Params.of("weight", 1.0, "density", density, "epsilon", eps), 9);
        int buckets = 5;
        long[] kept = new long[buckets];
        long[] total = new long[buckets];
        double[] expected = new double[buckets];
        for (int row = 0; row < rows; row++) {
            Integer[] idx = new Integer[cols];
            for (int c = 0; c < cols; c++) idx[c] = row * cols + c;
            java.util.Arrays.sort(idx, java.util.Comparator.comparingDouble(i -> Math.abs(x[1][i])));
            for (int rank = 0; rank < cols; rank++) {
                int bucket = rank * buckets / cols;
                total[bucket]++;
                expected[bucket] += density - eps + 2 * eps * rank / (cols - 1.0);
                if (got[idx[rank]] != 0) kept[bucket]++;
            }
        }
        for (int b = 0; b < buckets; b++) {
            double p = expected[b] / total[b];
            double se = Math.sqrt(p * (1 - p) / total[b]);
            assertThat((double) kept[b] / total[b]).as("bucket %d", b).isCloseTo(p, within(4 * se));
        }
    }

    @Test
    void dellaOnRowsOfOneElementKeepsWithDensityAndWarns() {
        float[][] x = baseZeroAndDelta(N, 4);
        ArrayInput in = new ArrayInput("col.w", new long[] {N, 1}, x, 0, Params.of("rescale", false),
                Params.empty(), Params.of("weight", 1.0, "density", 0.4, "epsilon", 0.1)).seed(1);
        float[] got = in.run(new DellaLinear());
        int kept = 0;
        for (float v : got) if (v != 0) kept++;
        assertThat((double) kept / N).isCloseTo(0.4, within(4 * Math.sqrt(0.24 / N)));
        assertThat(in.warnings).singleElement().asString().contains("col.w");
    }
}
