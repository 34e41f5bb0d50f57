package dev.jmerge.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The matrix products against a float64 reference, and the vector implementation against the scalar one bit for bit. */
class MatrixKernelsTest {

    private static final int[][] SHAPES = { // rows, n, k: whole vectors, tails, a single row or column
            {1, 1, 1}, {3, 5, 7}, {4, 16, 16}, {9, 37, 42}, {13, 64, 48}, {5, 3, 33}, {8, 100, 64}, {6, 83, 5}};

    private static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return v;
    }

    @Test
    void multiplyAddIsTheProductAccumulatedOntoC() {
        SplittableRandom r = new SplittableRandom(1);
        for (int[] s : SHAPES) {
            int rows = s[0], n = s[1], k = s[2], aOff = 3, cOff = 5;
            float[] a = random(r, aOff + rows * n), b = random(r, n * k), c = random(r, cOff + rows * k);
            float[] got = c.clone();
            new ScalarMatrixKernels().multiplyAdd(a, aOff, rows, n, b, k, got, cOff);
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < k; j++) {
                    double want = c[cOff + i * k + j];
                    for (int col = 0; col < n; col++) want += (double) a[aOff + i * n + col] * b[col * k + j];
                    assertThat((double) got[cOff + i * k + j]).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5 * (n + 1)));
                }
            }
            for (int i = 0; i < cOff; i++) assertThat(got[i]).isEqualTo(c[i]); // nothing before the offset is touched
        }
    }

    @Test
    void transposedMultiplyAddIsYtransposeAAccumulatedOntoZt() {
        SplittableRandom r = new SplittableRandom(2);
        for (int[] s : SHAPES) {
            int rows = s[0], n = s[1], k = s[2], aOff = 2, yOff = 7;
            float[] a = random(r, aOff + rows * n), y = random(r, yOff + rows * k), zt = random(r, k * n);
            float[] got = zt.clone();
            new ScalarMatrixKernels().transposedMultiplyAdd(a, aOff, rows, n, y, yOff, k, got);
            for (int j = 0; j < k; j++) {
                for (int col = 0; col < n; col++) {
                    double want = zt[j * n + col];
                    for (int i = 0; i < rows; i++) want += (double) a[aOff + i * n + col] * y[yOff + i * k + j];
                    assertThat((double) got[j * n + col]).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5 * (rows + 1)));
                }
            }
        }
    }

    @Test
    void vectorKernelsMatchTheScalarOnesBitForBit() throws ReflectiveOperationException {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
        MatrixKernels vec = (MatrixKernels) Class.forName("dev.jmerge.kernels.panama.PanamaMatrixKernels")
                .getDeclaredConstructor().newInstance();
        MatrixKernels ref = new ScalarMatrixKernels();
        SplittableRandom r = new SplittableRandom(3);
        for (int[] s : SHAPES) {
            int rows = s[0], n = s[1], k = s[2];
            float[] a = random(r, 1 + rows * n), b = random(r, n * k), c = random(r, 2 + rows * k);
            float[] c1 = c.clone(), c2 = c.clone();
            ref.multiplyAdd(a, 1, rows, n, b, k, c1, 2);
            vec.multiplyAdd(a, 1, rows, n, b, k, c2, 2);
            assertThat(c2).as("multiplyAdd %s", java.util.Arrays.toString(s)).containsExactly(c1);
            float[] y = random(r, 4 + rows * k), z = random(r, k * n);
            float[] z1 = z.clone(), z2 = z.clone();
            ref.transposedMultiplyAdd(a, 1, rows, n, y, 4, k, z1);
            vec.transposedMultiplyAdd(a, 1, rows, n, y, 4, k, z2);
            assertThat(z2).as("transposedMultiplyAdd %s", java.util.Arrays.toString(s)).containsExactly(z1);
        }
    }

    @Test
    void theChoiceFollowsTheElementKernels() {
        MatrixKernels k = MatrixKernels.get();
        if (KernelsProvider.get() instanceof ScalarKernels) assertThat(k).isInstanceOf(ScalarMatrixKernels.class);
        else assertThat(k.name()).startsWith("panama-");
    }
}
