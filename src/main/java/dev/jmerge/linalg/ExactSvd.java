package dev.jmerge.linalg;

import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.SingularOps_FDRM;
import org.ejml.dense.row.factory.DecompositionFactory_FDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F32;

/**
 * The full (thin) SVD of the whole matrix in float32, as mergekit computes it ({@code torch.linalg.svd}):
 * the matrix is read once into memory and decomposed by EJML. The reference the randomized path is measured
 * against, and the path for small matrices.
 */
final class ExactSvd {

    private ExactSvd() {}

    /** The first {@code rank} singular triplets of the full decomposition. */
    static Factorization compute(RowSource a, int rank) {
        int m = a.rows(), n = a.cols();
        FMatrixRMaj mat = new FMatrixRMaj(m, n);
        int step = RandomizedSvd.blockRows(n);
        float[] tile = new float[step * n];
        double normSquared = 0;
        for (int first = 0; first < m; first += step) {
            int count = Math.min(step, m - first);
            a.read(first, count, tile);
            for (int i = 0; i < count * n; i++) normSquared += (double) tile[i] * tile[i];
            System.arraycopy(tile, 0, mat.data, first * n, count * n);
        }
        if (!Double.isFinite(normSquared)) throw new ArithmeticException("the matrix holds NaN or infinite values");
        int small = Math.min(m, n);
        if (small == 0 || rank == 0) return new Factorization(m, n, new double[0], new double[0], new double[0], normSquared);
        SingularValueDecomposition_F32<FMatrixRMaj> svd = DecompositionFactory_FDRM.svd(m, n, true, true, true);
        if (!svd.decompose(mat)) throw new ArithmeticException("the SVD of the " + m + "×" + n + " matrix did not converge");
        FMatrixRMaj u = svd.getU(null, false);   // m × small
        FMatrixRMaj w = svd.getW(null);
        FMatrixRMaj v = svd.getV(null, false);   // n × small
        SingularOps_FDRM.descendingOrder(u, false, w, v, false);
        int r = Math.min(rank, small);
        double[] s = new double[r];
        for (int i = 0; i < r; i++) s[i] = w.get(i, i);
        return new Factorization(m, n, s, columns(u.data, m, small, r), columns(v.data, n, small, r), normSquared);
    }

    /** The matrix, the decomposition's working copy, U and V, and the float64 columns handed back. */
    static long workingBytes(int m, int n, int rank) {
        long small = Math.min(m, n);
        return 2L * m * n * Float.BYTES + (m + n) * small * Float.BYTES + (long) (m + n) * Math.min(rank, small) * Double.BYTES
                + (long) RandomizedSvd.blockRows(n) * n * Float.BYTES;
    }

    /** The first {@code keep} columns of a row-major {@code rows × cols} float matrix, in float64. */
    private static double[] columns(float[] x, int rows, int cols, int keep) {
        double[] d = new double[rows * keep];
        for (int i = 0; i < rows; i++) for (int j = 0; j < keep; j++) d[i * keep + j] = x[i * cols + j];
        return d;
    }
}
