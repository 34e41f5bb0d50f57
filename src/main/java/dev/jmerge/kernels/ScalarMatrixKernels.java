package dev.jmerge.kernels;

/** Plain-Java matrix products: the reference the vector implementation must match bit for bit. */
public final class ScalarMatrixKernels implements MatrixKernels {

    @Override
    public String name() { return "scalar"; }

    @Override
    public void multiplyAdd(float[] a, int aOff, int rows, int n, float[] b, int k, float[] c, int cOff) {
        multiplyAddColumns(a, aOff, rows, n, b, k, c, cOff, 0);
    }

    @Override
    public void transposedMultiplyAdd(float[] a, int aOff, int rows, int n, float[] y, int yOff, int k, float[] zt) {
        transposedMultiplyAddColumns(a, aOff, rows, n, y, yOff, k, zt, 0);
    }

    /** {@link #multiplyAdd} restricted to columns {@code [from, k)} of B and C (the vector kernels' tail). */
    public static void multiplyAddColumns(float[] a, int aOff, int rows, int n, float[] b, int k, float[] c, int cOff,
                                          int from) {
        for (int i = 0; i < rows; i++) {
            int ci = cOff + i * k;
            for (int col = 0; col < n; col++) {
                float av = a[aOff + i * n + col];
                int bc = col * k;
                for (int j = from; j < k; j++) c[ci + j] = Math.fma(av, b[bc + j], c[ci + j]);
            }
        }
    }

    /** {@link #transposedMultiplyAdd} restricted to columns {@code [from, n)} of A and Zᵀ (the vector kernels' tail). */
    public static void transposedMultiplyAddColumns(float[] a, int aOff, int rows, int n, float[] y, int yOff, int k,
                                                    float[] zt, int from) {
        for (int i = 0; i < rows; i++) {
            int ai = aOff + i * n, yi = yOff + i * k;
            for (int j = 0; j < k; j++) {
                float yv = y[yi + j];
                int zj = j * n;
                for (int c = from; c < n; c++) zt[zj + c] = Math.fma(yv, a[ai + c], zt[zj + c]);
            }
        }
    }
}
