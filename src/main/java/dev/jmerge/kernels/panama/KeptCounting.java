package dev.jmerge.kernels.panama;

import dev.jmerge.kernels.ScalarLoops;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link PanamaKernels#countKept} with an election, in float32 lanes: twice the lanes of the float64 sum the
 * election is defined by, and no conversion. The sign of the float32 sum {@code s} of the weighted deltas is the sign
 * of their float64 sum wherever {@code |s| > margin · Σ|x|}: the float32 sum of {@code count} terms is within
 * {@code (count−1)·2⁻²⁴·Σ|x|} of the exact sum and the float64 one within {@code (count−1)·2⁻⁵³·Σ|x|}, and the margin
 * {@code count·2⁻²⁰} is sixteen times the first. A vector with a lane nearer zero than that (a near tie, an overflow,
 * a NaN) is counted by the scalar loop, so the counts are the reference's exactly. Lanes whose deltas are all zero
 * count nothing whatever the sign.
 */
final class KeptCounting {

    private static final VectorSpecies<Float> F = PanamaKernels.F;

    private KeptCounting() {}

    /** Counts the whole vectors of {@code [0, n)} into {@code kept}; returns where the tail starts. */
    static int elected(float[][] delta, int count, float[] w, long[] kept, int n) {
        int l = F.length();
        int upper = F.loopBound(n);
        float margin = count * 0x1p-20f;
        int last = count - 1;
        if (last < 0) return upper;
        float wl = w == null ? 1f : w[last];
        for (int i = 0; i < upper; i += l) {
            // Only fresh results are receivers (x.add(s), not s.add(x)), and the last term is added after the loop so
            // that the sums it leaves are fresh too: a vector carried by a loop is typed by its declared class, and an
            // operation on it may be left to the boxing fallback (see floatToBf16). With s.abs() on the loop's own sum
            // here, a dare_ties report made 30 young collections instead of 4.
            FloatVector s = FloatVector.zero(F), a = s;
            for (int m = 0; m < last; m++) {
                FloatVector x = FloatVector.fromArray(F, delta[m], i).mul(w == null ? 1f : w[m]);
                s = x.add(s);
                a = x.abs().add(a);
            }
            FloatVector xl = FloatVector.fromArray(F, delta[last], i).mul(wl);
            FloatVector sum = xl.add(s), abs = xl.abs().add(a);
            VectorMask<Float> decided = sum.abs().compare(VectorOperators.GT, abs.mul(margin))
                    .or(abs.compare(VectorOperators.EQ, 0f));
            if (!decided.allTrue()) {
                ScalarLoops.countKept(delta, count, w, true, kept, i, i + l);
                continue;
            }
            VectorMask<Float> positive = sum.compare(VectorOperators.GE, 0f);
            for (int m = 0; m < count; m++) {
                FloatVector x = FloatVector.fromArray(F, delta[m], i).mul(w == null ? 1f : w[m]);
                kept[m] += x.compare(VectorOperators.GT, 0f).and(positive)
                        .or(x.compare(VectorOperators.LT, 0f).andNot(positive)).trueCount();
            }
        }
        return upper;
    }
}
