package dev.jmerge.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jmerge.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Kernels#matmul}: the scalar twin and the Vector API kernel against a float64 product of the same
 * decoded weights, within the float32 summation bound {@code k·2⁻²⁴·Σ|x·w|} (any order of additions meets it),
 * and against each other. Shapes cross every blocking edge: rows around the 6-row micro-kernel and the 72-row
 * block, output columns around the two-vector panel and the 256-row weight block, k across 256-column blocks.
 */
class MatmulTest {

    private static Kernels scalar;
    private static Kernels panama;

    @BeforeAll
    static void load() throws ReflectiveOperationException {
        scalar = new ScalarKernels();
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
        panama = (Kernels) Class.forName("dev.jmerge.kernels.panama.PanamaKernels").getDeclaredConstructor().newInstance();
    }

    @Test
    void matchesTheFloat64ProductAcrossBlockEdges() {
        int[] rowsSet = {1, 5, 6, 7, 13};
        int[] kSet = {1, 3, 17, 64, 515, 1100};
        int[] nSet = {1, 5, 15, 16, 17, 33, 48};
        SplittableRandom rnd = new SplittableRandom(7);
        int cases = 0;
        for (DType type : new DType[] {DType.BF16, DType.F16, DType.F32}) {
            for (int rows : rowsSet) {
                for (int k : kSet) {
                    for (int n : nSet) {
                        if ((rows * k * n) % 3 != 0 && k > 100) continue; // thin out the large ones
                        check(type, rows, k, n, rnd);
                        cases++;
                    }
                }
            }
        }
        // Past every block edge at once: activation row blocks (72), weight row blocks (256), column blocks (256).
        for (DType type : new DType[] {DType.BF16, DType.F16, DType.F32}) check(type, 80, 300, 530, rnd);
        assertThat(cases).isGreaterThan(200);
    }

    @Test
    void aSubRangeOfWeightRowsWritesOnlyItsColumns() {
        // How the forward pass splits n over threads: a byte offset into w, a column offset and stride into y.
        int rows = 9, k = 40, n = 50, from = 17, count = 20;
        SplittableRandom rnd = new SplittableRandom(3);
        float[] x = values(rnd, rows * k);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = weights(arena, rnd, DType.BF16, n * k);
            for (Kernels kern : new Kernels[] {scalar, panama}) {
                float[] y = new float[rows * n];
                java.util.Arrays.fill(y, Float.NaN);
                kern.matmul(x, rows, k, w, (long) from * k * 2, DType.BF16, count, y, from, n);
                float[] full = new float[rows * n];
                scalar.matmul(x, rows, k, w, 0, DType.BF16, n, full, 0, n);
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < n; j++) {
                        float v = y[r * n + j];
                        if (j >= from && j < from + count) {
                            assertThat((double) v).as("%s r=%d j=%d", kern.name(), r, j)
                                    .isCloseTo(full[r * n + j], org.assertj.core.data.Offset.offset(1e-5));
                        } else {
                            assertThat(v).as("%s untouched r=%d j=%d", kern.name(), r, j).isNaN();
                        }
                    }
                }
            }
        }
    }

    private static void check(DType type, int rows, int k, int n, SplittableRandom rnd) {
        float[] x = values(rnd, rows * k);
        try (Arena arena = Arena.ofConfined()) {
            long pad = 6; // an unaligned start, as tensors sit in a mapped file
            MemorySegment w = arena.allocate(pad + (long) n * k * type.byteSize());
            MemorySegment body = weights(arena, rnd, type, n * k);
            MemorySegment.copy(body, 0, w, pad, body.byteSize());
            float[] wf = new float[n * k];
            scalar.toFloat(w, pad, type, wf, 0, n * k);
            int stride = n + 3;
            float[] ys = new float[rows * stride + 2];
            float[] yp = new float[rows * stride + 2];
            scalar.matmul(x, rows, k, w, pad, type, n, ys, 2, stride);
            panama.matmul(x, rows, k, w, pad, type, n, yp, 2, stride);
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < n; j++) {
                    double exact = 0, mag = 0;
                    for (int i = 0; i < k; i++) {
                        double p = (double) x[r * k + i] * wf[j * k + i];
                        exact += p;
                        mag += Math.abs(p);
                    }
                    double bound = k * 0x1p-24 * mag * 1.001 + Double.MIN_NORMAL;
                    String where = String.format("%s rows=%d k=%d n=%d r=%d j=%d", type, rows, k, n, r, j);
                    float s = ys[2 + r * stride + j], v = yp[2 + r * stride + j];
                    assertThat(Math.abs(s - exact)).as("scalar " + where).isLessThanOrEqualTo(bound);
                    assertThat(Math.abs(v - exact)).as("panama " + where).isLessThanOrEqualTo(bound);
                    assertThat((double) Math.abs(v - s)).as("panama vs scalar " + where).isLessThanOrEqualTo(2 * bound);
                }
            }
            assertThat(ys[0]).isZero(); // nothing written before yOff
            assertThat(yp[1]).isZero();
        }
    }

    /** Weight-like values with a spread of magnitudes and both signs. */
    private static float[] values(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextDouble(-3, 1)));
        return v;
    }

    private static MemorySegment weights(Arena arena, SplittableRandom rnd, DType type, int count) {
        MemorySegment seg = arena.allocate((long) count * type.byteSize());
        scalar.fromFloat(values(rnd, count), 0, seg, 0, type, count);
        return seg;
    }
}
