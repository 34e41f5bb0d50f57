package dev.jmerge.kernels.panama;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Gets the merge kernels compiled before a merge needs them. Until C2 compiles a kernel, every Vector API call
 * in it runs the API's lane-by-lane Java fallback (allocating each intermediate vector): about a microsecond per
 * vector, so the first few million elements of each kernel cost about a second of CPU, and the fallback's own
 * methods get hot enough to be compiled in their turn. The launcher lowers the compile thresholds of this package
 * ({@code CompileThresholdScaling} for {@code dev.jmerge.kernels.panama.*}), and this class calls each kernel on
 * small arrays a few dozen times on a daemon thread as soon as the kernels are created, while the main thread is
 * still planning. Results are thrown away; kernels are stateless, so the real work may start at any time.
 */
final class Warmup {

    /** Enough calls to pass the scaled invocation thresholds of C1 and C2 (5000 × 0.01 for C2) with room to spare. */
    static final int CALLS = 120;
    // Not warmed: the tie-order replay's scans (stopsUp, stopsDown, slotsBetween). Only the magnitude selections
    // call them, thousands of times per tensor, so they reach C2 within milliseconds of their first use; warming
    // them here queued their C2 compiles ahead of the kernels every merge needs and, in a model_stock run, left
    // axpy, lincomb and floatToBf16 in the fallback for 0.6 s longer (740 young GCs instead of 8, +3 s of CPU).
    private static final AtomicBoolean STARTED = new AtomicBoolean();

    private Warmup() {}

    /** Starts the warm-up once per process. */
    static void start(Kernels k) {
        if (!STARTED.compareAndSet(false, true)) return;
        Thread t = new Thread(() -> run(k), "jmerge-kernel-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    /** Calls the kernels a merge uses on arrays of a few vectors plus a tail, in every dtype a merge decodes. */
    static void run(Kernels k) {
        int n = 4 * PanamaKernels.F.length() + 3;
        float[] a = new float[n], b = new float[n], c = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (i - 7) * 0.37f;
            b[i] = (11 - i) * 0.21f;
        }
        float[][] x = {a, b, c, a};
        double[] w = {0.4, 0.3, 0.2, 0.1};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(4L * n, 8);
            for (int call = 0; call < CALLS; call++) {
                for (DType t : new DType[] {DType.BF16, DType.F16, DType.F32}) {
                    k.fromFloat(a, 0, bytes, 0, t, n);
                    k.toFloat(bytes, 0, t, c, 0, n);
                }
                k.axpy(0.5f, a, c, n);
                k.scale(0.5f, c, n);
                k.scaleWide(0.9, c, n);
                k.sub(a, b, c, n);
                k.mul(a, b, c, n);
                k.lincomb(0.25f, a, 0.75f, b, c, n);
                k.lerp(0.5f, a, b, c, n);
                k.zeroWhereAbsBelow(c, 0.5f, n);
                k.countAbsAtLeast(a, 0.5f, n);
                k.dot(a, b, n);
                k.sumSquares(a, n);
                k.sumAbs(b, n);
                k.weightedSumWide(x, 1 + call % x.length, w, call % 2 == 0 ? 1 : 0.9, c, n);
                k.taskSumWide(a, x, 3, b, 0.9, 0.5, c, n);
                k.electedSumWide(a, x, 3, b, call % 2 == 0, 0.5, c, n);
                k.varianceWide(x, 3, c, n);
                k.electedMeanWide(a, x, 3, w, 1e-6, c, n);
                k.fill(0f, c, n);
            }
        }
    }
}
