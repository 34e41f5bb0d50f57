package dev.jmerge.kernels.panama;

import dev.jmerge.kernels.MatrixKernels;
import dev.jmerge.kernels.ScalarMatrixKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API matrix products. In the product the lanes run along the thin matrix's {@code k} columns and four
 * rows of the large matrix share each load of the thin one; in the transposed product they run along the large
 * matrix's rows and four rows of Zᵀ share each load of them. Eight accumulators are in flight in both, so the
 * fused multiply-adds overlap instead of waiting for each other. Every output element sees the same fused
 * multiply-adds in the same order as in {@code ScalarMatrixKernels}, so results are bit-identical; columns past
 * the last whole vector take the scalar loop.
 */
public final class PanamaMatrixKernels implements MatrixKernels {

    private static final VectorSpecies<Float> F =
            VectorSpecies.of(float.class, VectorShape.forBitSize(PanamaKernels.BITS));

    public PanamaMatrixKernels() {}

    @Override
    public String name() { return "panama-" + PanamaKernels.BITS; }

    @Override
    public void multiplyAdd(float[] a, int aOff, int rows, int n, float[] b, int k, float[] c, int cOff) {
        int lanes = F.length();
        int jb = 0;
        // two column blocks at a time: eight independent accumulators keep the FMA units busy
        for (; jb + 2 * lanes <= k; jb += 2 * lanes) {
            int i = 0;
            for (; i + 4 <= rows; i += 4) multiplyAdd4x2(a, aOff + i * n, n, b, k, jb, c, cOff + i * k + jb);
            for (; i < rows; i++) {
                multiplyAdd1(a, aOff + i * n, n, b, k, jb, c, cOff + i * k + jb);
                multiplyAdd1(a, aOff + i * n, n, b, k, jb + lanes, c, cOff + i * k + jb + lanes);
            }
        }
        for (; jb + lanes <= k; jb += lanes) {
            for (int i = 0; i < rows; i++) multiplyAdd1(a, aOff + i * n, n, b, k, jb, c, cOff + i * k + jb);
        }
        if (jb < k) ScalarMatrixKernels.multiplyAddColumns(a, aOff, rows, n, b, k, c, cOff, jb);
    }

    /** Four rows of A times two column blocks of B, onto C (rows {@code k} apart from {@code c0}). */
    private static void multiplyAdd4x2(float[] a, int a0, int n, float[] b, int k, int jb, float[] c, int c0) {
        int lanes = F.length();
        int a1 = a0 + n, a2 = a1 + n, a3 = a2 + n;
        FloatVector s0 = FloatVector.fromArray(F, c, c0), t0 = FloatVector.fromArray(F, c, c0 + lanes);
        FloatVector s1 = FloatVector.fromArray(F, c, c0 + k), t1 = FloatVector.fromArray(F, c, c0 + k + lanes);
        FloatVector s2 = FloatVector.fromArray(F, c, c0 + 2 * k), t2 = FloatVector.fromArray(F, c, c0 + 2 * k + lanes);
        FloatVector s3 = FloatVector.fromArray(F, c, c0 + 3 * k), t3 = FloatVector.fromArray(F, c, c0 + 3 * k + lanes);
        for (int col = 0, bc = jb; col < n; col++, bc += k) {
            FloatVector bv = FloatVector.fromArray(F, b, bc), bw = FloatVector.fromArray(F, b, bc + lanes);
            FloatVector x0 = FloatVector.broadcast(F, a[a0 + col]), x1 = FloatVector.broadcast(F, a[a1 + col]);
            FloatVector x2 = FloatVector.broadcast(F, a[a2 + col]), x3 = FloatVector.broadcast(F, a[a3 + col]);
            s0 = bv.fma(x0, s0);
            t0 = bw.fma(x0, t0);
            s1 = bv.fma(x1, s1);
            t1 = bw.fma(x1, t1);
            s2 = bv.fma(x2, s2);
            t2 = bw.fma(x2, t2);
            s3 = bv.fma(x3, s3);
            t3 = bw.fma(x3, t3);
        }
        s0.intoArray(c, c0);
        t0.intoArray(c, c0 + lanes);
        s1.intoArray(c, c0 + k);
        t1.intoArray(c, c0 + k + lanes);
        s2.intoArray(c, c0 + 2 * k);
        t2.intoArray(c, c0 + 2 * k + lanes);
        s3.intoArray(c, c0 + 3 * k);
        t3.intoArray(c, c0 + 3 * k + lanes);
    }

    /** One row of A times one column block of B, onto C at {@code c0}. */
    private static void multiplyAdd1(float[] a, int a0, int n, float[] b, int k, int jb, float[] c, int c0) {
        FloatVector s0 = FloatVector.fromArray(F, c, c0);
        for (int col = 0, bc = jb; col < n; col++, bc += k) {
            s0 = FloatVector.fromArray(F, b, bc).fma(FloatVector.broadcast(F, a[a0 + col]), s0);
        }
        s0.intoArray(c, c0);
    }

    @Override
    public void transposedMultiplyAdd(float[] a, int aOff, int rows, int n, float[] y, int yOff, int k, float[] zt) {
        int lanes = F.length();
        int c = 0;
        for (; c + 2 * lanes <= n; c += 2 * lanes) {
            int j = 0;
            for (; j + 4 <= k; j += 4) transposedMultiplyAdd4x2(a, aOff, rows, n, y, yOff, k, zt, j, c);
            for (; j < k; j++) {
                transposedMultiplyAdd1(a, aOff, rows, n, y, yOff, k, zt, j, c);
                transposedMultiplyAdd1(a, aOff, rows, n, y, yOff, k, zt, j, c + lanes);
            }
        }
        for (; c + lanes <= n; c += lanes) {
            for (int j = 0; j < k; j++) transposedMultiplyAdd1(a, aOff, rows, n, y, yOff, k, zt, j, c);
        }
        if (c < n) ScalarMatrixKernels.transposedMultiplyAddColumns(a, aOff, rows, n, y, yOff, k, zt, c);
    }

    /** Rows {@code j..j+3} of Zᵀ, two vectors from column {@code c}: each element takes A's rows in order. */
    private static void transposedMultiplyAdd4x2(float[] a, int aOff, int rows, int n, float[] y, int yOff, int k,
                                                 float[] zt, int j, int c) {
        int lanes = F.length();
        int z0 = j * n + c, z1 = z0 + n, z2 = z1 + n, z3 = z2 + n;
        FloatVector s0 = FloatVector.fromArray(F, zt, z0), t0 = FloatVector.fromArray(F, zt, z0 + lanes);
        FloatVector s1 = FloatVector.fromArray(F, zt, z1), t1 = FloatVector.fromArray(F, zt, z1 + lanes);
        FloatVector s2 = FloatVector.fromArray(F, zt, z2), t2 = FloatVector.fromArray(F, zt, z2 + lanes);
        FloatVector s3 = FloatVector.fromArray(F, zt, z3), t3 = FloatVector.fromArray(F, zt, z3 + lanes);
        for (int i = 0, ai = aOff + c, yi = yOff + j; i < rows; i++, ai += n, yi += k) {
            FloatVector av = FloatVector.fromArray(F, a, ai), aw = FloatVector.fromArray(F, a, ai + lanes);
            FloatVector y0 = FloatVector.broadcast(F, y[yi]), y1 = FloatVector.broadcast(F, y[yi + 1]);
            FloatVector y2 = FloatVector.broadcast(F, y[yi + 2]), y3 = FloatVector.broadcast(F, y[yi + 3]);
            s0 = av.fma(y0, s0);
            t0 = aw.fma(y0, t0);
            s1 = av.fma(y1, s1);
            t1 = aw.fma(y1, t1);
            s2 = av.fma(y2, s2);
            t2 = aw.fma(y2, t2);
            s3 = av.fma(y3, s3);
            t3 = aw.fma(y3, t3);
        }
        s0.intoArray(zt, z0);
        t0.intoArray(zt, z0 + lanes);
        s1.intoArray(zt, z1);
        t1.intoArray(zt, z1 + lanes);
        s2.intoArray(zt, z2);
        t2.intoArray(zt, z2 + lanes);
        s3.intoArray(zt, z3);
        t3.intoArray(zt, z3 + lanes);
    }

    /** Row {@code j} of Zᵀ, one vector from column {@code c}. */
    private static void transposedMultiplyAdd1(float[] a, int aOff, int rows, int n, float[] y, int yOff, int k,
                                               float[] zt, int j, int c) {
        int z0 = j * n + c;
        FloatVector s0 = FloatVector.fromArray(F, zt, z0);
        for (int i = 0, ai = aOff + c, yi = yOff + j; i < rows; i++, ai += n, yi += k) {
            s0 = FloatVector.fromArray(F, a, ai).fma(FloatVector.broadcast(F, y[yi]), s0);
        }
        s0.intoArray(zt, z0);
    }
}
