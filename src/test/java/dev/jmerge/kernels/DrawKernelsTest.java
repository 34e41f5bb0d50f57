package dev.jmerge.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** The counter-based draw kernels: the scalar loops against their definition, the vector ones bit for bit against those. */
class DrawKernelsTest {

    static final int[] LENGTHS = KernelData.LENGTHS;
    /** Keys and first indices at the edges of long arithmetic: the vector products must wrap as Java's do. */
    private static final long[] KEYS = {0, -1, Long.MIN_VALUE, 0x243F6A8885A308D3L};
    private static final long[] INDICES = {0, 12345, Long.MAX_VALUE - 5, -40};

    private static Kernels scalar;
    private static Kernels panama;

    @BeforeAll
    static void load() {
        scalar = new ScalarKernels();
        panama = KernelsProvider.get();
        assumeTrue(panama.name().startsWith("panama-"), "no vector kernels in this run");
    }

    @Test
    void counterBitsAreSplitMixTwice() {
        // SplitMix64's published first output for seed 0 is mix(0 + GOLDEN) = 0xE220A8397B1DCDAF
        assertThat(ScalarLoops.mix(ScalarLoops.GOLDEN)).isEqualTo(0xE220A8397B1DCDAFL);
        assertThat(ScalarLoops.counterBits53(0, 1)).isEqualTo(ScalarLoops.mix(0xE220A8397B1DCDAFL) >>> 11);
        long[] out = new long[3];
        scalar.counterDraws(5, 10, 3, out, 3);
        assertThat(out).containsExactly(ScalarLoops.counterBits53(5, 10), ScalarLoops.counterBits53(5, 13),
                ScalarLoops.counterBits53(5, 16));
    }

    @ParameterizedTest
    @FieldSource("LENGTHS")
    void counterDrawsMatchTheReference(int n) {
        for (long key : KEYS) {
            for (long index : INDICES) {
                for (long step : new long[] {1, 7, -3, 1L << 40}) {
                    long[] want = new long[n + 2], got = new long[n + 2];
                    scalar.counterDraws(key, index, step, want, n);
                    panama.counterDraws(key, index, step, got, n);
                    assertThat(got).as("key %x index %d step %d n=%d", key, index, step, n).containsExactly(want);
                    for (int i = 0; i < n; i += 97) assertThat(want[i]).isEqualTo(ScalarLoops.counterBits53(key, index + i * step));
                }
            }
        }
    }

    @ParameterizedTest
    @FieldSource("LENGTHS")
    void keepDrawnMatchesTheReference(int n) {
        float[] x = KernelData.floats(new SplittableRandom(n * 3L + 7), n);
        for (long key : KEYS) {
            for (long index : INDICES) {
                for (long below : new long[] {0, 1, 1L << 52, (1L << 53) - 1, 1L << 53}) {
                    float[] want = x.clone(), got = x.clone();
                    scalar.keepDrawn(key, index, below, want, n);
                    panama.keepDrawn(key, index, below, got, n);
                    for (int i = 0; i < n; i++) {
                        boolean keep = ScalarLoops.counterBits53(key, index + i) < below;
                        assertThat(Float.floatToRawIntBits(want[i])).as("scalar %d", i)
                                .isEqualTo(keep ? Float.floatToRawIntBits(x[i]) : 0);
                        assertThat(Float.floatToRawIntBits(got[i])).as("key %x index %d below %d n=%d i=%d", key, index,
                                below, n, i).isEqualTo(Float.floatToRawIntBits(want[i]));
                    }
                }
            }
        }
    }
}
