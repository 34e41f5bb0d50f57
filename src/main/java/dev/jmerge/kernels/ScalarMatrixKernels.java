package dev.jmerge.kernels;

/** Plain-Java matrix products: the reference the vector implementation must match bit for bit. */
public final class ScalarMatrixKernels implements MatrixKernels {

    @Override
    public String name() { return "scalar"; }

    @Override
    public void multiplyAdd(float[] a, int aOff, int rows, int n, float[] b, int k, float[] c, int cOff) {
        for (int i = 0; i < rows; i++) {
            int ci = cOff + i * k;
            for (int col = 0; col < n; col++) {
                float av = a[aOff + i * n + col];
                int bc = col * k;
                for (int j = 0; j < k; j++) c[ci + j] = Math.fma(av, b[bc + j], c[ci + j]);
            }
        }
    }

    @Override
    public void transposedMultiplyAdd(float[] a, int aOff, int rows, int n, float[] y, int yOff, int k, float[] z) {
        for (int i = 0; i < rows; i++) {
            int yi = yOff + i * k;
            for (int col = 0; col < n; col++) {
                float av = a[aOff + i * n + col];
                int zc = col * k;
                for (int j = 0; j < k; j++) z[zc + j] = Math.fma(av, y[yi + j], z[zc + j]);
            }
        }
    }
}
