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
        for (int i = 0; i < upper; i += l) {
            // fresh receivers for the sums (x.add(s)): see floatToBf16 on loop-carried vectors
            FloatVector s = FloatVector.zero(F), a = s;
            for (int m = 0; m < count; m++) {
                FloatVector x = FloatVector.fromArray(F, delta[m], i).mul(w == null ? 1f : w[m]);
                s = x.add(s);
                a = x.abs().add(a);
            }
            VectorMask<Float> decided = s.abs().compare(VectorOperators.GT, a.mul(margin))
                    .or(a.compare(VectorOperators.EQ, 0f));
            if (!decided.allTrue()) {
                ScalarLoops.countKept(delta, count, w, true, kept, i, i + l);
                continue;
            }
            VectorMask<Float> positive = s.compare(VectorOperators.GE, 0f);
            for (int m = 0; m < count; m++) {
                FloatVector x = FloatVector.fromArray(F, delta[m], i).mul(w == null ? 1f : w[m]);
                kept[m] += x.compare(VectorOperators.GT, 0f).and(positive)
                        .or(x.compare(VectorOperators.LT, 0f).andNot(positive)).trueCount();
            }
        }
        return upper;
    }
}
