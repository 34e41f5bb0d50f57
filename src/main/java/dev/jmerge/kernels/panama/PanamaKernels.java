package dev.jmerge.kernels.panama;

import dev.jmerge.kernels.KernelUse;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.ScalarLoops;
import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Set;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels, bit-identical to {@code ScalarKernels} except for the order of float64 additions in
 * reductions. Each loop runs whole vectors and hands the remainder to {@link ScalarLoops}.
 *
 * <p>The width is fixed per process ({@code -Djmerge.vectorBits=128|256|512}, default the preferred
 * species, never wider): species live in static finals because C2 only intrinsifies vector code whose
 * species is a compile-time constant.
 */
public final class PanamaKernels implements Kernels {

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

    static final int BITS = vectorBits(System.getProperty("jmerge.vectorBits"));
    /** Elementwise float lanes. */
    static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    /** Same lane count as {@link #F}: 16-bit codes widen to int lanes of the same count. */
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(BITS / 2));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(BITS));
    /** Reductions load half-width floats and widen them to the full-width double lanes. */
    private static final VectorSpecies<Float> FH = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS / 2));
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, VectorShape.forBitSize(BITS));

    private static final int F16_EXP_ADJUST = (127 - 15) << 23;
    private static final int F16_INF_EXTRA = (255 - 31 - (127 - 15)) << 23;
    /** |f| at or above this (65504 + half an ulp) overflows a half to infinity. */
    private static final int F16_OVERFLOW = 0x477FF000;
    /** Smallest normal half, 2^-14. */
    private static final int F16_MIN_NORMAL = 0x38800000;
    private static final float HALF = 0.5f;

    @Override
    public void warmUp(Set<DType> dtypes) { Warmup.await(this, dtypes, KernelUse.ALL); }

    @Override
    public void warmUp(Set<DType> dtypes, Set<KernelUse> kernels) { Warmup.await(this, dtypes, kernels); }

    static int vectorBits(String requested) {
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        if (requested == null || requested.isBlank()) return preferred;
        int bits = switch (requested.strip()) {
            case "128" -> 128;
            case "256" -> 256;
            case "512" -> 512;
            default -> throw new IllegalArgumentException(
                    "jmerge.vectorBits must be 128, 256 or 512, got '" + requested + "'");
        };
        // A wider shape than the hardware's is emulated lane by lane: never what anyone wants.
        return Math.min(bits, preferred);
    }

    @Override
    public String name() { return "panama-" + BITS; }

    // ---- conversions -------------------------------------------------------------------------------------

    @Override
    public void toFloat(MemorySegment src, long byteOffset, DType type, float[] dst, int dstOff, int n) {
        int done = switch (type) {
            case BF16 -> bf16ToFloat(src, byteOffset, dst, dstOff, n);
            case F16 -> f16ToFloat(src, byteOffset, dst, dstOff, n);
            default -> 0; // F32 is a bulk copy in the scalar loop; the rest are rare in checkpoints
        };
        ScalarLoops.toFloat(src, byteOffset + (long) done * type.byteSize(), type, dst, dstOff + done, n - done);
    }

    @Override
    public int fromFloat(float[] src, int srcOff, MemorySegment dst, long byteOffset, DType type, int n) {
        int max = switch (type) {
            case BF16 -> floatToBf16(src, srcOff, dst, byteOffset, n);
            case F16 -> floatToF16(src, srcOff, dst, byteOffset, n);
            default -> 0;
        };
        int done = type == DType.BF16 || type == DType.F16 ? F.loopBound(n) : 0;
        return Math.max(max, ScalarLoops.fromFloat(src, srcOff + done, dst, byteOffset + (long) done * type.byteSize(),
                type, n - done));
    }

    /** bf16 is the top half of a float: widen the code to 32 bits and shift it into place. */
    private static int bf16ToFloat(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        int upper = F.loopBound(n);
        for (int i = 0; i < upper; i += F.length()) {
            ShortVector h = ShortVector.fromMemorySegment(H, src, off + 2L * i, LE);
            ((IntVector) h.convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats()
                    .intoArray(dst, dstOff + i);
        }
        return upper;
    }

    /**
     * Round-to-nearest-even on the integer bits, as in {@code ScalarKernels.floatToBf16}, over the whole vectors;
     * returns their largest magnitude bits.
     */
    private static int floatToBf16(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        int upper = F.loopBound(n);
        IntVector max = IntVector.zero(I);
        for (int i = 0; i < upper; i += F.length()) {
            IntVector bits = FloatVector.fromArray(F, src, srcOff + i).reinterpretAsInts();
            IntVector abs = bits.and(0x7FFFFFFF);
            // The receiver of a vector operation must be a vector whose class C2 knows exactly (a fresh result,
            // not a loop variable): C2 types a loop variable by its declared class (IntVector) and then inlines,
            // and so intrinsifies, the operation only if the call's receiver profile happens to be monomorphic.
            // When it is not (the profile depends on which compiles ran first), the compiled kernel calls the
            // boxing fallback on every vector for the rest of the run: 188 young GCs and +2 s CPU for a 0.45 GB
            // bf16 output. Hence abs.max(max), and fresh.add(sum) for the accumulators below (same bits).
            max = abs.max(max);
            IntVector top = bits.lanewise(VectorOperators.LSHR, 16);
            VectorMask<Integer> nan = abs.compare(VectorOperators.GT, 0x7F800000);
            IntVector rounded = bits.add(top.and(1)).add(0x7FFF).lanewise(VectorOperators.LSHR, 16);
            IntVector code = rounded.blend(top.or(0x0040), nan);
            code.convertShape(VectorOperators.I2S, H, 0).intoMemorySegment(dst, off + 2L * i, LE);
        }
        return max.reduceLanes(VectorOperators.MAX);
    }

    /**
     * Exact half → float on the integer bits; subnormal halves are {@code m · 2^-24}, exact in float.
     * NaN lanes are redone by {@link Float#float16ToFloat} because platforms differ in how they quiet them.
     */
    private static int f16ToFloat(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        int upper = F.loopBound(n);
        for (int i = 0; i < upper; i += F.length()) {
            long p = off + 2L * i;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(H, src, p, LE)
                    .convertShape(VectorOperators.S2I, I, 0);
            IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
            IntVector mag = h.and(0x7FFF);
            VectorMask<Integer> infNan = mag.compare(VectorOperators.GE, 0x7C00);
            IntVector normal = mag.lanewise(VectorOperators.LSHL, 13).add(F16_EXP_ADJUST)
                    .lanewise(VectorOperators.ADD, F16_INF_EXTRA, infNan);
            IntVector subnormal = ((FloatVector) mag.convert(VectorOperators.I2F, 0)).mul(0x1p-24f).reinterpretAsInts();
            normal.blend(subnormal, mag.compare(VectorOperators.LT, 0x0400))
                    .or(sign)
                    .reinterpretAsFloats()
                    .intoArray(dst, dstOff + i);
            VectorMask<Integer> nan = mag.compare(VectorOperators.GT, 0x7C00);
            if (nan.anyTrue()) {
                for (int j = 0; j < F.length(); j++) {
                    if (nan.laneIsSet(j)) dst[dstOff + i + j] = Float.float16ToFloat(src.get(SHORT_LE, p + 2L * j));
                }
            }
        }
        return upper;
    }

    /**
     * Exact float → half with round-to-nearest-even. Normal halves round on the integer bits (a carry
     * correctly bumps the exponent); subnormal halves use the float adder: {@code |f| + 0.5} lands on a
     * multiple of 2^-24, rounded to nearest even by the hardware, and its low bits are the half's code.
     * NaN lanes are redone by {@link Float#floatToFloat16} (payload handling is platform-defined). Returns the
     * largest magnitude bits of the whole vectors.
     */
    private static int floatToF16(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        int upper = F.loopBound(n);
        int halfBits = Float.floatToRawIntBits(HALF);
        IntVector max = IntVector.zero(I);
        for (int i = 0; i < upper; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, src, srcOff + i);
            IntVector bits = v.reinterpretAsInts();
            IntVector abs = bits.and(0x7FFFFFFF);
            max = abs.max(max); // receiver of exact type: see floatToBf16
            IntVector sign = bits.lanewise(VectorOperators.LSHR, 16).and(0x8000);
            IntVector normal = abs.add(abs.lanewise(VectorOperators.LSHR, 13).and(1)).add(0x0FFF - F16_EXP_ADJUST)
                    .lanewise(VectorOperators.LSHR, 13);
            IntVector subnormal = abs.reinterpretAsFloats().add(HALF).reinterpretAsInts().sub(halfBits);
            IntVector code = normal.blend(subnormal, abs.compare(VectorOperators.LT, F16_MIN_NORMAL))
                    .blend(0x7C00, abs.compare(VectorOperators.GE, F16_OVERFLOW))
                    .or(sign);
            long p = off + 2L * i;
            code.convertShape(VectorOperators.I2S, H, 0).intoMemorySegment(dst, p, LE);
            VectorMask<Integer> nan = abs.compare(VectorOperators.GT, 0x7F800000);
            if (nan.anyTrue()) {
                for (int j = 0; j < F.length(); j++) {
                    if (nan.laneIsSet(j)) dst.set(SHORT_LE, p + 2L * j, Float.floatToFloat16(src[srcOff + i + j]));
                }
            }
        }
        return max.reduceLanes(VectorOperators.MAX);
    }

    // ---- elementwise ------------------------------------------------------------------------------------
    // Multiply and add stay separate operations (never fma) to round exactly like the scalar expressions.

    @Override
    public void axpy(float a, float[] x, float[] y, int n) {
        int upper = F.loopBound(n);
        for (int i = 0; i < upper; i += F.length()) {
            FloatVector.fromArray(F, y, i).add(FloatVector.fromArray(F, x, i).mul(a)).intoArray(y, i);
        }
        ScalarLoops.axpy(a, x, y, upper, n);
    }

    @Override
    public void scale(float a, float[] x, int n) {
        int upper = F.loopBound(n);
        for (int i = 0; i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, i).mul(a).intoArray(x, i);
        }
        ScalarLoops.scale(a, x, upper, n);
    }

    @Override
    public void scaleWide(double a, float[] x, int n) {
        int upper = FH.loopBound(n);
        for (int i = 0; i < upper; i += FH.length()) narrow(widen(x, i).mul(a)).intoArray(x, i);
        ScalarLoops.scaleWide(a, x, upper, n);
    }

    @Override
    public void sub(float[] a, float[] b, float[] out, int n) {
        int upper = F.loopBound(n);
        for (int i = 0; i < upper; i += F.length()) {
            FloatVector.fromArray(F, a, i).sub(FloatVector.fromArray(F, b, i)).intoArray(out, i);
        }
        ScalarLoops.sub(a, b, out, upper, n);
    }

    @Override
    public void mul(float[] a, float[] b, float[] out, int n) {
        int upper = F.loopBound(n);
        for (int i = 0; i < upper; i += F.length()) {
            FloatVector.fromArray(F, a, i).mul(FloatVector.fromArray(F, b, i)).intoArray(out, i);
        }
        ScalarLoops.mul(a, b, out, upper, n);
    }

    @Override
    public void lincomb(float wa, float[] a, float wb, float[] b, float[] out, int n) {
        int upper = F.loopBound(n);
        for (int i = 0; i < upper; i += F.length()) {
            FloatVector.fromArray(F, a, i).mul(wa)
                    .add(FloatVector.fromArray(F, b, i).mul(wb))
                    .intoArray(out, i);
        }
        ScalarLoops.lincomb(wa, a, wb, b, out, upper, n);
    }

    @Override
    public void lerp(float t, float[] a, float[] b, float[] out, int n) {
        int upper = F.loopBound(n);
        for (int i = 0; i < upper; i += F.length()) {
            FloatVector va = FloatVector.fromArray(F, a, i);
            va.add(FloatVector.fromArray(F, b, i).sub(va).mul(t)).intoArray(out, i);
        }
        ScalarLoops.lerp(t, a, b, out, upper, n);
    }

    /** Float lanes widen to double (half a float vector per double vector), as in the reductions. */
    @Override
    public void weightedSumWide(float[][] x, int count, double[] w, double divisor, float[] out, int n) {
        int l = FH.length();
        int upper = FH.loopBound(n);
        boolean divide = divisor != 1;
        for (int i = 0; i < upper; i += l) {
            DoubleVector s = DoubleVector.zero(D);
            for (int j = 0; j < count; j++) s = widen(x[j], i).mul(w[j]).add(s);
            if (divide) s = s.div(divisor);
            narrow(s).intoArray(out, i);
        }
        ScalarLoops.weightedSumWide(x, count, w, divisor, out, upper, n);
    }

    @Override
    public void taskSumWide(float[] base, float[][] delta, int count, float[] w, double divisor, double lambda,
                            float[] out, int n) {
        int l = FH.length();
        int upper = FH.loopBound(n);
        for (int i = 0; i < upper; i += l) {
            DoubleVector s = DoubleVector.zero(D);
            for (int m = 0; m < count; m++) s = weighted(delta[m], w[m], i).add(s);
            narrow(widen(base, i).add(s.div(divisor).mul(lambda))).intoArray(out, i);
        }
        ScalarLoops.taskSumWide(base, delta, count, w, divisor, lambda, out, upper, n);
    }

    @Override
    public void electedSumWide(float[] base, float[][] delta, int count, float[] w, boolean normalize, double lambda,
                               float[] out, int n) {
        int l = FH.length();
        int upper = FH.loopBound(n);
        DoubleVector zero = DoubleVector.zero(D);
        for (int i = 0; i < upper; i += l) {
            DoubleVector s = zero;
            for (int m = 0; m < count; m++) s = weighted(delta[m], w[m], i).add(s);
            VectorMask<Double> positive = s.compare(VectorOperators.GE, 0.0);
            DoubleVector num = zero;
            DoubleVector den = zero;
            for (int m = 0; m < count; m++) {
                DoubleVector x = weighted(delta[m], w[m], i);
                VectorMask<Double> keep = x.compare(VectorOperators.GT, 0.0).and(positive)
                        .or(x.compare(VectorOperators.LT, 0.0).andNot(positive));
                num = zero.blend(x, keep).add(num);
                den = zero.blend(w[m], keep).add(den);
            }
            den = den.blend(1.0, den.compare(VectorOperators.EQ, 0.0));
            DoubleVector delta0 = normalize ? num.div(den) : num;
            narrow(widen(base, i).add(delta0.mul(lambda))).intoArray(out, i);
        }
        ScalarLoops.electedSumWide(base, delta, count, w, normalize, lambda, out, upper, n);
    }

    @Override
    public void countKept(float[][] delta, int count, float[] w, boolean elect, long[] kept, int n) {
        int l = FH.length();
        int upper = FH.loopBound(n);
        if (elect) {
            DoubleVector zero = DoubleVector.zero(D);
            for (int i = 0; i < upper; i += l) {
                DoubleVector s = zero;
                for (int m = 0; m < count; m++) s = weighted(delta[m], w == null ? 1f : w[m], i).add(s);
                // s is carried by the loop above: compare a fresh copy (0 + s, the same sign test), not s itself, or
                // C2 may leave the call to the boxing fallback (see floatToBf16; a dare_ties report made 55 young GCs)
                VectorMask<Double> positive = DoubleVector.zero(D).add(s).compare(VectorOperators.GE, 0.0);
                for (int m = 0; m < count; m++) {
                    DoubleVector x = weighted(delta[m], w == null ? 1f : w[m], i);
                    kept[m] += x.compare(VectorOperators.GT, 0.0).and(positive)
                            .or(x.compare(VectorOperators.LT, 0.0).andNot(positive)).trueCount();
                }
            }
        } else {
            for (int m = 0; m < count; m++) {
                float wm = w == null ? 1f : w[m];
                long c = 0;
                for (int i = 0; i < upper; i += l) {
                    c += FloatVector.fromArray(FH, delta[m], i).mul(wm).compare(VectorOperators.NE, 0f).trueCount();
                }
                kept[m] += c;
            }
        }
        ScalarLoops.countKept(delta, count, w, elect, kept, upper, n);
    }

    @Override
    public void varianceWide(float[][] x, int count, float[] out, int n) {
        int l = FH.length();
        int upper = FH.loopBound(n);
        for (int i = 0; i < upper; i += l) {
            DoubleVector sum = DoubleVector.zero(D);
            for (int m = 0; m < count; m++) sum = widen(x[m], i).add(sum);
            DoubleVector mean = sum.div(count);
            DoubleVector sq = DoubleVector.zero(D);
            for (int m = 0; m < count; m++) {
                DoubleVector d = widen(x[m], i).sub(mean);
                sq = d.mul(d).add(sq);
            }
            narrow(sq.div(count)).intoArray(out, i);
        }
        ScalarLoops.varianceWide(x, count, out, upper, n);
    }

    @Override
    public void electedMeanWide(float[] base, float[][] x, int count, double[] omega, double minDen, float[] out,
                                int n) {
        int l = FH.length();
        int upper = FH.loopBound(n);
        DoubleVector zero = DoubleVector.zero(D);
        for (int i = 0; i < upper; i += l) {
            DoubleVector s = zero;
            for (int m = 0; m < count; m++) s = widen(x[m], i).add(s);
            VectorMask<Double> positive = s.compare(VectorOperators.GE, 0.0);
            DoubleVector num = zero;
            DoubleVector den = zero;
            for (int m = 0; m < count; m++) {
                DoubleVector v = widen(x[m], i);
                VectorMask<Double> keep = v.compare(VectorOperators.GT, 0.0).and(positive)
                        .or(v.compare(VectorOperators.LT, 0.0).andNot(positive));
                num = zero.blend(v.mul(omega[m]), keep).add(num);
                den = zero.blend(omega[m], keep).add(den);
            }
            narrow(widen(base, i).add(num.div(den.max(minDen)))).intoArray(out, i);
        }
        ScalarLoops.electedMeanWide(base, x, count, omega, minDen, out, upper, n);
    }

    /** {@code w · x[i..]} rounded to float32, then widened. */
    private static DoubleVector weighted(float[] x, float w, int i) {
        return (DoubleVector) FloatVector.fromArray(FH, x, i).mul(w).convertShape(VectorOperators.F2D, D, 0);
    }

    private static FloatVector narrow(DoubleVector v) {
        return (FloatVector) v.convertShape(VectorOperators.D2F, FH, 0);
    }

    @Override
    public void fill(float value, float[] x, int n) {
        FloatVector v = FloatVector.broadcast(F, value);
        int upper = F.loopBound(n);
        for (int i = 0; i < upper; i += F.length()) v.intoArray(x, i);
        ScalarLoops.fill(value, x, upper, n);
    }

    @Override
    public void zeroWhereAbsBelow(float[] x, float threshold, int n) {
        FloatVector zero = FloatVector.zero(F);
        int upper = F.loopBound(n);
        for (int i = 0; i < upper; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            v.blend(zero, v.abs().compare(VectorOperators.LT, threshold)).intoArray(x, i);
        }
        ScalarLoops.zeroWhereAbsBelow(x, threshold, upper, n);
    }

    @Override
    public int countAbsAtLeast(float[] x, float threshold, int n) {
        int c = 0;
        int upper = F.loopBound(n);
        for (int i = 0; i < upper; i += F.length()) {
            c += FloatVector.fromArray(F, x, i).abs().compare(VectorOperators.GE, threshold).trueCount();
        }
        return c + ScalarLoops.countAbsAtLeast(x, threshold, upper, n);
    }

    // ---- partition scans ---------------------------------------------------------------------------------
    // A block's stops are compared a vector at a time; the lanes that stop are packed into place with a table
    // of lane numbers per mask (at most 8 lanes, so 256 masks), without a branch per slot or per stop.

    private static final VectorSpecies<Integer> SCAN = BITS >= 256 ? IntVector.SPECIES_256 : IntVector.SPECIES_128;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** Per mask, its set lanes from the lowest up, then from the highest down (8 entries each). */
    private static final int[] LANES_UP = new int[256 * 8];
    private static final int[] LANES_DOWN = new int[256 * 8];

    static {
        for (int m = 0; m < 256; m++) {
            int up = 0, down = 0;
            for (int j = 0; j < 8; j++) if ((m >>> j & 1) != 0) LANES_UP[m * 8 + up++] = j;
            for (int j = 7; j >= 0; j--) if ((m >>> j & 1) != 0) LANES_DOWN[m * 8 + down++] = j;
        }
    }

    @Override
    public int stopsUp(MemorySegment slots, long from, int count, int pivot, int tieCount, int tieKeyA, int tieKeyB,
                       int[] out) {
        int l = SCAN.length();
        int upper = count - count % l;
        int c = 0;
        for (int i = 0; i < upper; i += l) {
            IntVector v = IntVector.fromMemorySegment(SCAN, slots, (from + i) * Integer.BYTES, NATIVE);
            int m = (int) slotKeys(v, tieCount, tieKeyA, tieKeyB).compare(VectorOperators.LE, pivot).toLong();
            IntVector.fromArray(SCAN, LANES_UP, m * 8).add(i).intoArray(out, c);
            c += Integer.bitCount(m);
        }
        return ScalarLoops.stopsUp(slots, from, pivot, tieCount, tieKeyA, tieKeyB, out, upper, count, c);
    }

    @Override
    public int stopsDown(MemorySegment slots, long end, int count, int pivot, int tieCount, int tieKeyA, int tieKeyB,
                         int[] out) {
        int l = SCAN.length();
        int upper = count - count % l;
        int c = 0;
        for (int g = 0; g < upper; g += l) {
            // lane j holds slots[end - g - l + j], offset g + l - j: the highest lane comes first
            IntVector v = IntVector.fromMemorySegment(SCAN, slots, (end - g - l) * Integer.BYTES, NATIVE);
            int m = (int) slotKeys(v, tieCount, tieKeyA, tieKeyB).compare(VectorOperators.GE, pivot).toLong();
            IntVector.broadcast(SCAN, g + l).sub(IntVector.fromArray(SCAN, LANES_DOWN, m * 8)).intoArray(out, c);
            c += Integer.bitCount(m);
        }
        return ScalarLoops.stopsDown(slots, end, pivot, tieCount, tieKeyA, tieKeyB, out, upper + 1, count, c);
    }

    /** {@code ScalarLoops.slotKey} lane by lane. */
    private static IntVector slotKeys(IntVector v, int tieCount, int tieKeyA, int tieKeyB) {
        IntVector group = IntVector.broadcast(SCAN, tieKeyA)
                .blend(tieKeyB, v.and(0x7FFF_FFFF).compare(VectorOperators.GE, tieCount));
        return v.blend(group, v.compare(VectorOperators.LT, 0));
    }

    @Override
    public int slotsBetween(MemorySegment slots, long from, int count, int lo, int hi, int[] out) {
        int l = SCAN.length();
        int upper = count - count % l;
        int c = 0;
        for (int i = 0; i < upper; i += l) {
            IntVector v = IntVector.fromMemorySegment(SCAN, slots, (from + i) * Integer.BYTES, NATIVE);
            int m = (int) v.compare(VectorOperators.GE, lo).and(v.compare(VectorOperators.LE, hi)).toLong();
            IntVector.fromArray(SCAN, LANES_UP, m * 8).add(i).intoArray(out, c);
            c += Integer.bitCount(m);
        }
        return ScalarLoops.slotsBetween(slots, from, lo, hi, out, upper, count, c);
    }

    // ---- magnitude selections' tile passes ------------------------------------------------------------------

    @Override
    public void magnitudeKeys(float[] x, int[] keys, int n) {
        int upper = F.loopBound(n);
        for (int i = 0; i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, i).reinterpretAsInts().and(0x7FFF_FFFF)
                    .min(ScalarLoops.MAX_MAGNITUDE_KEY).intoArray(keys, i);
        }
        ScalarLoops.magnitudeKeys(x, keys, upper, n);
    }

    @Override
    public void deltaKeys(MemorySegment x, long xOff, MemorySegment b, long bOff, DType type, int[] keys, int n) {
        int upper = F.loopBound(n);
        switch (type) {
            case BF16 -> {
                for (int i = 0; i < upper; i += F.length()) {
                    bf16(x, xOff + 2L * i).sub(bf16(b, bOff + 2L * i)).reinterpretAsInts().and(0x7FFF_FFFF)
                            .min(ScalarLoops.MAX_MAGNITUDE_KEY).intoArray(keys, i);
                }
            }
            case F32 -> {
                for (int i = 0; i < upper; i += F.length()) {
                    FloatVector.fromMemorySegment(F, x, xOff + 4L * i, LE)
                            .sub(FloatVector.fromMemorySegment(F, b, bOff + 4L * i, LE)).reinterpretAsInts()
                            .and(0x7FFF_FFFF).min(ScalarLoops.MAX_MAGNITUDE_KEY).intoArray(keys, i);
                }
            }
            default -> upper = 0; // the scalar loop refuses it
        }
        ScalarLoops.deltaKeys(x, xOff, b, bOff, type, keys, upper, n);
    }

    @Override
    public void storedMinus(MemorySegment x, long xOff, DType type, float[] base, float[] out, int n) {
        int upper = F.loopBound(n);
        switch (type) {
            case BF16 -> {
                for (int i = 0; i < upper; i += F.length()) {
                    bf16(x, xOff + 2L * i).sub(FloatVector.fromArray(F, base, i)).intoArray(out, i);
                }
            }
            case F32 -> {
                for (int i = 0; i < upper; i += F.length()) {
                    FloatVector.fromMemorySegment(F, x, xOff + 4L * i, LE).sub(FloatVector.fromArray(F, base, i))
                            .intoArray(out, i);
                }
            }
            default -> upper = 0;
        }
        ScalarLoops.storedMinus(x, xOff, type, base, out, upper, n);
    }

    /** The bf16 codes at {@code off} as floats (see {@link #bf16ToFloat}). */
    private static FloatVector bf16(MemorySegment src, long off) {
        return ((IntVector) ShortVector.fromMemorySegment(H, src, off, LE).convertShape(VectorOperators.S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    @Override
    public void maskKeys(float[] x, int n, int lo, int hi, int tieA, int tieB, long[] verdicts, int[] cursor) {
        int l = F.length();
        int upper = F.loopBound(n);
        for (int i = 0; i < upper; i += l) {
            IntVector raw = FloatVector.fromArray(F, x, i).reinterpretAsInts();
            IntVector k = raw.and(0x7FFF_FFFF).min(ScalarLoops.MAX_MAGNITUDE_KEY);
            VectorMask<Integer> a = k.compare(VectorOperators.EQ, tieA), b = k.compare(VectorOperators.EQ, tieB);
            VectorMask<Integer> drop = k.compare(VectorOperators.LT, lo).or(k.compare(VectorOperators.GT, hi));
            // tie lanes are stored as they are, then take their verdict bits one by one in index order
            raw.blend(0, drop.andNot(a.or(b))).reinterpretAsFloats().intoArray(x, i);
            if (a.or(b).anyTrue()) {
                long ta = a.toLong(), tb = b.toLong() & ~ta;
                for (long t = ta | tb; t != 0; t &= t - 1) {
                    int lane = Long.numberOfTrailingZeros(t);
                    int keep = ScalarLoops.verdict(verdicts, cursor, (int) (ta >>> lane & 1L) ^ 1);
                    x[i + lane] = Float.intBitsToFloat(Float.floatToRawIntBits(x[i + lane]) & keep);
                }
            }
        }
        ScalarLoops.maskKeys(x, upper, n, lo, hi, tieA, tieB, verdicts, cursor);
    }

    // ---- counter-based draws ------------------------------------------------------------------------------
    // Lanes of 64-bit integers, as many as a half-width float vector has (the lanes keepDrawn masks).

    private static final VectorSpecies<Long> L = VectorSpecies.of(long.class, VectorShape.forBitSize(BITS));

    @Override
    public void counterDraws(long key, long index, long step, long[] out, int n) {
        int l = L.length();
        int upper = L.loopBound(n);
        LongVector lanes = LongVector.zero(L).addIndex(1).mul(step);
        for (int i = 0; i < upper; i += l) {
            counterBits53(key, LongVector.broadcast(L, index + i * step).add(lanes)).intoArray(out, i);
        }
        ScalarLoops.counterDraws(key, index, step, out, upper, n);
    }

    @Override
    public void keepDrawn(long key, long index, long below, float[] x, int n) {
        int l = L.length();
        int upper = L.loopBound(n);
        LongVector lanes = LongVector.zero(L).addIndex(1);
        for (int i = 0; i < upper; i += l) {
            VectorMask<Long> keep = counterBits53(key, LongVector.broadcast(L, index + i).add(lanes))
                    .compare(VectorOperators.LT, below);
            FloatVector.fromArray(FH, x, i).blend(0f, keep.cast(FH).not()).intoArray(x, i);
        }
        ScalarLoops.keepDrawn(key, index, below, x, upper, n);
    }

    /** {@code ScalarLoops.counterBits53} lane by lane (wrapping products, as in Java's long arithmetic). */
    private static LongVector counterBits53(long key, LongVector index) {
        LongVector z = mix(index.mul(ScalarLoops.GOLDEN).add(key));
        return mix(z.lanewise(VectorOperators.XOR, Long.rotateLeft(key, 29))).lanewise(VectorOperators.LSHR, 11);
    }

    private static LongVector mix(LongVector z) {
        LongVector a = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 30)).mul(0xBF58476D1CE4E5B9L);
        LongVector b = a.lanewise(VectorOperators.XOR, a.lanewise(VectorOperators.LSHR, 27)).mul(0x94D049BB133111EBL);
        return b.lanewise(VectorOperators.XOR, b.lanewise(VectorOperators.LSHR, 31));
    }

    // ---- reductions -------------------------------------------------------------------------------------
    // Float lanes widen to double before multiplying: a product of two floats is exact in float64, so the
    // only difference from the scalar sum is the order of the additions (4 accumulators, fixed lane order).

    private static final int STEP = 4 * FH.length();

    @Override
    public double dot(float[] a, float[] b, int n) {
        DoubleVector s0 = DoubleVector.zero(D), s1 = s0, s2 = s0, s3 = s0;
        int l = FH.length();
        int upper4 = n - n % STEP;
        int i = 0;
        for (; i < upper4; i += STEP) {
            s0 = widen(a, i).fma(widen(b, i), s0);
            s1 = widen(a, i + l).fma(widen(b, i + l), s1);
            s2 = widen(a, i + 2 * l).fma(widen(b, i + 2 * l), s2);
            s3 = widen(a, i + 3 * l).fma(widen(b, i + 3 * l), s3);
        }
        int upper = FH.loopBound(n);
        for (; i < upper; i += l) s0 = widen(a, i).fma(widen(b, i), s0);
        return sumLanes(s0, s1, s2, s3) + ScalarLoops.dot(a, b, upper, n);
    }

    @Override
    public double sumSquares(float[] a, int n) {
        DoubleVector s0 = DoubleVector.zero(D), s1 = s0, s2 = s0, s3 = s0;
        int l = FH.length();
        int upper4 = n - n % STEP;
        int i = 0;
        for (; i < upper4; i += STEP) {
            DoubleVector v0 = widen(a, i), v1 = widen(a, i + l), v2 = widen(a, i + 2 * l), v3 = widen(a, i + 3 * l);
            s0 = v0.fma(v0, s0);
            s1 = v1.fma(v1, s1);
            s2 = v2.fma(v2, s2);
            s3 = v3.fma(v3, s3);
        }
        int upper = FH.loopBound(n);
        for (; i < upper; i += l) {
            DoubleVector v = widen(a, i);
            s0 = v.fma(v, s0);
        }
        return sumLanes(s0, s1, s2, s3) + ScalarLoops.sumSquares(a, upper, n);
    }

    @Override
    public double sumAbs(float[] a, int n) {
        DoubleVector s0 = DoubleVector.zero(D), s1 = s0, s2 = s0, s3 = s0;
        int l = FH.length();
        int upper4 = n - n % STEP;
        int i = 0;
        for (; i < upper4; i += STEP) {
            s0 = widen(a, i).abs().add(s0);
            s1 = widen(a, i + l).abs().add(s1);
            s2 = widen(a, i + 2 * l).abs().add(s2);
            s3 = widen(a, i + 3 * l).abs().add(s3);
        }
        int upper = FH.loopBound(n);
        for (; i < upper; i += l) s0 = widen(a, i).abs().add(s0);
        return sumLanes(s0, s1, s2, s3) + ScalarLoops.sumAbs(a, upper, n);
    }

    @Override
    public void gram(float[][] x, int v, float[] base, int n, double[] gram) { PanamaGram.gram(x, v, base, n, gram); }

    @Override
    public double storedDistanceSquares(float[] x, int xOff, float[] base, int bOff, DType type, int n) {
        return PanamaGram.storedDistanceSquares(x, xOff, base, bOff, type, n);
    }

    private static DoubleVector widen(float[] a, int i) {
        return (DoubleVector) FloatVector.fromArray(FH, a, i).convertShape(VectorOperators.F2D, D, 0);
    }

    /** Lane order fixed here (reduceLanes may reassociate), so a result never depends on JIT tier. */
    private static double sumLanes(DoubleVector s0, DoubleVector s1, DoubleVector s2, DoubleVector s3) {
        double[] lanes = s0.add(s1).add(s2.add(s3)).toArray();
        double s = 0;
        for (double v : lanes) s += v;
        return s;
    }

    // ---- matrix product ---------------------------------------------------------------------------------

    @Override
    public void matmul(float[] x, int rows, int k, MemorySegment w, long wByteOffset, DType wType, int n,
                       float[] y, int yOff, int yStride) {
        PanamaMatmul.matmul(this, x, rows, k, w, wByteOffset, wType, n, y, yOff, yStride);
    }
}
