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

        DMatrixRMaj z = new DMatrixRMaj(n, k);
        for (int c = 0; c < n; c++) for (int j = 0; j < k; j++) z.data[c * k + j] = zt[j * n + c];
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(n, k, true, true, true);
        if (!svd.decompose(z)) throw new ArithmeticException("the SVD of the " + n + "×" + k + " sketch did not converge");
        DMatrixRMaj uz = svd.getU(null, false);   // n × k
        DMatrixRMaj sigma = svd.getW(null);       // k × k
        DMatrixRMaj vz = svd.getV(null, false);   // k × k
        SingularOps_DDRM.descendingOrder(uz, false, sigma, vz, false);

        double[] s = new double[rank];
        for (int i = 0; i < rank; i++) s[i] = sigma.get(i, i);
        double[] u = new double[m * rank];        // U = Q·V_z, first rank columns
        for (int i = 0; i < m; i++) {
            for (int c = 0; c < k; c++) {
                double qc = q[i * k + c];
                if (qc == 0) continue;
                int vr = c * k;
                for (int j = 0; j < rank; j++) u[i * rank + j] += qc * vz.data[vr + j];
            }
        }
        double[] v = new double[n * rank];
        for (int c = 0; c < n; c++) System.arraycopy(uz.data, c * k, v, c * rank, rank);
        return new Factorization(m, n, s, u, v, normSquared);
    }

    static long workingBytes(int m, int n, int k) {
        // y, q, zᵀ, w, Ω (float); the QR's float64 copy of the largest thin matrix and its Q; the sketch's SVD
        // (Z and U_z, n × k float64); U and V handed back (float64, at most k columns)
        long big = Math.max(m, n);
        return ((long) m * k * 2 + (long) n * k * 3) * Float.BYTES + big * k * Double.BYTES * 2
                + (long) n * k * Double.BYTES * 2 + (long) (m + n) * k * Double.BYTES
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
