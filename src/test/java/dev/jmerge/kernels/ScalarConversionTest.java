package dev.jmerge.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The reference conversions through off-heap segments, checked against the formats' own definitions. */
class ScalarConversionTest {

    private final Kernels k = new ScalarKernels();

    /** Every code of a ≤16-bit float format decodes to its defined value and encodes back to itself. */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16", "F8_E4M3", "F8_E5M2"})
    void everyCodeRoundTrips(DType t) {
        int codes = 1 << (8 * t.byteSize());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate((long) codes * t.byteSize());
            for (int c = 0; c < codes; c++) {
                if (t.byteSize() == 2) in.set(ScalarLoops.SHORT, 2L * c, (short) c);
                else in.set(java.lang.foreign.ValueLayout.JAVA_BYTE, c, (byte) c);
            }
            float[] f = new float[codes];
            k.toFloat(in, 0, t, f, 0, codes);
            MemorySegment out = arena.allocate((long) codes * t.byteSize());
            k.fromFloat(f, 0, out, 0, t, codes);
            for (int c = 0; c < codes; c++) {
                double want = definition(t, c);
                int back = t.byteSize() == 2 ? out.get(ScalarLoops.SHORT, 2L * c) & 0xFFFF
                        : out.get(java.lang.foreign.ValueLayout.JAVA_BYTE, c) & 0xFF;
                if (Double.isNaN(want)) {
                    assertThat(f[c]).as("%s %x", t, c).isNaN();
                    assertThat(Double.isNaN(definition(t, back))).as("%s %x back %x", t, c, back).isTrue();
                } else {
                    assertThat((double) f[c]).as("%s %x", t, c).isEqualTo(want);
                    assertThat(back).as("%s %x", t, c).isEqualTo(c);
                }
            }
        }
    }

    @Test
    void float8RangesAreTheFormatsOwn() {
        assertThat(definition(DType.F8_E4M3, 0x7E)).isEqualTo(448.0);
        assertThat(definition(DType.F8_E4M3, 0x01)).isEqualTo(0x1p-9);
        assertThat(definition(DType.F8_E4M3, 0x08)).isEqualTo(0x1p-6);
        assertThat(definition(DType.F8_E5M2, 0x7B)).isEqualTo(57344.0);
        assertThat(definition(DType.F8_E5M2, 0x01)).isEqualTo(0x1p-16);
        assertThat(Float8.e4m3ToFloat((byte) 0x7E)).isEqualTo(448f);
        assertThat(Float8.e4m3ToFloat((byte) 0x01)).isEqualTo(0x1p-9f);
        assertThat(Float8.e5m2ToFloat((byte) 0x7C)).isEqualTo(Float.POSITIVE_INFINITY);
    }

    /**
     * Encoding picks the nearest code in float64, ties to the even code; past the largest finite value the
     * next code up is the overflow one (E4M3FN: NaN at a virtual 480, E5M2: infinity at 65536), as in PyTorch.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F8_E4M3", "F8_E5M2"})
    void float8EncodesToTheNearestCodeTiesToEven(DType t) {
        SplittableRandom r = new SplittableRandom(t.ordinal());
        float[] src = new float[40000];
        for (int i = 0; i < src.length; i++) {
            src[i] = switch (i % 4) {
                case 0 -> Float.intBitsToFloat(KernelData.SPECIAL_BITS[r.nextInt(KernelData.SPECIAL_BITS.length)]);
                case 1 -> (float) (r.nextGaussian() * Math.scalb(1.0, r.nextInt(-20, 17)));
                case 2 -> midpoint(t, r.nextInt(0, maxFinite(t) + 1)) * (r.nextBoolean() ? 1 : -1); // exact ties
                default -> Float.intBitsToFloat(r.nextInt());
            };
        }
        MemorySegment out = MemorySegment.ofArray(new byte[src.length]);
        k.fromFloat(src, 0, out, 0, t, src.length);
        for (int i = 0; i < src.length; i++) {
            int got = out.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) & 0xFF;
            assertThat(got).as("%s of %s (%08x)", t, src[i], Float.floatToRawIntBits(src[i])).isEqualTo(nearest(t, src[i]));
        }
    }

    @Test
    void wideAndIntegerTypesRoundTrip() {
        float[] src = KernelData.floats(new SplittableRandom(3), 4099);
        try (Arena arena = Arena.ofConfined()) {
            for (DType t : new DType[] {DType.F32, DType.F64}) {
                MemorySegment seg = arena.allocate(src.length * (long) t.byteSize() + 1);
                k.fromFloat(src, 0, seg, 1, t, src.length);
                float[] back = new float[src.length];
                k.toFloat(seg, 1, t, back, 0, src.length);
                for (int i = 0; i < src.length; i++) {
                    if (Float.isNaN(src[i])) assertThat(back[i]).isNaN();
                    else assertThat(Float.floatToRawIntBits(back[i])).as("%s", t).isEqualTo(Float.floatToRawIntBits(src[i]));
                }
            }
            float[] ints = {0f, 1f, -1f, 2.5f, 3.5f, -2.5f, 127f, -128f, 255f, 1e9f, -7.49f};
            for (DType t : new DType[] {DType.I64, DType.I32, DType.I16, DType.I8, DType.U8, DType.BOOL}) {
                MemorySegment seg = arena.allocate(ints.length * (long) t.byteSize());
                k.fromFloat(ints, 0, seg, 0, t, ints.length);
                float[] back = new float[ints.length];
                k.toFloat(seg, 0, t, back, 0, ints.length);
                for (int i = 0; i < ints.length; i++) {
                    assertThat(back[i]).as("%s of %s", t, ints[i]).isEqualTo(integerRoundTrip(t, ints[i]));
                }
            }
        }
    }

    /** What an integer type holds for {@code v}: round half to even, then wrap to its width. */
    private static float integerRoundTrip(DType t, float v) {
        long r = (long) Math.rint(v);
        return switch (t) {
            case I64 -> r;
            case I32 -> (int) r;
            case I16 -> (short) r;
            case I8 -> (byte) r;
            case U8 -> r & 0xFF;
            case BOOL -> v != 0f ? 1f : 0f;
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    // ---- float64 references from the format definitions ---------------------------------------------

    static double definition(DType t, int code) {
        return switch (t) {
            case BF16 -> Float.intBitsToFloat(code << 16); // exactly the top half of a float32
            case F16 -> KernelsTest.halfFromDefinition(code);
            case F8_E4M3 -> signed(code & 0x80, (code & 0x7F) == 0x7F ? Double.NaN
                    : e(code, 3, 4) == 0 ? m(code, 3) * 0x1p-9 : (8 + m(code, 3)) * Math.scalb(1.0, e(code, 3, 4) - 10));
            case F8_E5M2 -> signed(code & 0x80, e(code, 2, 5) == 31 ? (m(code, 2) == 0 ? Double.POSITIVE_INFINITY : Double.NaN)
                    : e(code, 2, 5) == 0 ? m(code, 2) * 0x1p-16 : (4 + m(code, 2)) * Math.scalb(1.0, e(code, 2, 5) - 17));
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    private static int e(int code, int mantBits, int expBits) { return (code >>> mantBits) & ((1 << expBits) - 1); }

    private static int m(int code, int mantBits) { return code & ((1 << mantBits) - 1); }

    private static double signed(int sign, double mag) { return sign != 0 ? -mag : mag; }

    private static int maxFinite(DType t) { return t == DType.F8_E4M3 ? 0x7E : 0x7B; }

    /** The value just past the largest finite code, where rounding overflows. */
    private static double overflowValue(DType t) { return t == DType.F8_E4M3 ? 480.0 : 65536.0; }

    private static float midpoint(DType t, int code) {
        double next = code == maxFinite(t) ? overflowValue(t) : definition(t, code + 1);
        return (float) ((definition(t, code) + next) / 2); // exact: f8 values need few bits
    }

    private static int nearest(DType t, float v) {
        int overflowCode = t == DType.F8_E4M3 ? 0x7F : 0x7C;
        int sign = Float.floatToRawIntBits(v) < 0 ? 0x80 : 0;
        if (Float.isNaN(v)) return sign | 0x7F;
        double x = Math.abs((double) v);
        if (x > overflowValue(t)) return sign | overflowCode;
        int best = 0;
        double bestD = x;
        for (int c = 1; c <= maxFinite(t) + 1; c++) {
            double val = c == maxFinite(t) + 1 ? overflowValue(t) : definition(t, c);
            double d = Math.abs(x - val);
            if (d < bestD || (d == bestD && (c & 1) == 0)) { best = c; bestD = d; }
        }
        return sign | (best == maxFinite(t) + 1 ? overflowCode : best);
    }
}
