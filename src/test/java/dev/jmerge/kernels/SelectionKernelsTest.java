package dev.jmerge.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** The magnitude selections' tile kernels: by hand, and the vector ones bit for bit against the scalar twin. */
class SelectionKernelsTest {

    static final int[] LENGTHS = KernelData.LENGTHS;
    private static final int MAX = ScalarLoops.MAX_MAGNITUDE_KEY;

    private static Kernels scalar;
    private static Kernels panama;

    @BeforeAll
    static void load() throws ReflectiveOperationException {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "jdk.incubator.vector is not in the boot layer");
        scalar = new ScalarKernels();
        panama = (Kernels) Class.forName("dev.jmerge.kernels.panama.PanamaKernels").getDeclaredConstructor().newInstance();
    }

    @Test
    void magnitudeKeysByHand() {
        float[] x = {1.5f, -1.5f, -0f, 0f, Float.NaN, Float.intBitsToFloat(0xFFC0_1234), Float.NEGATIVE_INFINITY,
                Float.MIN_VALUE};
        int[] want = {0x3FC0_0000, 0x3FC0_0000, 0, 0, MAX, MAX, 0x7F80_0000, 1};
        for (Kernels k : new Kernels[] {scalar, panama}) {
            int[] keys = new int[x.length];
            k.magnitudeKeys(x, keys, x.length);
            assertThat(keys).as(k.name()).containsExactly(want);
        }
    }

    @Test
    void maskKeysBetweenByHand() {
        for (Kernels k : new Kernels[] {scalar, panama}) {
            // keys 1, 2, 3 (the tie key), 4, 5, 2 over 9 elements: keep keys in [2, 4]
            float[] x = keyed(1, 2, 3, 4, 5, 2, 1, 4, 3);
            int stop = k.maskKeysBetween(x, 0, x.length, 2, 4, 3, -1);
            assertThat(stop).as(k.name()).isEqualTo(2);
            assertThat(keysOf(x)).containsExactly(0, 2, 3, 4, 5, 2, 1, 4, 3); // masked up to the stop, no further
            stop = k.maskKeysBetween(x, 3, x.length, 2, 4, 3, -1);
            assertThat(stop).isEqualTo(8);
            assertThat(keysOf(x)).containsExactly(0, 2, 3, 4, 0, 2, 0, 4, 3);
            // no tie keys: to the end; dropped negatives become +0
            float[] y = {-1f, -2f, Float.NaN, 0f};
            assertThat(k.maskKeysBetween(y, 0, 4, 0x3F80_0000, 0x3F80_0000, -1, -1)).isEqualTo(4);
            assertThat(Arrays.toString(y)).isEqualTo("[-1.0, 0.0, 0.0, 0.0]");
            assertThat(Float.floatToRawIntBits(y[1])).isZero();
        }
    }

    @ParameterizedTest
    @FieldSource("LENGTHS")
    void magnitudeKeysMatchTheReference(int n) {
        float[] x = KernelData.floats(new SplittableRandom(n * 7L + 1), n);
        int[] want = new int[n + 3], got = new int[n + 3];
        scalar.magnitudeKeys(x, want, n);
        panama.magnitudeKeys(x, got, n);
        assertThat(got).as("n=%d", n).containsExactly(want);
    }

    @ParameterizedTest
    @FieldSource("LENGTHS")
    void maskKeysBetweenMatchesTheReference(int n) {
        SplittableRandom r = new SplittableRandom(n * 13L + 3);
        // few magnitudes, so range ends and tie keys are common, plus the special values
        float[] base = new float[n];
        float[] special = KernelData.floats(r, n);
        for (int i = 0; i < n; i++) base[i] = r.nextInt(6) == 0 ? special[i] : (r.nextBoolean() ? -1 : 1) * (1 + r.nextInt(7));
        int one = Float.floatToRawIntBits(1f), two = Float.floatToRawIntBits(2f), three = Float.floatToRawIntBits(3f);
        int[][] cases = {{two, Float.floatToRawIntBits(6f), three, Float.floatToRawIntBits(5f)}, {one, one, -1, -1},
                {0, MAX, two, -1}, {three, -1, -1, -1}, {0, Integer.MAX_VALUE - 1, -1, three}};
        for (int[] c : cases) {
            for (int from : new int[] {0, Math.min(n, 3)}) {
                float[] want = base.clone(), got = base.clone();
                int s = from, g = from;
                // walk all stops, as the selection's mask does
                while ((s = scalar.maskKeysBetween(want, s, n, c[0], c[1], c[2], c[3])) < n) s++;
                while ((g = panama.maskKeysBetween(got, g, n, c[0], c[1], c[2], c[3])) < n) g++;
                assertThat(bits(got)).as("n=%d case %s from %d", n, Arrays.toString(c), from).containsExactly(bits(want));
            }
            float[] want = base.clone(), got = base.clone();
            assertThat(panama.maskKeysBetween(got, 0, n, c[0], c[1], c[2], c[3]))
                    .isEqualTo(scalar.maskKeysBetween(want, 0, n, c[0], c[1], c[2], c[3]));
            assertThat(bits(got)).containsExactly(bits(want));
        }
    }

    private static float[] keyed(int... keys) {
        float[] x = new float[keys.length];
        for (int i = 0; i < keys.length; i++) x[i] = Float.intBitsToFloat(keys[i] | (i % 2 == 0 ? 0x8000_0000 : 0));
        return x;
    }

    private static int[] keysOf(float[] x) {
        int[] k = new int[x.length];
        for (int i = 0; i < x.length; i++) k[i] = Float.floatToRawIntBits(x[i]) & 0x7FFF_FFFF;
        return k;
    }

    private static int[] bits(float[] x) {
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) b[i] = Float.floatToRawIntBits(x[i]);
        return b;
    }
}
