package dev.jmerge.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;
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
    static void load() {
        scalar = new ScalarKernels();
        panama = KernelsProvider.get(); // the run's kernels: the vector ones wherever the module is there
        assumeTrue(panama.name().startsWith("panama-"), "no vector kernels in this run");
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
    void maskKeysByHand() {
        for (Kernels k : new Kernels[] {scalar, panama}) {
            // keys 1, 2, 3, 4, 5, 2, 1, 4, 3, 6, 3, 6, 5: keep keys in [2, 4]; key 3 (group A) reads bits 1, 2, 3 of
            // the verdicts (0b0101 -> drop, keep, drop), key 6 (group B) bits 5, 6 (0b11 << 5 -> keep, keep)
            float[] x = keyed(1, 2, 3, 4, 5, 2, 1, 4, 3, 6, 3, 6, 5);
            int[] cursor = {1, 5};
            k.maskKeys(x, x.length, 2, 4, 3, 6, new long[] {0b0110_0100L}, cursor);
            assertThat(keysOf(x)).as(k.name()).containsExactly(0, 2, 0, 4, 0, 2, 0, 4, 3, 6, 0, 6, 0);
            assertThat(cursor).containsExactly(4, 7);
            // no tie keys (and no verdicts): the range alone; dropped negatives become +0
            float[] y = {-1f, -2f, Float.NaN, 0f};
            k.maskKeys(y, 4, 0x3F80_0000, 0x3F80_0000, -1, -1, null, new int[2]);
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
    void maskKeysMatchesTheReference(int n) {
        SplittableRandom r = new SplittableRandom(n * 13L + 3);
        // few magnitudes, so range ends and tie keys are common, plus the special values
        float[] base = new float[n];
        float[] special = KernelData.floats(r, n);
        for (int i = 0; i < n; i++) base[i] = r.nextInt(6) == 0 ? special[i] : (r.nextBoolean() ? -1 : 1) * (1 + r.nextInt(7));
        long[] verdicts = r.longs(2 * n / 64 + 3).toArray();
        int one = Float.floatToRawIntBits(1f), two = Float.floatToRawIntBits(2f), three = Float.floatToRawIntBits(3f);
        int[][] cases = {{two, Float.floatToRawIntBits(6f), three, Float.floatToRawIntBits(5f)}, {one, one, -1, -1},
                {0, MAX, two, -1}, {three, -1, -1, -1}, {0, Integer.MAX_VALUE - 1, three, three}};
        for (int[] c : cases) {
            float[] want = base.clone(), got = base.clone();
            int[] wantCursor = {7, n + 5}, gotCursor = wantCursor.clone();
            scalar.maskKeys(want, n, c[0], c[1], c[2], c[3], verdicts, wantCursor);
            panama.maskKeys(got, n, c[0], c[1], c[2], c[3], verdicts, gotCursor);
            assertThat(bits(got)).as("n=%d case %s", n, Arrays.toString(c)).containsExactly(bits(want));
            assertThat(gotCursor).containsExactly(wantCursor);
        }
    }

    @Test
    void deltaKeysByHand() {
        // x − b: 1.5 − 0 = 1.5, −1 − 1 = −2, equal codes give +0, inf − inf = NaN, NaN − 0 = NaN, −0 − +0 = −0
        short[] x = {0x3FC0, (short) 0xBF80, 0x1234, 0x7F80, 0x7FC1, (short) 0x8000};
        short[] b = {0x0000, 0x3F80, 0x1234, 0x7F80, 0x0000, 0x0000};
        int[] want = {0x3FC0_0000, 0x4000_0000, 0, MAX, MAX, 0};
        for (Kernels k : new Kernels[] {scalar, panama}) {
            int[] keys = new int[x.length];
            k.deltaKeys(bf16(x, 2), 2, bf16(b, 0), 0, DType.BF16, keys, x.length);
            assertThat(keys).as(k.name()).containsExactly(want);
            float[] out = new float[x.length];
            float[] base = {0, 1, ScalarKernels.bf16ToFloat((short) 0x1234), 0, 0, 0};
            k.storedMinus(bf16(x, 0), 0, DType.BF16, base, out, x.length);
            assertThat(Arrays.toString(out)).as(k.name()).isEqualTo("[1.5, -2.0, 0.0, Infinity, NaN, -0.0]");
        }
        assertThatThrownBy(() -> scalar.deltaKeys(bf16(x, 0), 0, bf16(b, 0), 0, DType.F16, new int[6], 6))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("F16");
    }

    /**
     * The fused kernels against what they fuse (decode both, {@code sub}, {@code magnitudeKeys}), scalar and vector,
     * at unaligned byte offsets: bf16 codes of every kind (NaN, infinities, zeros, subnormals), many equal pairs and
     * few distinct magnitudes, so deltas of zero and equal keys are common; f32 with the conversion tests' specials.
     */
    @ParameterizedTest
    @FieldSource("LENGTHS")
    void fusedDeltaKernelsMatchTheirParts(int n) {
        SplittableRandom r = new SplittableRandom(n * 31L + 5);
        short[] xb = new short[n], bb = new short[n];
        short[] codes = {0, (short) 0x8000, 0x7F80, (short) 0xFF80, 0x7FC0, (short) 0xFFC1, 0x0001, 0x3F80, 0x3F81};
        for (int i = 0; i < n; i++) {
            bb[i] = r.nextInt(4) == 0 ? codes[r.nextInt(codes.length)] : (short) (0x3C00 + r.nextInt(8));
            xb[i] = switch (r.nextInt(4)) {
                case 0 -> bb[i];
                case 1 -> codes[r.nextInt(codes.length)];
                case 2 -> (short) r.nextInt();
                default -> (short) (bb[i] + r.nextInt(-2, 3));
            };
        }
        compareFused("bf16", n, bf16(xb, 3), 3, bf16(bb, 1), 1, DType.BF16);
        float[] xf = KernelData.floats(r, n), bf = KernelData.floats(r, n);
        for (int i = 0; i < n; i += 3) bf[i] = xf[i];
        compareFused("f32", n, f32(xf, 1), 1, f32(bf, 6), 6, DType.F32);
    }

    private static void compareFused(String what, int n, MemorySegment x, long xOff, MemorySegment b, long bOff, DType t) {
        float[] xs = new float[n], bs = new float[n], d = new float[n];
        scalar.toFloat(x, xOff, t, xs, 0, n);
        scalar.toFloat(b, bOff, t, bs, 0, n);
        scalar.sub(xs, bs, d, n);
        int[] want = new int[n];
        scalar.magnitudeKeys(d, want, n);
        for (Kernels k : new Kernels[] {scalar, panama}) {
            int[] keys = new int[n + 3];
            k.deltaKeys(x, xOff, b, bOff, t, keys, n);
            assertThat(Arrays.copyOf(keys, n)).as("%s %s n=%d", k.name(), what, n).containsExactly(want);
            float[] out = new float[n];
            k.storedMinus(x, xOff, t, bs, out, n);
            assertThat(canonical(out)).as("%s %s storedMinus n=%d", k.name(), what, n).containsExactly(canonical(d));
        }
    }

    /** The codes as little-endian bf16 after {@code pad} bytes. */
    private static MemorySegment bf16(short[] codes, int pad) {
        MemorySegment s = MemorySegment.ofArray(new byte[pad + 2 * codes.length]);
        for (int i = 0; i < codes.length; i++) s.set(ScalarLoops.SHORT, pad + 2L * i, codes[i]);
        return s;
    }

    private static MemorySegment f32(float[] v, int pad) {
        MemorySegment s = MemorySegment.ofArray(new byte[pad + 4 * v.length]);
        for (int i = 0; i < v.length; i++) s.set(ScalarLoops.FLOAT, pad + 4L * i, v[i]);
        return s;
    }

    /** Bits with every NaN as one (arithmetic NaN payloads are the hardware's). */
    private static int[] canonical(float[] x) {
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) b[i] = Float.floatToIntBits(x[i]);
        return b;
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
