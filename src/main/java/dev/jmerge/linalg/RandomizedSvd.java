package dev.jmerge.linalg;

import dev.jmerge.kernels.MatrixKernels;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.decomposition.qr.QRDecompositionHouseholderColumn_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
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
 * SVD run in float64 on EJML. An instance keeps its buffers from one matrix to the next (one per worker
 * thread), so a run of many matrices allocates its working memory once instead of leaving it to the garbage
 * collector after every matrix.
 */
final class RandomizedSvd {

    /** Floats per row block read from the source. */
    static final int BLOCK_FLOATS = 1 << 16;

    private final MatrixKernels kernels;
    private float[] tile = new float[0];
    private float[] omega = new float[0];
    private float[] y = new float[0];
    private float[] q = new float[0];
    private float[] zt = new float[0];
    private float[] w = new float[0];
    private final DMatrixRMaj qrIn = new DMatrixRMaj(1, 1);
    private final DMatrixRMaj qrOut = new DMatrixRMaj(1, 1);
    private final QRDecompositionHouseholderColumn_DDRM qr = new QRDecompositionHouseholderColumn_DDRM();

    RandomizedSvd(MatrixKernels kernels) { this.kernels = kernels; }

    Factorization compute(RowSource a, int rank, int k, int powerIterations, long seed) {
        int m = a.rows(), n = a.cols();
        tile = grow(tile, blockRows(n) * n);
        omega = grow(omega, n * k);
        y = grow(y, m * k);
        q = grow(q, m * k);
        zt = grow(zt, k * n);
        w = grow(w, n * k);
        gaussian(omega, n * k, seed);
        double normSquared = multiply(a, omega, k, y, true);
        if (!Double.isFinite(normSquared)) throw new ArithmeticException("the matrix holds NaN or infinite values");
        orthonormal(y, m, k, q);
        for (int it = 0; it < powerIterations; it++) {
            multiplyTransposed(a, q, k, zt);
            transpose(zt, k, n, w);          // Z = (Zᵀ)ᵀ, n × k
            orthonormal(w, n, k, w);
            multiply(a, w, k, y, false);
            orthonormal(y, m, k, q);
        }
        multiplyTransposed(a, q, k, zt);     // Zᵀ = Qᵀ·M

        // The small SVD of Z (n × k) as QR then the SVD of the k × k factor R: Z = Q_z·R = (Q_z·U_r)·Σ·V_rᵀ,
        // so every n-sized buffer is one this instance keeps; only k × k matrices are new.
        transpose(zt, k, n, w);
        qrIn.reshape(n, k);
        for (int i = 0; i < n * k; i++) qrIn.data[i] = w[i];
        qr.decompose(qrIn);
        qrOut.reshape(n, k);
        qr.getQ(qrOut, true);                      // Q_z, n × k
        DMatrixRMaj r = qr.getR(null, true);       // k × k
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(k, k, true, true, false);
        if (!svd.decompose(r)) throw new ArithmeticException("the SVD of the " + k + "×" + k + " sketch did not converge");
        DMatrixRMaj ur = svd.getU(null, false);    // k × k
        DMatrixRMaj sigma = svd.getW(null);
        DMatrixRMaj vr = svd.getV(null, false);    // k × k
        SingularOps_DDRM.descendingOrder(ur, false, sigma, vr, false);

        double[] s = new double[rank];
        for (int i = 0; i < rank; i++) s[i] = sigma.get(i, i);
        double[] u = new double[m * rank];        // U = Q·V_r: M ≈ Q·Zᵀ = Q·V_r·Σ·(Q_z·U_r)ᵀ
        multiplyThin(q, m, k, vr.data, rank, u);
        double[] v = new double[n * rank];        // V = Q_z·U_r
        for (int c = 0; c < n; c++) {
            for (int j = 0; j < k; j++) {
                double qz = qrOut.data[c * k + j];
                if (qz == 0) continue;
                int row = j * k;
                for (int t = 0; t < rank; t++) v[c * rank + t] += qz * ur.data[row + t];
            }
        }
        return new Factorization(m, n, s, u, v, normSquared);
    }

    /** {@code out (rows × keep) = x (rows × k, float) · b (k × k, float64)}, the first {@code keep} columns. */
    private static void multiplyThin(float[] x, int rows, int k, double[] b, int keep, double[] out) {
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < k; c++) {
                double xc = x[i * k + c];
                if (xc == 0) continue;
                int row = c * k;
                for (int j = 0; j < keep; j++) out[i * keep + j] += xc * b[row + j];
            }
        }
    }

    static long workingBytes(int m, int n, int k) {
        // y, q, zᵀ, w, Ω (float); the QR's float64 copy of the largest thin matrix, its Q and its own
        // Householder vectors; U and V handed back (float64, at most k columns)
        long big = Math.max(m, n);
        return ((long) m * k * 2 + (long) n * k * 3) * Float.BYTES + big * k * Double.BYTES * 3
                + (long) (m + n) * k * Double.BYTES
                + (long) blockRows(n) * n * Float.BYTES;
    }

    /** Rows per block: about {@link #BLOCK_FLOATS} floats, a multiple of four (the kernels' row step), at least four. */
    static int blockRows(int n) {
        return Math.max(4, (BLOCK_FLOATS / Math.max(1, n)) & ~3);
    }

    /** {@code out = M·thin}; returns {@code ‖M‖²_F} when asked to (the first pass), else 0. */
    private double multiply(RowSource a, float[] thin, int k, float[] out, boolean norm) {
        int m = a.rows(), n = a.cols(), step = blockRows(n);
        Arrays.fill(out, 0, m * k, 0f);
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

    /** {@code outT = (Mᵀ·q)ᵀ}, {@code k × n}. */
    private void multiplyTransposed(RowSource a, float[] q, int k, float[] outT) {
        int m = a.rows(), n = a.cols(), step = blockRows(n);
        Arrays.fill(outT, 0, k * n, 0f);
        for (int first = 0; first < m; first += step) {
            int count = Math.min(step, m - first);
            a.read(first, count, tile);
            kernels.transposedMultiplyAdd(tile, 0, count, n, q, first * k, k, outT);
        }
    }

    /**
     * An orthonormal basis of the columns of the {@code rows × k} matrix {@code x}, into {@code out}
     * (Householder QR in float64, which stays orthonormal when the columns are dependent, as for a matrix of
     * rank below k).
     */
    private void orthonormal(float[] x, int rows, int k, float[] out) {
        qrIn.reshape(rows, k);
        for (int i = 0; i < rows * k; i++) qrIn.data[i] = x[i];
        // false only flags a singular R (a column already in the span of the previous ones): its reflector is
        // then the identity and Q is still orthonormal, which is all that is used here
        qr.decompose(qrIn);
        qrOut.reshape(rows, k);
        qr.getQ(qrOut, true);
        for (int i = 0; i < rows * k; i++) out[i] = (float) qrOut.data[i];
    }

    private static void transpose(float[] src, int rows, int cols, float[] dst) {
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) dst[j * rows + i] = src[i * cols + j];
    }

    private static float[] grow(float[] a, int n) { return a.length >= n ? a : new float[n]; }

    /** The test matrix Ω: i.i.d. standard normal entries drawn from {@code seed}. */
    private static void gaussian(float[] g, int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) g[i] = (float) r.nextGaussian();
    }
}
