package dev.jmerge.linalg;

import dev.jmerge.kernels.MatrixKernels;
import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Randomized truncated SVD (Halko, Martinsson, Tropp 2011, algorithms 4.4 and 5.1) of an {@code m × n} matrix
 * M read in row blocks: {@code Y = M·Ω} for a Gaussian {@code n × k} Ω, then {@code q} power iterations
 * ({@code Q ← orth(M·orth(Mᵀ·Q))}) that sharpen the captured subspace, then {@code Z = Mᵀ·Q}, whose small
 * SVD {@code Z = U_z·Σ·V_zᵀ} gives {@code M ≈ (Q·V_z)·Σ·U_zᵀ}. That is {@code 2 + 2q} passes over M at
 * {@code k} fused multiply-adds per element each, against the {@code O(m·n·min(m,n))} of a full SVD, and
 * memory for the thin {@code m × k} and {@code n × k} matrices only.
 *
 * <p>The products run in float32 (the matrix kernels); orthonormalisation (Householder QR) and the small
 * SVD run in float64 on EJML.
 */
final class RandomizedSvd {

    /** Floats per row block read from the source. */
    static final int BLOCK_FLOATS = 1 << 16;

    private final MatrixKernels kernels;

    RandomizedSvd(MatrixKernels kernels) { this.kernels = kernels; }

    Factorization compute(RowSource a, int rank, int k, int powerIterations, long seed) {
        int m = a.rows(), n = a.cols();
        float[] tile = new float[blockRows(n) * n];
        float[] omega = gaussian(n, k, seed);
        float[] y = new float[m * k];
        double normSquared = multiply(a, omega, k, y, tile, true);
        if (!Double.isFinite(normSquared)) throw new ArithmeticException("the matrix holds NaN or infinite values");
        omega = null;
        float[] q = orthonormal(y, m, k);
        float[] z = new float[n * k];
        for (int it = 0; it < powerIterations; it++) {
            multiplyTransposed(a, q, k, z, tile);
            float[] w = orthonormal(z, n, k);
            multiply(a, w, k, y, tile, false);
            q = orthonormal(y, m, k);
        }
        multiplyTransposed(a, q, k, z, tile); // Z = Mᵀ·Q = (Qᵀ·M)ᵀ

        DMatrixRMaj zd = toDouble(z, n, k);
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(n, k, true, true, true);
        if (!svd.decompose(zd)) throw new ArithmeticException("the SVD of the " + n + "×" + k + " sketch did not converge");
        DMatrixRMaj uz = svd.getU(null, false);   // n × k
        DMatrixRMaj w = svd.getW(null);           // k × k
        DMatrixRMaj vz = svd.getV(null, false);   // k × k
        SingularOps_DDRM.descendingOrder(uz, false, w, vz, false);

        double[] s = new double[k];
        for (int i = 0; i < k; i++) s[i] = w.get(i, i);
        double[] u = new double[m * k];            // U = Q·V_z
        for (int i = 0; i < m; i++) {
            for (int c = 0; c < k; c++) {
                double qc = q[i * k + c];
                if (qc == 0) continue;
                int vr = c * k;
                for (int j = 0; j < k; j++) u[i * k + j] += qc * vz.data[vr + j];
            }
        }
        return new Factorization(m, n, s, u, uz.data, normSquared).truncated(rank);
    }

    static long workingBytes(int m, int n, int k) {
        long thin = (long) (m + n) * k;
        // y, q (float) and u, the QR's float64 copy of y and its Q (m-sided); z, Ω, w and the SVD's copies (n-sided)
        return thin * Float.BYTES * 3 + (long) m * k * Double.BYTES * 3 + (long) n * k * Double.BYTES * 3
                + (long) blockRows(n) * n * Float.BYTES;
    }

    /** Rows per block: about {@link #BLOCK_FLOATS} floats, a multiple of four (the kernels' row step), at least four. */
    static int blockRows(int n) {
        return Math.max(4, (BLOCK_FLOATS / Math.max(1, n)) & ~3);
    }

    /** {@code out = M·thin}; returns {@code ‖M‖²_F} when asked to (the first pass), else 0. */
    private double multiply(RowSource a, float[] thin, int k, float[] out, float[] tile, boolean norm) {
        java.util.Arrays.fill(out, 0f);
        int m = a.rows(), n = a.cols(), step = blockRows(n);
        double sum = 0;
        for (int first = 0; first < m; first += step) {
            int count = Math.min(step, m - first);
            a.read(first, count, tile);
            if (norm) {
                for (int i = 0; i < count * n; i++) sum += (double) tile[i] * tile[i];
            }
            kernels.multiplyAdd(tile, 0, count, n, thin, k, out, first * k);
        }
        return sum;
    }

    /** {@code out = Mᵀ·q}. */
    private void multiplyTransposed(RowSource a, float[] q, int k, float[] out, float[] tile) {
        java.util.Arrays.fill(out, 0f);
        int m = a.rows(), n = a.cols(), step = blockRows(n);
        for (int first = 0; first < m; first += step) {
            int count = Math.min(step, m - first);
            a.read(first, count, tile);
            kernels.transposedMultiplyAdd(tile, 0, count, n, q, first * k, k, out);
        }
    }

    /**
     * An orthonormal basis of the columns of the {@code rows × k} matrix (Householder QR in float64, which
     * stays orthonormal when the columns are dependent, as for a matrix of rank below k).
     */
    static float[] orthonormal(float[] x, int rows, int k) {
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(rows, k);
        // false only flags a singular R (a column already in the span of the previous ones): its reflector is
        // then the identity and Q is still orthonormal, which is all that is used here
        qr.decompose(toDouble(x, rows, k));
        DMatrixRMaj q = qr.getQ(null, true);
        float[] out = new float[rows * k];
        for (int i = 0; i < out.length; i++) out[i] = (float) q.data[i];
        return out;
    }

    private static DMatrixRMaj toDouble(float[] x, int rows, int cols) {
        DMatrixRMaj d = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < rows * cols; i++) d.data[i] = x[i];
        return d;
    }

    /** The test matrix Ω: i.i.d. standard normal entries drawn from {@code seed}. */
    static float[] gaussian(int n, int k, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] g = new float[n * k];
        for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
        return g;
    }
}
