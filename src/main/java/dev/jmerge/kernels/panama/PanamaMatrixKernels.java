package dev.jmerge.kernels.panama;

import dev.jmerge.kernels.MatrixKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API matrix products. Lanes run along the thin matrix's {@code k} columns; four rows of the large
 * matrix share each load of the thin one. Every output element sees the same fused multiply-adds in the
 * same order as in {@code ScalarMatrixKernels}, so results are bit-identical; columns past the last whole
 * vector take the scalar loop.
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
        if (jb < k) {
            for (int i = 0; i < rows; i++) {
                int ci = cOff + i * k;
                for (int col = 0; col < n; col++) {
                    float av = a[aOff + i * n + col];
                    int bc = col * k;
                    for (int j = jb; j < k; j++) c[ci + j] = Math.fma(av, b[bc + j], c[ci + j]);
                }
            }
        }
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
    public void transposedMultiplyAdd(float[] a, int aOff, int rows, int n, float[] y, int yOff, int k, float[] z) {
        int lanes = F.length();
        int jb = 0;
        for (; jb + lanes <= k; jb += lanes) {
            int i = 0;
            for (; i + 4 <= rows; i += 4) transposedMultiplyAdd4(a, aOff + i * n, n, y, yOff + i * k + jb, k, z, jb);
            for (; i < rows; i++) {
                int a0 = aOff + i * n;
                FloatVector v0 = FloatVector.fromArray(F, y, yOff + i * k + jb);
                for (int col = 0, zc = jb; col < n; col++, zc += k) {
                    v0.fma(FloatVector.broadcast(F, a[a0 + col]), FloatVector.fromArray(F, z, zc)).intoArray(z, zc);
                }
            }
        }
        if (jb < k) {
            for (int i = 0; i < rows; i++) {
                int yi = yOff + i * k;
                for (int col = 0; col < n; col++) {
                    float av = a[aOff + i * n + col];
                    int zc = col * k;
                    for (int j = jb; j < k; j++) z[zc + j] = Math.fma(av, y[yi + j], z[zc + j]);
                }
            }
        }
    }

    /**
     * Four rows of A (from {@code a0}) and of Y (from {@code y0}) onto one column block of Z. Each element of Z
     * takes its four updates in row order; four columns of Z are in flight at once so that the chains overlap.
     */
    private static void transposedMultiplyAdd4(float[] a, int a0, int n, float[] y, int y0, int k, float[] z, int jb) {
        int a1 = a0 + n, a2 = a1 + n, a3 = a2 + n;
        FloatVector v0 = FloatVector.fromArray(F, y, y0);
        FloatVector v1 = FloatVector.fromArray(F, y, y0 + k);
        FloatVector v2 = FloatVector.fromArray(F, y, y0 + 2 * k);
        FloatVector v3 = FloatVector.fromArray(F, y, y0 + 3 * k);
        int col = 0;
        for (; col + 4 <= n; col += 4) {
            int z0 = col * k + jb, z1 = z0 + k, z2 = z1 + k, z3 = z2 + k;
            FloatVector p = FloatVector.fromArray(F, z, z0), q = FloatVector.fromArray(F, z, z1);
            FloatVector r = FloatVector.fromArray(F, z, z2), s = FloatVector.fromArray(F, z, z3);
            p = v0.fma(FloatVector.broadcast(F, a[a0 + col]), p);
            q = v0.fma(FloatVector.broadcast(F, a[a0 + col + 1]), q);
            r = v0.fma(FloatVector.broadcast(F, a[a0 + col + 2]), r);
            s = v0.fma(FloatVector.broadcast(F, a[a0 + col + 3]), s);
            p = v1.fma(FloatVector.broadcast(F, a[a1 + col]), p);
            q = v1.fma(FloatVector.broadcast(F, a[a1 + col + 1]), q);
            r = v1.fma(FloatVector.broadcast(F, a[a1 + col + 2]), r);
            s = v1.fma(FloatVector.broadcast(F, a[a1 + col + 3]), s);
            p = v2.fma(FloatVector.broadcast(F, a[a2 + col]), p);
            q = v2.fma(FloatVector.broadcast(F, a[a2 + col + 1]), q);
            r = v2.fma(FloatVector.broadcast(F, a[a2 + col + 2]), r);
            s = v2.fma(FloatVector.broadcast(F, a[a2 + col + 3]), s);
            p = v3.fma(FloatVector.broadcast(F, a[a3 + col]), p);
            q = v3.fma(FloatVector.broadcast(F, a[a3 + col + 1]), q);
            r = v3.fma(FloatVector.broadcast(F, a[a3 + col + 2]), r);
            s = v3.fma(FloatVector.broadcast(F, a[a3 + col + 3]), s);
            p.intoArray(z, z0);
            q.intoArray(z, z1);
            r.intoArray(z, z2);
            s.intoArray(z, z3);
        }
        for (; col < n; col++) {
            int zc = col * k + jb;
            FloatVector p = FloatVector.fromArray(F, z, zc);
            p = v0.fma(FloatVector.broadcast(F, a[a0 + col]), p);
            p = v1.fma(FloatVector.broadcast(F, a[a1 + col]), p);
            p = v2.fma(FloatVector.broadcast(F, a[a2 + col]), p);
            p = v3.fma(FloatVector.broadcast(F, a[a3 + col]), p);
            p.intoArray(z, zc);
        }
    }
}
