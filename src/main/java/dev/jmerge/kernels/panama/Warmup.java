package dev.jmerge.kernels.panama;

import dev.jmerge.kernels.KernelUse;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.Set;

/**
 * Gets the merge kernels compiled before a merge needs them. Until C2 compiles a kernel, every Vector API call
 * in it runs the API's lane-by-lane Java fallback (allocating each intermediate vector): about a microsecond per
 * vector, so the first few million elements of each kernel cost about a second of CPU, and the fallback's own
 * methods get hot enough to be compiled in their turn. The launcher lowers the compile thresholds of this package
 * ({@code CompileThresholdScaling} for {@code dev.jmerge.kernels.panama.*}), and the executor calls
 * {@link #await} once the plan is known, before the first tile: it calls each kernel on small arrays a few dozen
 * times, converting only the dtypes the plan reads and writes, and returns when they are compiled.
 *
 * <p>Why the merge waits instead of starting beside a background warm-up (as it once did): with one C2 thread
 * (a 2-core machine), a warm-up still running when the tiles start and the tiles themselves both queue compiles,
 * a kernel whose C2 code arrives late runs the fallback for seconds (hundreds of young GCs), and warming every
 * dtype queued conversions no merge of one dtype uses. Results are thrown away; kernels are stateless.
 */
final class Warmup {

    /** Enough calls to pass the scaled invocation thresholds of C1 and C2 (5000 × 0.01 for C2) with room to spare. */
    static final int CALLS = 120;
    // Not warmed: the tie-order replay's scans (stopsUp, stopsDown, slotsBetween). Only the magnitude selections
    // call them, thousands of times per tensor, so they reach C2 within milliseconds of their first use; warming
    // them here queued their C2 compiles ahead of the kernels every merge needs and, in a model_stock run, left
    // axpy, lincomb and floatToBf16 in the fallback for 0.6 s longer (740 young GCs instead of 8, +3 s of CPU).
    /** The dtypes whose conversions have been warmed in this process; null until the kernels have been. */
    private static Set<DType> warmed;
    /** The kernels warmed in this process. */
    private static final Set<KernelUse> warmedKernels = EnumSet.noneOf(KernelUse.class);

    private Warmup() {}

    /** Warms the {@code kernels} and the conversions of {@code dtypes} not warmed yet; returns when done. */
    static synchronized void await(Kernels k, Set<DType> dtypes, Set<KernelUse> kernels) {
        Set<DType> todo = conversions(dtypes, warmed);
        Set<KernelUse> calls = EnumSet.noneOf(KernelUse.class);
        calls.addAll(kernels);
        calls.removeAll(warmedKernels);
        if (todo == null && calls.isEmpty()) return;
        if (todo == null) todo = EnumSet.noneOf(DType.class);
        run(k, todo, calls);
        if (warmed == null) warmed = EnumSet.noneOf(DType.class);
        warmed.addAll(todo);
        warmedKernels.addAll(calls);
    }

    /**
     * The dtypes a warm-up still has to convert: those of {@code wanted} that a merge decodes and encodes in
     * tiles (bf16, f16, f32), less the {@code done} ones; null when nothing is left to warm ({@code done} null
     * means the kernels themselves are not warmed yet, so an empty set still calls for a warm-up).
     */
    static Set<DType> conversions(Set<DType> wanted, Set<DType> done) {
        Set<DType> todo = EnumSet.noneOf(DType.class);
        for (DType t : wanted) if (TILE_DTYPES.contains(t)) todo.add(t);
        if (done != null) todo.removeAll(done);
        return done != null && todo.isEmpty() ? null : todo;
    }

    private static final Set<DType> TILE_DTYPES = EnumSet.of(DType.BF16, DType.F16, DType.F32);

    /** Calls {@code kernels} on arrays of a few vectors plus a tail, converting {@code dtypes}. */
    static void run(Kernels k, Set<DType> dtypes, Set<KernelUse> kernels) {
        int n = 4 * PanamaKernels.F.length() + 3;
        float[] a = new float[n], b = new float[n], c = new float[n];
        int[] keys = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = (i - 7) * 0.37f;
            b[i] = (11 - i) * 0.21f;
        }
        float[][] x = {a, b, c, a};
        double[] w = {0.4, 0.3, 0.2, 0.1};
        // Shared like the arenas the inputs are mapped in: C2 compiles the bf16 decoder with the access checks the
        // warm-up's segments needed, and a confined one left a check the mapped inputs fail (a profile_predicate
        // trap in the first tiles, then a second compile of the decoder and of the readers that inline it).
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bytes = arena.allocate(4L * n, 8);
            for (int call = 0; call < CALLS; call++) {
                for (DType t : dtypes) {
                    k.fromFloat(a, 0, bytes, 0, t, n);
                    k.toFloat(bytes, 0, t, c, 0, n);
                    if (t != DType.BF16 && t != DType.F32) continue;
                    if (kernels.contains(KernelUse.STORED_MINUS)) k.storedMinus(bytes, 0, t, b, c, n);
                    if (kernels.contains(KernelUse.DELTA_KEYS)) k.deltaKeys(bytes, 0, bytes, 0, t, keys, n);
                }
                if (kernels.contains(KernelUse.AXPY)) k.axpy(0.5f, a, c, n);
                if (kernels.contains(KernelUse.SCALE)) k.scale(0.5f, c, n);
                if (kernels.contains(KernelUse.SCALE_WIDE)) k.scaleWide(0.9, c, n);
                if (kernels.contains(KernelUse.SUB)) k.sub(a, b, c, n);
                if (kernels.contains(KernelUse.MUL)) k.mul(a, b, c, n);
                if (kernels.contains(KernelUse.LINCOMB)) k.lincomb(0.25f, a, 0.75f, b, c, n);
                if (kernels.contains(KernelUse.LERP)) k.lerp(0.5f, a, b, c, n);
                if (kernels.contains(KernelUse.ZERO_WHERE_ABS_BELOW)) k.zeroWhereAbsBelow(c, 0.5f, n);
                if (kernels.contains(KernelUse.COUNT_ABS_AT_LEAST)) k.countAbsAtLeast(a, 0.5f, n);
                if (kernels.contains(KernelUse.DOT)) k.dot(a, b, n);
                if (kernels.contains(KernelUse.SUM_SQUARES)) k.sumSquares(a, n);
                if (kernels.contains(KernelUse.SUM_ABS)) k.sumAbs(b, n);
                if (kernels.contains(KernelUse.WEIGHTED_SUM_WIDE)) {
                    k.weightedSumWide(x, 1 + call % x.length, w, call % 2 == 0 ? 1 : 0.9, c, n);
                }
                if (kernels.contains(KernelUse.TASK_SUM_WIDE)) k.taskSumWide(a, x, 3, b, 0.9, 0.5, c, n);
                if (kernels.contains(KernelUse.ELECTED_SUM_WIDE)) {
                    k.electedSumWide(a, x, 3, b, call % 2 == 0, 0.5, c, n);
                }
                if (kernels.contains(KernelUse.VARIANCE_WIDE)) k.varianceWide(x, 3, c, n);
                if (kernels.contains(KernelUse.ELECTED_MEAN_WIDE)) {
                    k.electedMeanWide(a, x, 3, w, 1e-6, c, n);
                }
                if (kernels.contains(KernelUse.FILL)) k.fill(0f, c, n);
            }
        }
    }
}
