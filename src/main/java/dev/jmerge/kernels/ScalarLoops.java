package dev.jmerge.kernels;

import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The scalar loops behind {@link ScalarKernels}, over index ranges {@code [from, to)}. The vector kernels
 * finish their tails here so that a tail element is computed by exactly the same expression as in the
 * reference. Floating-point expressions are written unfused (Java never contracts {@code a*b+c}), which is
 * what vector code must reproduce bit for bit.
 */
public final class ScalarLoops {

    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    /** The slots of a partition: ints in native order, as the selections store them. */
    private static final ValueLayout.OfInt SLOT = ValueLayout.JAVA_INT;

    private ScalarLoops() {}

    /** The key a partition slot stands for: itself, or its tie group's key (see {@code Kernels.stopsUp}). */
    public static int slotKey(int slot, int tieCount, int tieKeyA, int tieKeyB) {
        return slot >= 0 ? slot : (slot & 0x7FFF_FFFF) < tieCount ? tieKeyA : tieKeyB;
    }

    /**
     * Offsets {@code i} in {@code [from, to)} whose slot {@code base+i} has a key {@code <= pivot}, written from
     * {@code out[c]} on without a branch per slot (whether a slot stops is a coin flip); returns the new count.
     */
    public static int stopsUp(MemorySegment slots, long base, int pivot, int tieCount, int tieKeyA, int tieKeyB,
                              int[] out, int from, int to, int c) {
        for (int i = from; i < to; i++) {
            out[c] = i;
            c += slotKey(slots.getAtIndex(SLOT, base + i), tieCount, tieKeyA, tieKeyB) > pivot ? 0 : 1;
        }
        return c;
    }

    /** Offsets {@code i} in {@code [from, to)} with {@code lo <= slots[base+i] <= hi}, as {@link #stopsUp}. */
    public static int slotsBetween(MemorySegment slots, long base, int lo, int hi, int[] out, int from, int to, int c) {
        for (int i = from; i < to; i++) {
            int v = slots.getAtIndex(SLOT, base + i);
            out[c] = i;
            c += v >= lo && v <= hi ? 1 : 0;
        }
        return c;
    }

    /** The largest magnitude key: every NaN's (see {@code Kernels.magnitudeKeys}). */
    public static final int MAX_MAGNITUDE_KEY = 0x7F80_0001;

    public static void magnitudeKeys(float[] x, int[] keys, int from, int to) {
        for (int i = from; i < to; i++) keys[i] = Math.min(Float.floatToRawIntBits(x[i]) & 0x7FFF_FFFF, MAX_MAGNITUDE_KEY);
    }

    /**
     * See {@code Kernels.deltaKeys}: elements {@code [from, to)}, {@code xOff} and {@code bOff} being where element 0
     * starts. Decodes as {@link #toFloat} does, subtracts and keys as {@link #sub} and {@link #magnitudeKeys} do.
     */
    public static void deltaKeys(MemorySegment x, long xOff, MemorySegment b, long bOff, DType type, int[] keys,
                                 int from, int to) {
        switch (type) {
            case BF16 -> {
                for (int i = from; i < to; i++) {
                    float d = ScalarKernels.bf16ToFloat(x.get(SHORT, xOff + 2L * i))
                            - ScalarKernels.bf16ToFloat(b.get(SHORT, bOff + 2L * i));
                    keys[i] = Math.min(Float.floatToRawIntBits(d) & 0x7FFF_FFFF, MAX_MAGNITUDE_KEY);
                }
            }
            case F32 -> {
                for (int i = from; i < to; i++) {
                    float d = x.get(FLOAT, xOff + 4L * i) - b.get(FLOAT, bOff + 4L * i);
                    keys[i] = Math.min(Float.floatToRawIntBits(d) & 0x7FFF_FFFF, MAX_MAGNITUDE_KEY);
                }
            }
            default -> throw new IllegalArgumentException("deltaKeys reads bf16 or f32, not " + type);
        }
    }

    /** See {@code Kernels.storedMinus}: elements {@code [from, to)}, decoded as {@link #toFloat}, then {@link #sub}. */
    public static void storedMinus(MemorySegment x, long xOff, DType type, float[] base, float[] out, int from, int to) {
        switch (type) {
            case BF16 -> {
                for (int i = from; i < to; i++) out[i] = ScalarKernels.bf16ToFloat(x.get(SHORT, xOff + 2L * i)) - base[i];
            }
            case F32 -> { for (int i = from; i < to; i++) out[i] = x.get(FLOAT, xOff + 4L * i) - base[i]; }
            default -> throw new IllegalArgumentException("storedMinus reads bf16 or f32, not " + type);
        }
    }

    public static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /**
     * The counter-based draw of element {@code index} of stream {@code key} ({@code methods.random.CounterRng}, which
     * documents it): two rounds of {@link #mix}, the key entering both; 53 bits.
     */
    public static long counterBits53(long key, long index) {
        long z = mix(key + index * GOLDEN);
        z = mix(z ^ Long.rotateLeft(key, 29));
        return z >>> 11;
    }

    /** SplitMix64's output function (Stafford's mix13 constants): a bijection with full avalanche. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** See {@code Kernels.counterDraws}. */
    public static void counterDraws(long key, long index, long step, long[] out, int from, int to) {
        for (int i = from; i < to; i++) out[i] = counterBits53(key, index + i * step);
    }

    /** See {@code Kernels.keepDrawn}: the keep test as a mask, no branch on a coin toss. */
    public static void keepDrawn(long key, long index, long below, float[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            int keep = (int) ((counterBits53(key, index + i) - below) >> 63); // -1 when drawn below
            x[i] = Float.intBitsToFloat(Float.floatToRawIntBits(x[i]) & keep);
        }
    }

    /** See {@code Kernels.maskKeys}; no branch per kept or dropped element, only at the tie keys. */
    public static void maskKeys(float[] x, int from, int to, int lo, int hi, int tieA, int tieB, long[] verdicts,
                                int[] cursor) {
        for (int i = from; i < to; i++) {
            int raw = Float.floatToRawIntBits(x[i]);
            int k = Math.min(raw & 0x7FFF_FFFF, MAX_MAGNITUDE_KEY);
            int keep = k == tieA ? verdict(verdicts, cursor, 0) : k == tieB ? verdict(verdicts, cursor, 1)
                    : ~(((k - lo) | (hi - k)) >> 31);
            x[i] = Float.intBitsToFloat(raw & keep);
        }
    }

    /** The next verdict bit of tie group {@code g} as a mask (-1 keeps), advancing its cursor. */
    public static int verdict(long[] verdicts, int[] cursor, int g) {
        int ord = cursor[g]++;
        return (int) -((verdicts[ord >>> 6] >>> ord) & 1L);
    }

    /** Offsets {@code i} in {@code [from, to]} whose slot {@code end-i} has a key {@code >= pivot}, as {@link #stopsUp}. */
    public static int stopsDown(MemorySegment slots, long end, int pivot, int tieCount, int tieKeyA, int tieKeyB,
                                int[] out, int from, int to, int c) {
        for (int i = from; i <= to; i++) {
            out[c] = i;
            c += pivot > slotKey(slots.getAtIndex(SLOT, end - i), tieCount, tieKeyA, tieKeyB) ? 0 : 1;
        }
        return c;
    }

    /** Decodes {@code n} little-endian elements of {@code type} at {@code byteOffset} into {@code dst}. */
    public static void toFloat(MemorySegment src, long byteOffset, DType type, float[] dst, int dstOff, int n) {
        // One loop per type rather than a switch per element: the reference is also the fallback at run time.
        long p = byteOffset;
        int end = dstOff + n;
        switch (type) {
            case F32 -> MemorySegment.copy(src, FLOAT, byteOffset, dst, dstOff, n);
            case BF16 -> { for (int i = dstOff; i < end; i++, p += 2) dst[i] = ScalarKernels.bf16ToFloat(src.get(SHORT, p)); }
            case F16 -> { for (int i = dstOff; i < end; i++, p += 2) dst[i] = Float.float16ToFloat(src.get(SHORT, p)); }
            case F64 -> { for (int i = dstOff; i < end; i++, p += 8) dst[i] = (float) src.get(DOUBLE, p); }
            case F8_E4M3 -> { for (int i = dstOff; i < end; i++, p++) dst[i] = Float8.e4m3ToFloat(src.get(BYTE, p)); }
            case F8_E5M2 -> { for (int i = dstOff; i < end; i++, p++) dst[i] = Float8.e5m2ToFloat(src.get(BYTE, p)); }
            case I64 -> { for (int i = dstOff; i < end; i++, p += 8) dst[i] = (float) src.get(LONG, p); }
            case I32 -> { for (int i = dstOff; i < end; i++, p += 4) dst[i] = (float) src.get(INT, p); }
            case I16 -> { for (int i = dstOff; i < end; i++, p += 2) dst[i] = src.get(SHORT, p); }
            case I8 -> { for (int i = dstOff; i < end; i++, p++) dst[i] = src.get(BYTE, p); }
            case U8 -> { for (int i = dstOff; i < end; i++, p++) dst[i] = src.get(BYTE, p) & 0xFF; }
            case BOOL -> { for (int i = dstOff; i < end; i++, p++) dst[i] = src.get(BYTE, p) != 0 ? 1f : 0f; }
        }
    }

    /**
     * Encodes {@code n} floats from {@code src} as little-endian {@code type} at {@code byteOffset}; returns their
     * largest magnitude bits ({@link Kernels#fromFloat}).
     */
    public static int fromFloat(float[] src, int srcOff, MemorySegment dst, long byteOffset, DType type, int n) {
        long p = byteOffset;
        int end = srcOff + n;
        int max = 0;
        for (int i = srcOff; i < end; i++) max = Math.max(max, Float.floatToRawIntBits(src[i]) & 0x7FFF_FFFF);
        switch (type) {
            case F32 -> MemorySegment.copy(src, srcOff, dst, FLOAT, byteOffset, n);
            case BF16 -> { for (int i = srcOff; i < end; i++, p += 2) dst.set(SHORT, p, ScalarKernels.floatToBf16(src[i])); }
            case F16 -> { for (int i = srcOff; i < end; i++, p += 2) dst.set(SHORT, p, Float.floatToFloat16(src[i])); }
            case F64 -> { for (int i = srcOff; i < end; i++, p += 8) dst.set(DOUBLE, p, src[i]); }
            case F8_E4M3 -> { for (int i = srcOff; i < end; i++, p++) dst.set(BYTE, p, Float8.floatToE4m3(src[i])); }
            case F8_E5M2 -> { for (int i = srcOff; i < end; i++, p++) dst.set(BYTE, p, Float8.floatToE5m2(src[i])); }
            case I64 -> { for (int i = srcOff; i < end; i++, p += 8) dst.set(LONG, p, (long) Math.rint(src[i])); }
            case I32 -> { for (int i = srcOff; i < end; i++, p += 4) dst.set(INT, p, (int) Math.rint(src[i])); }
            case I16 -> { for (int i = srcOff; i < end; i++, p += 2) dst.set(SHORT, p, (short) Math.rint(src[i])); }
            case I8, U8 -> { for (int i = srcOff; i < end; i++, p++) dst.set(BYTE, p, (byte) Math.rint(src[i])); }
            case BOOL -> { for (int i = srcOff; i < end; i++, p++) dst.set(BYTE, p, (byte) (src[i] != 0f ? 1 : 0)); }
        }
        return max;
    }

    public static void axpy(float a, float[] x, float[] y, int from, int to) {
        for (int i = from; i < to; i++) y[i] = y[i] + a * x[i];
    }

    public static void scale(float a, float[] x, int from, int to) {
        for (int i = from; i < to; i++) x[i] = x[i] * a;
    }

    public static void scaleWide(double a, float[] x, int from, int to) {
        for (int i = from; i < to; i++) x[i] = (float) (x[i] * a);
    }

    public static void sub(float[] a, float[] b, float[] out, int from, int to) {
        for (int i = from; i < to; i++) out[i] = a[i] - b[i];
    }

    public static void mul(float[] a, float[] b, float[] out, int from, int to) {
        for (int i = from; i < to; i++) out[i] = a[i] * b[i];
    }

    public static void lincomb(float wa, float[] a, float wb, float[] b, float[] out, int from, int to) {
        for (int i = from; i < to; i++) out[i] = wa * a[i] + wb * b[i];
    }

    public static void lerp(float t, float[] a, float[] b, float[] out, int from, int to) {
        for (int i = from; i < to; i++) out[i] = a[i] + t * (b[i] - a[i]);
    }

    public static void weightedSumWide(float[][] x, int count, double[] w, double divisor, float[] out, int from,
                                       int to) {
        boolean divide = divisor != 1;
        for (int i = from; i < to; i++) {
            double s = 0;
            for (int j = 0; j < count; j++) s += w[j] * x[j][i];
            out[i] = (float) (divide ? s / divisor : s);
        }
    }

    public static void taskSumWide(float[] base, float[][] delta, int count, float[] w, double divisor, double lambda,
                                   float[] out, int from, int to) {
        for (int i = from; i < to; i++) {
            double s = 0;
            for (int m = 0; m < count; m++) s += w[m] * delta[m][i];
            out[i] = (float) (base[i] + s / divisor * lambda);
        }
    }

    /**
     * The election is done with masks, not branches (signs are random): a dropped term adds +0, which leaves the
     * sums exactly as skipping it would, since they start at +0 and so never hold −0.
     */
    public static void electedSumWide(float[] base, float[][] delta, int count, float[] w, boolean normalize,
                                      double lambda, float[] out, int from, int to) {
        for (int i = from; i < to; i++) {
            double s = 0;
            for (int m = 0; m < count; m++) s += w[m] * delta[m][i];
            long positive = s >= 0 ? -1 : 0; // a zero sum elects +
            double num = 0;
            double den = 0;
            for (int m = 0; m < count; m++) {
                float x = w[m] * delta[m][i];
                long keep = ((x > 0 ? -1L : 0) & positive) | ((x < 0 ? -1L : 0) & ~positive);
                num += Double.longBitsToDouble(Double.doubleToRawLongBits(x) & keep);
                den += Double.longBitsToDouble(Double.doubleToRawLongBits(w[m]) & keep);
            }
            if (den == 0) den = 1;
            out[i] = (float) (base[i] + (normalize ? num / den : num) * lambda);
        }
    }

    public static void varianceWide(float[][] x, int count, float[] out, int from, int to) {
        for (int i = from; i < to; i++) {
            double sum = 0;
            for (int m = 0; m < count; m++) sum += x[m][i];
            double mean = sum / count;
            double sq = 0;
            for (int m = 0; m < count; m++) {
                double d = x[m][i] - mean;
                sq += d * d;
            }
            out[i] = (float) (sq / count);
        }
    }

    public static void electedMeanWide(float[] base, float[][] x, int count, double[] omega, double minDen,
                                       float[] out, int from, int to) {
        for (int i = from; i < to; i++) {
            double s = 0;
            for (int m = 0; m < count; m++) s += x[m][i];
            long positive = s >= 0 ? -1 : 0;
            double num = 0;
            double den = 0;
            for (int m = 0; m < count; m++) {
                float v = x[m][i];
                long keep = ((v > 0 ? -1L : 0) & positive) | ((v < 0 ? -1L : 0) & ~positive);
                num += Double.longBitsToDouble(Double.doubleToRawLongBits(omega[m] * v) & keep);
                den += Double.longBitsToDouble(Double.doubleToRawLongBits(omega[m]) & keep);
            }
            out[i] = (float) (base[i] + num / Math.max(den, minDen));
        }
    }

    public static void fill(float value, float[] x, int from, int to) {
        for (int i = from; i < to; i++) x[i] = value;
    }

    public static void zeroWhereAbsBelow(float[] x, float threshold, int from, int to) {
        for (int i = from; i < to; i++) if (Math.abs(x[i]) < threshold) x[i] = 0f;
    }

    public static int countAbsAtLeast(float[] x, float threshold, int from, int to) {
        int c = 0;
        for (int i = from; i < to; i++) if (Math.abs(x[i]) >= threshold) c++;
        return c;
    }

    /** Products of two floats are exact in float64, so only the order of the additions is rounded. */
    public static double dot(float[] a, float[] b, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += (double) a[i] * b[i];
        return s;
    }

    public static double sumSquares(float[] a, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += (double) a[i] * a[i];
        return s;
    }

    public static double sumAbs(float[] a, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += Math.abs((double) a[i]);
        return s;
    }

    /**
     * {@link Kernels#matmul}: each weight row is decoded once and dotted with every activation row, summing
     * in index order in float32.
     */
    public static void matmul(float[] x, int rows, int k, MemorySegment w, long wByteOffset, DType wType, int n,
                              float[] y, int yOff, int yStride) {
        float[] row = new float[k];
        long rowBytes = (long) k * wType.byteSize();
        for (int j = 0; j < n; j++) {
            toFloat(w, wByteOffset + j * rowBytes, wType, row, 0, k);
            for (int r = 0; r < rows; r++) {
                float s = 0f;
                int base = r * k;
                for (int i = 0; i < k; i++) s += x[base + i] * row[i];
                y[yOff + r * yStride + j] = s;
            }
        }
    }

    /** {@link Kernels#storedDistanceSquares} over {@code [from, to)}, in float64. */
    public static double storedDistanceSquares(float[] x, int xOff, float[] base, int bOff, DType type, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            float v = x[xOff + i];
            float stored = switch (type) {
                case BF16 -> ScalarKernels.bf16ToFloat(ScalarKernels.floatToBf16(v));
                case F16 -> Float.float16ToFloat(Float.floatToFloat16(v));
                case F32 -> v;
                default -> throw new IllegalArgumentException("no stored distance for " + type);
            };
            double d = base == null ? stored : (double) (stored - base[bOff + i]);
            sum += d * d;
        }
        return sum;
    }

    /** {@link Kernels#countKept} over {@code [from, to)}. */
    public static void countKept(float[][] delta, int count, float[] w, boolean elect, long[] kept, int from, int to) {
        for (int i = from; i < to; i++) {
            double s = 0;
            if (elect) for (int m = 0; m < count; m++) s += w == null ? delta[m][i] : w[m] * delta[m][i];
            for (int m = 0; m < count; m++) {
                float x = w == null ? delta[m][i] : w[m] * delta[m][i];
                boolean reaches = elect ? (s >= 0 ? x > 0 : x < 0) : x != 0;
                if (reaches) kept[m]++;
            }
        }
    }
}
