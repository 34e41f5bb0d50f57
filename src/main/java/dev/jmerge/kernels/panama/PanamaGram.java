package dev.jmerge.kernels.panama;

import dev.jmerge.kernels.ScalarLoops;
import dev.jmerge.tensor.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link PanamaKernels#gram}: the products of up to four vectors (less a base) in one sweep, every product of
 * an element taken while its values are in registers. Products are summed with float32 FMAs over runs of
 * {@link #PER_LANE} per lane; the accumulators are then stored and added to float64 lane sums, which are
 * added up in a fixed order at the end (so a result does not depend on JIT tier). More than four vectors go
 * pair by pair.
 *
 * <p>Vectors never cross a method boundary here (no helper takes or returns one): a call C2 declines to
 * inline would box them, and a boxed vector costs more than the arithmetic. Each helper sums one run, so it is
 * called once per run, not once per call of {@link #gram}: called with whole tiles, a helper looping over the
 * runs itself was entered a few thousand times a merge and ran for the first second in C1's boxing code and
 * C2's on-stack-replacement code, which deoptimized, before C2 compiled it whole. Nor is an accumulator carried
 * by a loop ever the receiver of a call: its lanes are stored as {@code FloatVector.zero(F).add(acc)} (the same
 * values; a zero's sign aside), because C2 types a loop's vector by its declared class and may leave a call on it to
 * the boxing fallback (see {@code floatToBf16}). A task_arithmetic report made 74 young collections in one run of
 * three, against 2 without the report; not pinned to these stores, but they had that pattern.
 */
final class PanamaGram {

    private static final VectorSpecies<Float> F = PanamaKernels.F;
    static final int PER_LANE = 32;
    private static final int L = F.length();
    private static final int RUN = PER_LANE * L;
    private static final int[] TWO = {0, 1, 3}, THREE = {0, 1, 2, 4, 5, 8}, FOUR = {0, 1, 2, 3, 5, 6, 7, 10, 11, 15};

    /** Per thread: float64 lane sums and a staging row for up to ten accumulators, and zeros for "no base". */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        final double[] sums = new double[10 * L];
        final float[] stage = new float[10 * L];
        final float[] rounded = new float[RUN];
        float[] zeros = new float[0];

        float[] zeros(int n) {
            if (zeros.length < n) zeros = new float[n];
            return zeros;
        }
    }

    private PanamaGram() {}

    static void gram(float[][] x, int v, float[] base, int n, double[] gram) {
        int upper = F.loopBound(n);
        Scratch s = SCRATCH.get();
        float[] b = base != null ? base : s.zeros(upper);
        switch (v) {
            case 0 -> { }
            case 1 -> {
                for (int i = 0; i < upper; i += RUN) pair(x[0], x[0], b, i, Math.min(i + RUN, upper), s);
                total(s, gram, 0, 0);
            }
            case 2 -> {
                for (int i = 0; i < upper; i += RUN) two(x[0], x[1], b, i, Math.min(i + RUN, upper), s);
                total(s, gram, TWO);
            }
            case 3 -> {
                for (int i = 0; i < upper; i += RUN) three(x[0], x[1], x[2], b, i, Math.min(i + RUN, upper), s);
                total(s, gram, THREE);
            }
            case 4 -> {
                for (int i = 0; i < upper; i += RUN) {
                    four(x[0], x[1], x[2], x[3], b, i, Math.min(i + RUN, upper), s);
                }
                total(s, gram, FOUR);
            }
            default -> {
                for (int a = 0; a < v; a++) {
                    for (int c = a; c < v; c++) {
                        for (int i = 0; i < upper; i += RUN) pair(x[a], x[c], b, i, Math.min(i + RUN, upper), s);
                        total(s, gram, 0, a * v + c);
                    }
                }
            }
        }
        // the tail, in float64
        for (int i = upper; i < n; i++) {
            for (int a = 0; a < v; a++) {
                double da = base == null ? x[a][i] : (double) (x[a][i] - base[i]);
                for (int c = a; c < v; c++) {
                    double dc = base == null ? x[c][i] : (double) (x[c][i] - base[i]);
                    gram[a * v + c] += da * dc;
                }
            }
        }
    }

    /** {@link PanamaKernels#storedDistanceSquares}: bf16 and f32 in vectors, f16 in the scalar loop. */
    static double storedDistanceSquares(float[] x, int xOff, float[] base, int bOff, DType type, int n) {
        if (type != DType.BF16 && type != DType.F32) {
            return ScalarLoops.storedDistanceSquares(x, xOff, base, bOff, type, 0, n);
        }
        int upper = F.loopBound(n);
        Scratch s = SCRATCH.get();
        float[] b = base != null ? base : s.zeros(upper);
        int o = base != null ? bOff : 0;
        for (int i = 0; i < upper; i += RUN) {
            if (type == DType.BF16) bf16Distance(x, xOff, b, o, i, Math.min(i + RUN, upper), s);
            else f32Distance(x, xOff, b, o, i, Math.min(i + RUN, upper), s);
        }
        double[] sum = new double[1];
        total(s, sum, 0, 0);
        return sum[0] + ScalarLoops.storedDistanceSquares(x, xOff, base, bOff, type, upper, n);
    }

    /**
     * As {@code ScalarKernels.floatToBf16} and back, lane-wise (round to nearest even, NaN kept quiet), staged in L1:
     * the rounded values go through an array, as the decoder's do, because arithmetic on the reinterpreted vector
     * itself was left to the API's boxing fallback by C2.
     */
    private static void bf16Distance(float[] x, int xOff, float[] b, int bOff, int i, int end, Scratch s) {
        float[] r = s.rounded;
        for (int j = i; j < end; j += L) {
            IntVector bits = FloatVector.fromArray(F, x, xOff + j).reinterpretAsInts();
            VectorMask<Integer> nan = bits.and(0x7FFFFFFF).compare(VectorOperators.GT, 0x7F800000);
            IntVector top = bits.lanewise(VectorOperators.LSHR, 16);
            bits.add(top.and(1)).add(0x7FFF).lanewise(VectorOperators.LSHR, 16).blend(top.or(0x0040), nan)
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(r, j - i);
        }
        f32Distance(r, -i, b, bOff, i, end, s);
    }

    /** Four accumulators: one would wait on its own FMA's latency every vector. */
    private static void f32Distance(float[] x, int xOff, float[] b, int bOff, int i, int end, Scratch s) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (; i + 4 * L <= end; i += 4 * L) {
            FloatVector d0 = FloatVector.fromArray(F, x, xOff + i).sub(FloatVector.fromArray(F, b, bOff + i));
            FloatVector d1 = FloatVector.fromArray(F, x, xOff + i + L).sub(FloatVector.fromArray(F, b, bOff + i + L));
            FloatVector d2 = FloatVector.fromArray(F, x, xOff + i + 2 * L).sub(FloatVector.fromArray(F, b, bOff + i + 2 * L));
            FloatVector d3 = FloatVector.fromArray(F, x, xOff + i + 3 * L).sub(FloatVector.fromArray(F, b, bOff + i + 3 * L));
            a0 = d0.fma(d0, a0);
            a1 = d1.fma(d1, a1);
            a2 = d2.fma(d2, a2);
            a3 = d3.fma(d3, a3);
        }
        for (; i < end; i += L) {
            FloatVector d = FloatVector.fromArray(F, x, xOff + i).sub(FloatVector.fromArray(F, b, bOff + i));
            a0 = d.fma(d, a0);
        }
        FloatVector.zero(F).add(a0).add(a1).add(FloatVector.zero(F).add(a2).add(a3)).intoArray(s.stage, 0);
        widen(s, 1);
    }

    /**
     * Adds the {@code count} staged accumulators' lanes to their float64 lane sums. A scalar loop: the same additions
     * in the same order, with no F2D conversion for the JIT to compile (or run in its fallback) in a report.
     */
    private static void widen(Scratch s, int count) {
        double[] sums = s.sums;
        float[] stage = s.stage;
        for (int j = 0; j < count * L; j++) sums[j] += stage[j];
    }

    /** Adds each accumulator's lane sums, in lane order, to its entry of {@code gram}, and clears them. */
    private static void total(Scratch s, double[] gram, int[] entries) {
        for (int p = 0; p < entries.length; p++) total(s, gram, p, entries[p]);
    }

    private static void total(Scratch s, double[] gram, int p, int entry) {
        double sum = 0;
        for (int j = 0; j < L; j++) {
            sum += s.sums[p * L + j];
            s.sums[p * L + j] = 0;
        }
        gram[entry] += sum;
    }

    /**
     * One product a vector: four accumulators, two vectors at a time for two products, so the FMAs do not wait on
     * each other's latency (three and four vectors give enough independent sums as they are).
     */
    private static void pair(float[] x0, float[] x1, float[] b, int i, int end, Scratch s) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (; i + 4 * L <= end; i += 4 * L) {
            FloatVector b0 = FloatVector.fromArray(F, b, i), b1 = FloatVector.fromArray(F, b, i + L),
                    b2 = FloatVector.fromArray(F, b, i + 2 * L), b3 = FloatVector.fromArray(F, b, i + 3 * L);
            a0 = FloatVector.fromArray(F, x0, i).sub(b0).fma(FloatVector.fromArray(F, x1, i).sub(b0), a0);
            a1 = FloatVector.fromArray(F, x0, i + L).sub(b1).fma(FloatVector.fromArray(F, x1, i + L).sub(b1), a1);
            a2 = FloatVector.fromArray(F, x0, i + 2 * L).sub(b2).fma(FloatVector.fromArray(F, x1, i + 2 * L).sub(b2), a2);
            a3 = FloatVector.fromArray(F, x0, i + 3 * L).sub(b3).fma(FloatVector.fromArray(F, x1, i + 3 * L).sub(b3), a3);
        }
        for (; i < end; i += L) {
            FloatVector bv = FloatVector.fromArray(F, b, i);
            a0 = FloatVector.fromArray(F, x0, i).sub(bv).fma(FloatVector.fromArray(F, x1, i).sub(bv), a0);
        }
        FloatVector.zero(F).add(a0).add(a1).add(FloatVector.zero(F).add(a2).add(a3)).intoArray(s.stage, 0);
        widen(s, 1);
    }

    private static void two(float[] x0, float[] x1, float[] b, int i, int end, Scratch s) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a11 = a00, c00 = a00, c01 = a00, c11 = a00;
        for (; i + 2 * L <= end; i += 2 * L) {
            FloatVector bv = FloatVector.fromArray(F, b, i), bw = FloatVector.fromArray(F, b, i + L);
            FloatVector d0 = FloatVector.fromArray(F, x0, i).sub(bv), d1 = FloatVector.fromArray(F, x1, i).sub(bv);
            FloatVector e0 = FloatVector.fromArray(F, x0, i + L).sub(bw), e1 = FloatVector.fromArray(F, x1, i + L).sub(bw);
            a00 = d0.fma(d0, a00);
            a01 = d0.fma(d1, a01);
            a11 = d1.fma(d1, a11);
            c00 = e0.fma(e0, c00);
            c01 = e0.fma(e1, c01);
            c11 = e1.fma(e1, c11);
        }
        for (; i < end; i += L) {
            FloatVector bv = FloatVector.fromArray(F, b, i);
            FloatVector d0 = FloatVector.fromArray(F, x0, i).sub(bv), d1 = FloatVector.fromArray(F, x1, i).sub(bv);
            a00 = d0.fma(d0, a00);
            a01 = d0.fma(d1, a01);
            a11 = d1.fma(d1, a11);
        }
        FloatVector.zero(F).add(a00).add(c00).intoArray(s.stage, 0);
        FloatVector.zero(F).add(a01).add(c01).intoArray(s.stage, L);
        FloatVector.zero(F).add(a11).add(c11).intoArray(s.stage, 2 * L);
        widen(s, 3);
    }

    private static void three(float[] x0, float[] x1, float[] x2, float[] b, int i, int end, Scratch s) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a11 = a00, a12 = a00, a22 = a00;
        for (; i < end; i += L) {
            FloatVector bv = FloatVector.fromArray(F, b, i);
            FloatVector d0 = FloatVector.fromArray(F, x0, i).sub(bv), d1 = FloatVector.fromArray(F, x1, i).sub(bv),
                    d2 = FloatVector.fromArray(F, x2, i).sub(bv);
            a00 = d0.fma(d0, a00);
            a01 = d0.fma(d1, a01);
            a02 = d0.fma(d2, a02);
            a11 = d1.fma(d1, a11);
            a12 = d1.fma(d2, a12);
            a22 = d2.fma(d2, a22);
        }
        FloatVector.zero(F).add(a00).intoArray(s.stage, 0);
        FloatVector.zero(F).add(a01).intoArray(s.stage, L);
        FloatVector.zero(F).add(a02).intoArray(s.stage, 2 * L);
        FloatVector.zero(F).add(a11).intoArray(s.stage, 3 * L);
        FloatVector.zero(F).add(a12).intoArray(s.stage, 4 * L);
        FloatVector.zero(F).add(a22).intoArray(s.stage, 5 * L);
        widen(s, 6);
    }

    private static void four(float[] x0, float[] x1, float[] x2, float[] x3, float[] b, int i, int end, Scratch s) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00, a11 = a00, a12 = a00, a13 = a00,
                a22 = a00, a23 = a00, a33 = a00;
        for (; i < end; i += L) {
            FloatVector bv = FloatVector.fromArray(F, b, i);
            FloatVector d0 = FloatVector.fromArray(F, x0, i).sub(bv), d1 = FloatVector.fromArray(F, x1, i).sub(bv),
                    d2 = FloatVector.fromArray(F, x2, i).sub(bv), d3 = FloatVector.fromArray(F, x3, i).sub(bv);
            a00 = d0.fma(d0, a00);
            a01 = d0.fma(d1, a01);
            a02 = d0.fma(d2, a02);
            a03 = d0.fma(d3, a03);
            a11 = d1.fma(d1, a11);
            a12 = d1.fma(d2, a12);
            a13 = d1.fma(d3, a13);
            a22 = d2.fma(d2, a22);
            a23 = d2.fma(d3, a23);
            a33 = d3.fma(d3, a33);
        }
        FloatVector.zero(F).add(a00).intoArray(s.stage, 0);
        FloatVector.zero(F).add(a01).intoArray(s.stage, L);
        FloatVector.zero(F).add(a02).intoArray(s.stage, 2 * L);
        FloatVector.zero(F).add(a03).intoArray(s.stage, 3 * L);
        FloatVector.zero(F).add(a11).intoArray(s.stage, 4 * L);
        FloatVector.zero(F).add(a12).intoArray(s.stage, 5 * L);
        FloatVector.zero(F).add(a13).intoArray(s.stage, 6 * L);
        FloatVector.zero(F).add(a22).intoArray(s.stage, 7 * L);
        FloatVector.zero(F).add(a23).intoArray(s.stage, 8 * L);
        FloatVector.zero(F).add(a33).intoArray(s.stage, 9 * L);
        widen(s, 10);
    }
}
