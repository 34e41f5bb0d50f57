package dev.jmerge.kernels;

import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Plain-Java kernels: the numerical reference every other implementation is tested against. */
public final class ScalarKernels implements Kernels {

    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public String name() { return "scalar"; }

    @Override
    public void toFloat(MemorySegment src, long byteOffset, DType type, float[] dst, int dstOff, int n) {
        int size = type.byteSize();
        for (int i = 0; i < n; i++) {
            long p = byteOffset + (long) i * size;
            dst[dstOff + i] = switch (type) {
                case F32 -> src.get(FLOAT, p);
                case BF16 -> Float.intBitsToFloat((src.get(SHORT, p) & 0xFFFF) << 16);
                case F16 -> Float.float16ToFloat(src.get(SHORT, p));
                case F64 -> (float) src.get(DOUBLE, p);
                case F8_E4M3 -> Float8.e4m3ToFloat(src.get(ValueLayout.JAVA_BYTE, p));
                case F8_E5M2 -> Float8.e5m2ToFloat(src.get(ValueLayout.JAVA_BYTE, p));
                case I64 -> (float) src.get(LONG, p);
                case I32 -> (float) src.get(INT, p);
                case I16 -> (float) src.get(SHORT, p);
                case I8 -> (float) src.get(ValueLayout.JAVA_BYTE, p);
                case U8 -> (float) (src.get(ValueLayout.JAVA_BYTE, p) & 0xFF);
                case BOOL -> src.get(ValueLayout.JAVA_BYTE, p) != 0 ? 1f : 0f;
            };
        }
    }

    @Override
    public void fromFloat(float[] src, int srcOff, MemorySegment dst, long byteOffset, DType type, int n) {
        int size = type.byteSize();
        for (int i = 0; i < n; i++) {
            long p = byteOffset + (long) i * size;
            float v = src[srcOff + i];
            switch (type) {
                case F32 -> dst.set(FLOAT, p, v);
                case BF16 -> dst.set(SHORT, p, floatToBf16(v));
                case F16 -> dst.set(SHORT, p, Float.floatToFloat16(v));
                case F64 -> dst.set(DOUBLE, p, v);
                case F8_E4M3 -> dst.set(ValueLayout.JAVA_BYTE, p, Float8.floatToE4m3(v));
                case F8_E5M2 -> dst.set(ValueLayout.JAVA_BYTE, p, Float8.floatToE5m2(v));
                case I64 -> dst.set(LONG, p, (long) Math.rint(v));
                case I32 -> dst.set(INT, p, (int) Math.rint(v));
                case I16 -> dst.set(SHORT, p, (short) Math.rint(v));
                case I8 -> dst.set(ValueLayout.JAVA_BYTE, p, (byte) Math.rint(v));
                case U8 -> dst.set(ValueLayout.JAVA_BYTE, p, (byte) Math.rint(v));
                case BOOL -> dst.set(ValueLayout.JAVA_BYTE, p, (byte) (v != 0f ? 1 : 0));
            }
        }
    }

    /**
     * float32 → bfloat16 with round-to-nearest-even; NaN stays a (quiet) NaN.
     * <pre>
     *  f32: s eeeeeeee mmmmmmm|mmmmmmmmmmmmmmmm
     *  bf16 keeps the left 16 bits; the right 16 decide the rounding.
     * </pre>
     */
    public static short floatToBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) return (short) ((bits >>> 16) | 0x0040);
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    public static float bf16ToFloat(short b) { return Float.intBitsToFloat((b & 0xFFFF) << 16); }

    @Override
    public void axpy(float a, float[] x, float[] y, int n) {
        for (int i = 0; i < n; i++) y[i] += a * x[i];
    }

    @Override
    public void scale(float a, float[] x, int n) {
        for (int i = 0; i < n; i++) x[i] *= a;
    }

    @Override
    public void sub(float[] a, float[] b, float[] out, int n) {
        for (int i = 0; i < n; i++) out[i] = a[i] - b[i];
    }

    @Override
    public void lincomb(float wa, float[] a, float wb, float[] b, float[] out, int n) {
        for (int i = 0; i < n; i++) out[i] = wa * a[i] + wb * b[i];
    }

    @Override
    public double dot(float[] a, float[] b, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) a[i] * b[i];
        return s;
    }

    @Override
    public double sumSquares(float[] a, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) a[i] * a[i];
        return s;
    }

    @Override
    public double sumAbs(float[] a, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.abs(a[i]);
        return s;
    }
}
