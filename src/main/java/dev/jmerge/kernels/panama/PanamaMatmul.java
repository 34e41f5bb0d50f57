package dev.jmerge.kernels.panama;

import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y = x · wᵀ} with float32 activations and weights of any float dtype, blocked the way BLAS kernels are
 * (Goto's scheme): for each block of {@link #KC} weight columns × {@link #NC} weight rows, the weights are
 * decoded and transposed once into panels of {@link #NR} rows (a panel stays in L1 while it is used, the block
 * in L2); then {@link #MC} activation rows at a time (their {@code KC} columns stay in L2) are multiplied against
 * every panel by a register-blocked micro-kernel: {@code MR × 2} vector accumulators, each step one broadcast
 * activation per row times two vectors of the panel, all fused multiply-adds, accumulated straight into
 * {@code y}. Decoding is paid once per weight element and shared by all activation rows.
 */
final class PanamaMatmul {

    private static final VectorSpecies<Float> F = PanamaKernels.F;
    private static final int L = F.length();
    /** Output columns per panel: two vectors. */
    static final int NR = 2 * L;
    /** Activation rows per micro-kernel call: 6 × 2 accumulators + 2 panel vectors + 1 broadcast fit in the 16
     * registers of AVX2 (AVX-512 has 32 and would allow more; 6 × 2 already keeps both FMA pipes busy). */
    static final int MR = 6;
    /** Weight columns (the shared dimension) per block: a panel is KC × NR floats, 16 KB at 256 bits. */
    static final int KC = 256;
    /** Weight rows per block: the packed block is KC × NC floats (256 KB), for L2. */
    static final int NC = 256;
    /** Activation rows per block: MC × KC floats (72 KB), for L2 beside the packed weights. */
    static final int MC = 72;

    private PanamaMatmul() {}

    static void matmul(PanamaKernels kernels, float[] x, int rows, int k, MemorySegment w, long wOff, DType type,
                       int n, float[] y, int yOff, int yStride) {
        if (rows == 0 || n == 0) return;
        for (int r = 0; r < rows; r++) Arrays.fill(y, yOff + r * yStride, yOff + r * yStride + n, 0f);
        int kc = Math.max(1, Math.min(KC, k));
        int nc = Math.min(NC, (n + NR - 1) / NR * NR);
        float[] packed = new float[kc * nc];
        float[] decoded = new float[kc];
        float[] edge = new float[MR * NR]; // output tile of a panel with fewer than NR columns
        long rowBytes = (long) k * type.byteSize();
        for (int k0 = 0; k0 < k; k0 += kc) {
            int kb = Math.min(kc, k - k0);
            for (int j0 = 0; j0 < n; j0 += nc) {
                int nb = Math.min(nc, n - j0);
                int panels = (nb + NR - 1) / NR;
                // Panel p holds weight rows j0 + p·NR ..; element (c, jj) at p·kb·NR + c·NR + jj.
                if (nb % NR != 0) Arrays.fill(packed, (panels - 1) * kb * NR, panels * kb * NR, 0f);
                for (int jj = 0; jj < nb; jj++) {
                    kernels.toFloat(w, wOff + (j0 + jj) * rowBytes + (long) k0 * type.byteSize(), type, decoded, 0, kb);
                    int base = (jj / NR) * kb * NR + jj % NR;
                    for (int c = 0, q = base; c < kb; c++, q += NR) packed[q] = decoded[c];
                }
                for (int r0 = 0; r0 < rows; r0 += MC) {
                    int r1 = Math.min(rows, r0 + MC);
                    for (int p = 0; p < panels; p++) {
                        int col = j0 + p * NR, width = Math.min(NR, n - col), po = p * kb * NR;
                        if (width == NR) {
                            int r = r0;
                            for (; r + MR <= r1; r += MR) block6(x, k, r, k0, kb, packed, po, y, yOff + r * yStride + col, yStride);
                            for (; r < r1; r++) block1(x, k, r, k0, kb, packed, po, y, yOff + r * yStride + col);
                        } else {
                            for (int r = r0; r < r1; r += MR) {
                                int m = Math.min(MR, r1 - r);
                                for (int i = 0; i < m; i++) System.arraycopy(y, yOff + (r + i) * yStride + col, edge, i * NR, width);
                                if (m == MR) block6(x, k, r, k0, kb, packed, po, edge, 0, NR);
                                else for (int i = 0; i < m; i++) block1(x, k, r + i, k0, kb, packed, po, edge, i * NR);
                                for (int i = 0; i < m; i++) System.arraycopy(edge, i * NR, y, yOff + (r + i) * yStride + col, width);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Rows {@code r..r+5} against one panel, adding into the tile of {@code c} at {@code c0} (row stride
     * {@code cs}): twelve accumulators live in registers for the whole k-block.
     */
    private static void block6(float[] x, int k, int r, int k0, int kb, float[] panel, int po, float[] c, int c0, int cs) {
        int a1 = c0 + cs, a2 = a1 + cs, a3 = a2 + cs, a4 = a3 + cs, a5 = a4 + cs;
        FloatVector c00 = FloatVector.fromArray(F, c, c0), c01 = FloatVector.fromArray(F, c, c0 + L);
        FloatVector c10 = FloatVector.fromArray(F, c, a1), c11 = FloatVector.fromArray(F, c, a1 + L);
        FloatVector c20 = FloatVector.fromArray(F, c, a2), c21 = FloatVector.fromArray(F, c, a2 + L);
        FloatVector c30 = FloatVector.fromArray(F, c, a3), c31 = FloatVector.fromArray(F, c, a3 + L);
        FloatVector c40 = FloatVector.fromArray(F, c, a4), c41 = FloatVector.fromArray(F, c, a4 + L);
        FloatVector c50 = FloatVector.fromArray(F, c, a5), c51 = FloatVector.fromArray(F, c, a5 + L);
        int x0 = r * k + k0, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k, x4 = x3 + k, x5 = x4 + k;
        for (int p = 0; p < kb; p++) {
            int q = po + p * NR;
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
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + L);
        c10.intoArray(c, a1);
        c11.intoArray(c, a1 + L);
        c20.intoArray(c, a2);
        c21.intoArray(c, a2 + L);
        c30.intoArray(c, a3);
        c31.intoArray(c, a3 + L);
        c40.intoArray(c, a4);
        c41.intoArray(c, a4 + L);
        c50.intoArray(c, a5);
        c51.intoArray(c, a5 + L);
    }

    /** One leftover row against one panel, adding into {@code c} at {@code c0}. */
    private static void block1(float[] x, int k, int r, int k0, int kb, float[] panel, int po, float[] c, int c0) {
        FloatVector v0 = FloatVector.fromArray(F, c, c0), v1 = FloatVector.fromArray(F, c, c0 + L);
        int x0 = r * k + k0;
        for (int p = 0; p < kb; p++) {
            FloatVector a = FloatVector.broadcast(F, x[x0 + p]);
            v0 = a.fma(FloatVector.fromArray(F, panel, po + p * NR), v0);
            v1 = a.fma(FloatVector.fromArray(F, panel, po + p * NR + L), v1);
        }
        v0.intoArray(c, c0);
        v1.intoArray(c, c0 + L);
    }
}
