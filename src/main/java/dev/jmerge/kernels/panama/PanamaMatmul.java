package dev.jmerge.kernels.panama;

import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y = x · wᵀ} with float32 activations and weights of any float dtype, blocked the way BLAS kernels are:
 * a panel of {@link #NR} weight rows × {@link #KC} columns is decoded and transposed once into a small float
 * buffer (it stays in L1/L2), then every block of {@link #MR} activation rows is multiplied against it by a
 * register-blocked micro-kernel: {@code MR × 2} vector accumulators, each step one broadcast activation per row
 * times two vectors of the panel, all fused multiply-adds. The decode and transpose are paid once per weight
 * element and shared by all activation rows, so with hundreds of rows the time is the micro-kernel's.
 */
final class PanamaMatmul {

    private static final VectorSpecies<Float> F = PanamaKernels.F;
    private static final int L = F.length();
    /** Output columns per panel: two vectors. */
    static final int NR = 2 * L;
    /** Activation rows per micro-kernel call: 6 × 2 accumulators + 2 panel vectors + 1 broadcast fit in the 16
     * registers of AVX2 (AVX-512 has 32 and would allow more; 6 × 2 already keeps both FMA pipes busy). */
    static final int MR = 6;
    /** Columns of the weight per panel: NR × KC floats = 32 KB at 256 bits, 64 KB at 512. */
    static final int KC = 512;

    private PanamaMatmul() {}

    static void matmul(PanamaKernels kernels, float[] x, int rows, int k, MemorySegment w, long wOff, DType type,
                       int n, float[] y, int yOff, int yStride) {
        if (rows == 0 || n == 0) return;
        int kc = Math.max(1, Math.min(KC, k));
        float[] panel = new float[kc * NR];
        float[] decoded = new float[kc];
        float[] acc = new float[rows * NR];
        long rowBytes = (long) k * type.byteSize();
        for (int j0 = 0; j0 < n; j0 += NR) {
            int nj = Math.min(NR, n - j0);
            Arrays.fill(acc, 0f);
            if (nj < NR) Arrays.fill(panel, 0f); // missing columns multiply as zeros and are never stored
            for (int k0 = 0; k0 < k; k0 += kc) {
                int kb = Math.min(kc, k - k0);
                for (int jj = 0; jj < nj; jj++) {
                    kernels.toFloat(w, wOff + (j0 + jj) * rowBytes + (long) k0 * type.byteSize(), type,
                            decoded, 0, kb);
                    for (int p = 0, q = jj; p < kb; p++, q += NR) panel[q] = decoded[p];
                }
                int r = 0;
                for (; r + MR <= rows; r += MR) block6(x, k, r, k0, kb, panel, acc);
                for (; r < rows; r++) block1(x, k, r, k0, kb, panel, acc);
            }
            for (int r = 0; r < rows; r++) System.arraycopy(acc, r * NR, y, yOff + r * yStride + j0, nj);
        }
    }

    /** Rows {@code r..r+5} against the panel: twelve accumulators live in registers for the whole k-block. */
    private static void block6(float[] x, int k, int r, int k0, int kb, float[] panel, float[] acc) {
        int a0 = r * NR;
        FloatVector c00 = FloatVector.fromArray(F, acc, a0), c01 = FloatVector.fromArray(F, acc, a0 + L);
        FloatVector c10 = FloatVector.fromArray(F, acc, a0 + NR), c11 = FloatVector.fromArray(F, acc, a0 + NR + L);
        FloatVector c20 = FloatVector.fromArray(F, acc, a0 + 2 * NR), c21 = FloatVector.fromArray(F, acc, a0 + 2 * NR + L);
        FloatVector c30 = FloatVector.fromArray(F, acc, a0 + 3 * NR), c31 = FloatVector.fromArray(F, acc, a0 + 3 * NR + L);
        FloatVector c40 = FloatVector.fromArray(F, acc, a0 + 4 * NR), c41 = FloatVector.fromArray(F, acc, a0 + 4 * NR + L);
        FloatVector c50 = FloatVector.fromArray(F, acc, a0 + 5 * NR), c51 = FloatVector.fromArray(F, acc, a0 + 5 * NR + L);
        int x0 = r * k + k0, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k, x4 = x3 + k, x5 = x4 + k;
        for (int p = 0; p < kb; p++) {
            int q = p * NR;
            FloatVector b0 = FloatVector.fromArray(F, panel, q), b1 = FloatVector.fromArray(F, panel, q + L);
            FloatVector a = FloatVector.broadcast(F, x[x0 + p]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(F, x[x1 + p]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(F, x[x2 + p]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(F, x[x3 + p]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(F, x[x4 + p]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(F, x[x5 + p]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }
        c00.intoArray(acc, a0);
        c01.intoArray(acc, a0 + L);
        c10.intoArray(acc, a0 + NR);
        c11.intoArray(acc, a0 + NR + L);
        c20.intoArray(acc, a0 + 2 * NR);
        c21.intoArray(acc, a0 + 2 * NR + L);
        c30.intoArray(acc, a0 + 3 * NR);
        c31.intoArray(acc, a0 + 3 * NR + L);
        c40.intoArray(acc, a0 + 4 * NR);
        c41.intoArray(acc, a0 + 4 * NR + L);
        c50.intoArray(acc, a0 + 5 * NR);
        c51.intoArray(acc, a0 + 5 * NR + L);
    }

    /** One leftover row against the panel. */
    private static void block1(float[] x, int k, int r, int k0, int kb, float[] panel, float[] acc) {
        int a0 = r * NR;
        FloatVector c0 = FloatVector.fromArray(F, acc, a0), c1 = FloatVector.fromArray(F, acc, a0 + L);
        int x0 = r * k + k0;
        for (int p = 0; p < kb; p++) {
            FloatVector a = FloatVector.broadcast(F, x[x0 + p]);
            c0 = a.fma(FloatVector.fromArray(F, panel, p * NR), c0);
            c1 = a.fma(FloatVector.fromArray(F, panel, p * NR + L), c1);
        }
        c0.intoArray(acc, a0);
        c1.intoArray(acc, a0 + L);
    }
}
