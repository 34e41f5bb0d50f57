package dev.jmerge.methods.sparsify;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Selection against a sort of the magnitude keys, over tie-heavy and tie-free data, signed zeros and NaN. */
class RadixSelectTest {

    @ParameterizedTest
    @CsvSource({"1,false", "7,true", "129,false", "4099,true", "4099,false", "20000,true"})
    void findsTheValueAtEachRankAndItsRun(int n, boolean ties) {
        SplittableRandom r = new SplittableRandom(n * 7L + (ties ? 1 : 0));
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = ties ? (r.nextInt(9) - 4) * 0.5f : (float) r.nextGaussian();
            if (ties && r.nextInt(10) == 0) v[i] = -0f;
            if (ties && r.nextInt(50) == 0) v[i] = r.nextBoolean() ? Float.NaN : Float.intBitsToFloat(0xFFC00123);
        }
        int[] keys = new int[n];
        for (int i = 0; i < n; i++) keys[i] = MagnitudeKey.of(v[i]);
        int[] sorted = keys.clone();
        Arrays.sort(sorted);
        long[][] rankSets = {{0}, {n - 1}, {n / 3, n / 2}, {n / 2, n / 2}, {r.nextInt(n), r.nextInt(n)}};
        for (long[] ranks : rankSets) {
            RadixSelect s = new RadixSelect(n);
            for (int k : keys) s.high(k);
            assertThat(s.zeros()).isEqualTo(Arrays.stream(keys).filter(k -> k == 0).count());
            s.select(ranks);
            for (int i = keys.length - 1; i >= 0; i--) s.low(keys[i]); // any order
            s.resolve();
            check(s, ranks, keys, sorted);
        }
    }

    private static void check(RadixSelect s, long[] ranks, int[] keys, int[] sorted) {
        for (int q = 0; q < ranks.length; q++) {
            int want = sorted[(int) ranks[q]];
            long below = Arrays.stream(keys).filter(k -> k < want).count();
            long equal = Arrays.stream(keys).filter(k -> k == want).count();
            assertThat(s.key(q)).as("rank %d", ranks[q]).isEqualTo(want);
            assertThat(s.below(q)).isEqualTo(below);
            assertThat(s.equal(q)).isEqualTo(equal);
            assertThat(s.straddles(q)).isEqualTo(ranks[q] > below);
        }
    }

    @ParameterizedTest
    @CsvSource({"0.0,0", "-0.0,0", "1.0,1065353216", "-1.0,1065353216", "Infinity,2139095040", "-Infinity,2139095040",
            "NaN,2139095041"})
    void keysOrderMagnitudesLikeTorch(float v, int key) {
        assertThat(MagnitudeKey.of(v)).isEqualTo(key);
    }
}
