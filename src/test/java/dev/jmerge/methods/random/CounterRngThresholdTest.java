package dev.jmerge.methods.random;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The integer keep test the masks use is the double compare {@code uniform < p}, draw for draw. */
class CounterRngThresholdTest {

    @Test
    void bits53ScaledIsUniform() {
        for (long i = 0; i < 10_000; i++) {
            assertThat(CounterRng.bits53(12345L, i) * 0x1.0p-53).isEqualTo(CounterRng.uniform(12345L, i));
        }
    }

    @Test
    void integerThresholdDecidesLikeTheDoubleCompare() {
        double[] ps = {0, 1e-300, 0x1.0p-53, 0.1, 0.3, 0.5, Math.nextDown(0.5), Math.nextUp(0.5), 0.9, 0.999999,
                Math.nextDown(1.0), 1, 1.5, Double.NaN};
        long key = CounterRng.key(7, "model.layers.0.mlp.up_proj.weight", 2);
        for (double p : ps) {
            long below = CounterRng.below(p);
            for (long i = 0; i < 20_000; i++) {
                assertThat(CounterRng.bits53(key, i) < below).as("p=%s i=%d", p, i).isEqualTo(CounterRng.uniform(key, i) < p);
            }
        }
    }

    @Test
    void thresholdsOnTheGridAreExact() {
        // p exactly on the 2^-53 grid: a draw equal to p is not below it
        for (long n : new long[] {1, 2, 12345, (1L << 52) + 1, (1L << 53) - 1}) {
            double p = n * 0x1.0p-53;
            assertThat(CounterRng.below(p)).isEqualTo(n);
            assertThat(CounterRng.below(Math.nextUp(p))).isEqualTo(n + 1);
        }
    }
}
