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
        for (; jb + lanes <= k; jb += lanes) {
            int i = 0;
            for (; i + 4 <= rows; i += 4) {
                int a0 = aOff + i * n, a1 = a0 + n, a2 = a1 + n, a3 = a2 + n;
                int c0 = cOff + i * k + jb;
                FloatVector s0 = FloatVector.fromArray(F, c, c0);
                FloatVector s1 = FloatVector.fromArray(F, c, c0 + k);
                FloatVector s2 = FloatVector.fromArray(F, c, c0 + 2 * k);
                FloatVector s3 = FloatVector.fromArray(F, c, c0 + 3 * k);
                for (int col = 0, bc = jb; col < n; col++, bc += k) {
                    FloatVector bv = FloatVector.fromArray(F, b, bc);
                    s0 = bv.fma(FloatVector.broadcast(F, a[a0 + col]), s0);
                    s1 = bv.fma(FloatVector.broadcast(F, a[a1 + col]), s1);
                    s2 = bv.fma(FloatVector.broadcast(F, a[a2 + col]), s2);
                    s3 = bv.fma(FloatVector.broadcast(F, a[a3 + col]), s3);
                }
                s0.intoArray(c, c0);
                s1.intoArray(c, c0 + k);
                s2.intoArray(c, c0 + 2 * k);
                s3.intoArray(c, c0 + 3 * k);
            }
            for (; i < rows; i++) {
                int a0 = aOff + i * n;
                int c0 = cOff + i * k + jb;
                FloatVector s0 = FloatVector.fromArray(F, c, c0);
                for (int col = 0, bc = jb; col < n; col++, bc += k) {
                    s0 = FloatVector.fromArray(F, b, bc).fma(FloatVector.broadcast(F, a[a0 + col]), s0);
                }
                s0.intoArray(c, c0);
            }
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

    @Override
    public void transposedMultiplyAdd(float[] a, int aOff, int rows, int n, float[] y, int yOff, int k, float[] z) {
        int lanes = F.length();
        int jb = 0;
        for (; jb + lanes <= k; jb += lanes) {
            int i = 0;
            for (; i + 4 <= rows; i += 4) {
                int a0 = aOff + i * n, a1 = a0 + n, a2 = a1 + n, a3 = a2 + n;
                int y0 = yOff + i * k + jb;
                FloatVector v0 = FloatVector.fromArray(F, y, y0);
                FloatVector v1 = FloatVector.fromArray(F, y, y0 + k);
                FloatVector v2 = FloatVector.fromArray(F, y, y0 + 2 * k);
                FloatVector v3 = FloatVector.fromArray(F, y, y0 + 3 * k);
                for (int col = 0, zc = jb; col < n; col++, zc += k) {
                    FloatVector s = FloatVector.fromArray(F, z, zc);
                    s = v0.fma(FloatVector.broadcast(F, a[a0 + col]), s);
                    s = v1.fma(FloatVector.broadcast(F, a[a1 + col]), s);
                    s = v2.fma(FloatVector.broadcast(F, a[a2 + col]), s);
                    s = v3.fma(FloatVector.broadcast(F, a[a3 + col]), s);
                    s.intoArray(z, zc);
                }
            }
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
}
