package dev.jmerge.methods.random;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CounterRngTest {

    private static final int N = 1_000_000;

    @Test
    void uniformMeanVarianceAndBuckets() {
        long key = CounterRng.key(42, "model.layers.0.mlp.down_proj.weight", 1);
        int buckets = 100;
        long[] count = new long[buckets];
        double sum = 0;
        double sq = 0;
        for (int i = 0; i < N; i++) {
            double u = CounterRng.uniform(key, i);
            assertThat(u).isGreaterThanOrEqualTo(0).isLessThan(1);
            sum += u;
            sq += u * u;
            count[(int) (u * buckets)]++;
        }
        double mean = sum / N;
        double var = sq / N - mean * mean;
        assertThat(mean).isCloseTo(0.5, org.assertj.core.api.Assertions.within(4 * Math.sqrt(1.0 / 12 / N)));
        assertThat(var).isCloseTo(1.0 / 12, org.assertj.core.api.Assertions.within(4 * Math.sqrt(1.0 / 180 / N)));
        double expected = (double) N / buckets;
        double chi2 = 0;
        for (long c : count) chi2 += (c - expected) * (c - expected) / expected;
        // 99 degrees of freedom: the 99.99th percentile is about 148
        assertThat(chi2).isLessThan(148);
    }

    @Test
    void streamsOfNeighbouringKeysAreUncorrelated() {
        long a = CounterRng.key(7, "w", 1);
        long b = CounterRng.key(7, "w", 2);
        long c = CounterRng.key(8, "w", 1);
        long d = CounterRng.key(7, "v", 1);
        assertThat(new long[] {b, c, d}).doesNotContain(a);
        for (long other : new long[] {b, c, d}) {
            double s = 0;
            for (int i = 0; i < N; i++) s += (CounterRng.uniform(a, i) - 0.5) * (CounterRng.uniform(other, i) - 0.5);
            double corr = s / N * 12;
            assertThat(Math.abs(corr)).isLessThan(4 / Math.sqrt(N));
        }
        // neighbouring indices of one stream too
        double s = 0;
        for (int i = 0; i < N; i++) s += (CounterRng.uniform(a, i) - 0.5) * (CounterRng.uniform(a, i + 1) - 0.5);
        assertThat(Math.abs(s / N * 12)).isLessThan(4 / Math.sqrt(N));
    }

    @Test
    void aValueDependsOnlyOnKeyAndIndex() {
        long key = CounterRng.key(1, "t", 3);
        double[] forward = new double[1000];
        for (int i = 0; i < 1000; i++) forward[i] = CounterRng.uniform(key, i);
        for (int i = 999; i >= 0; i -= 7) assertThat(CounterRng.uniform(key, i)).isEqualTo(forward[i]);
        assertThat(CounterRng.key(1, "t", 3)).isEqualTo(key);
    }
}
