package dev.jmerge.kernels;

import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;

/** Plain-Java kernels: the numerical reference every other implementation is tested against. */
public final class ScalarKernels implements Kernels {

    @Override
    public String name() { return "scalar"; }

    @Override
    public void toFloat(MemorySegment src, long byteOffset, DType type, float[] dst, int dstOff, int n) {
        ScalarLoops.toFloat(src, byteOffset, type, dst, dstOff, n);
    }

    @Override
    public int fromFloat(float[] src, int srcOff, MemorySegment dst, long byteOffset, DType type, int n) {
        return ScalarLoops.fromFloat(src, srcOff, dst, byteOffset, type, n);
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
    public int stopsUp(MemorySegment slots, long from, int count, int pivot, int tieCount, int tieKeyA, int tieKeyB,
                       int[] out) {
        return ScalarLoops.stopsUp(slots, from, pivot, tieCount, tieKeyA, tieKeyB, out, 0, count, 0);
    }

    @Override
    public int stopsDown(MemorySegment slots, long end, int count, int pivot, int tieCount, int tieKeyA, int tieKeyB,
                         int[] out) {
        return ScalarLoops.stopsDown(slots, end, pivot, tieCount, tieKeyA, tieKeyB, out, 1, count, 0);
    }

    @Override
    public int slotsBetween(MemorySegment slots, long from, int count, int lo, int hi, int[] out) {
        return ScalarLoops.slotsBetween(slots, from, lo, hi, out, 0, count, 0);
    }

    @Override
    public void magnitudeKeys(float[] x, int[] keys, int n) { ScalarLoops.magnitudeKeys(x, keys, 0, n); }

    @Override
    public void deltaKeys(MemorySegment x, long xOff, MemorySegment b, long bOff, DType type, int[] keys, int n) {
        ScalarLoops.deltaKeys(x, xOff, b, bOff, type, keys, 0, n);
    }

    @Override
    public void storedMinus(MemorySegment x, long xOff, DType type, float[] base, float[] out, int n) {
        ScalarLoops.storedMinus(x, xOff, type, base, out, 0, n);
    }

    @Override
    public void counterDraws(long key, long index, long step, long[] out, int n) {
        ScalarLoops.counterDraws(key, index, step, out, 0, n);
    }

    @Override
    public void keepDrawn(long key, long index, long below, float[] x, int n) {
        ScalarLoops.keepDrawn(key, index, below, x, 0, n);
    }

    @Override
    public void maskKeys(float[] x, int n, int lo, int hi, int tieA, int tieB, long[] verdicts, int[] cursor) {
        ScalarLoops.maskKeys(x, 0, n, lo, hi, tieA, tieB, verdicts, cursor);
    }

    @Override
    public void axpy(float a, float[] x, float[] y, int n) { ScalarLoops.axpy(a, x, y, 0, n); }

    @Override
    public void scale(float a, float[] x, int n) { ScalarLoops.scale(a, x, 0, n); }

    @Override
    public void scaleWide(double a, float[] x, int n) { ScalarLoops.scaleWide(a, x, 0, n); }

    @Override
    public void sub(float[] a, float[] b, float[] out, int n) { ScalarLoops.sub(a, b, out, 0, n); }

    @Override
    public void mul(float[] a, float[] b, float[] out, int n) { ScalarLoops.mul(a, b, out, 0, n); }

    @Override
    public void lincomb(float wa, float[] a, float wb, float[] b, float[] out, int n) {
        ScalarLoops.lincomb(wa, a, wb, b, out, 0, n);
    }

    @Override
    public void lerp(float t, float[] a, float[] b, float[] out, int n) { ScalarLoops.lerp(t, a, b, out, 0, n); }

    @Override
    public void weightedSumWide(float[][] x, int count, double[] w, double divisor, float[] out, int n) {
        ScalarLoops.weightedSumWide(x, count, w, divisor, out, 0, n);
    }

    @Override
    public void taskSumWide(float[] base, float[][] delta, int count, float[] w, double divisor, double lambda,
                            float[] out, int n) {
        ScalarLoops.taskSumWide(base, delta, count, w, divisor, lambda, out, 0, n);
    }

    @Override
    public void electedSumWide(float[] base, float[][] delta, int count, float[] w, boolean normalize, double lambda,
                               float[] out, int n) {
        ScalarLoops.electedSumWide(base, delta, count, w, normalize, lambda, out, 0, n);
    }

    @Override
    public void varianceWide(float[][] x, int count, float[] out, int n) {
        ScalarLoops.varianceWide(x, count, out, 0, n);
    }

    @Override
    public void electedMeanWide(float[] base, float[][] x, int count, double[] omega, double minDen, float[] out,
                                int n) {
        ScalarLoops.electedMeanWide(base, x, count, omega, minDen, out, 0, n);
    }

    @Override
    public void fill(float value, float[] x, int n) { ScalarLoops.fill(value, x, 0, n); }

    @Override
    public void zeroWhereAbsBelow(float[] x, float threshold, int n) {
        ScalarLoops.zeroWhereAbsBelow(x, threshold, 0, n);
    }

    @Override
    public int countAbsAtLeast(float[] x, float threshold, int n) {
        return ScalarLoops.countAbsAtLeast(x, threshold, 0, n);
    }

    @Override
    public double dot(float[] a, float[] b, int n) { return ScalarLoops.dot(a, b, 0, n); }

    @Override
    public double sumSquares(float[] a, int n) { return ScalarLoops.sumSquares(a, 0, n); }

    @Override
    public double sumAbs(float[] a, int n) { return ScalarLoops.sumAbs(a, 0, n); }

    @Override
    public void gram(float[][] x, int v, float[] base, int n, double[] gram) {
        for (int i = 0; i < n; i++) {
            for (int a = 0; a < v; a++) {
                double da = base == null ? x[a][i] : (double) (x[a][i] - base[i]);
                for (int b = a; b < v; b++) {
                    double db = base == null ? x[b][i] : (double) (x[b][i] - base[i]);
                    gram[a * v + b] += da * db;
                }
            }
        }
    }

    @Override
    public void countKept(float[][] delta, int count, float[] w, boolean elect, long[] kept, int n) {
        ScalarLoops.countKept(delta, count, w, elect, kept, 0, n);
    }

    @Override
    public double storedDistanceSquares(float[] x, int xOff, float[] base, int bOff, DType type, int n) {
        return ScalarLoops.storedDistanceSquares(x, xOff, base, bOff, type, 0, n);
    }

    @Override
    public void matmul(float[] x, int rows, int k, MemorySegment w, long wByteOffset, DType wType, int n,
                       float[] y, int yOff, int yStride) {
        ScalarLoops.matmul(x, rows, k, w, wByteOffset, wType, n, y, yOff, yStride);
    }
}
