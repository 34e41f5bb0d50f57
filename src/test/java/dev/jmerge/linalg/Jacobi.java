package dev.jmerge.linalg;

import java.util.Arrays;

/**
 * Test-only float64 reference: singular values of a matrix from the eigenvalues of its Gram matrix, by the
 * cyclic Jacobi method (no library, independent of the code under test).
 */
public final class Jacobi {

    private Jacobi() {}

    /** Singular values of the {@code m × n} row-major matrix, descending. */
    public static double[] singularValues(double[] a, int m, int n) {
        boolean tall = m >= n;
        int d = tall ? n : m;
        double[] g = new double[d * d]; // MᵀM (tall) or MMᵀ (wide): same non-zero eigenvalues
        for (int i = 0; i < d; i++) {
            for (int j = i; j < d; j++) {
                double s = 0;
                if (tall) for (int r = 0; r < m; r++) s += a[r * n + i] * a[r * n + j];
                else for (int c = 0; c < n; c++) s += a[i * n + c] * a[j * n + c];
                g[i * d + j] = s;
                g[j * d + i] = s;
            }
        }
        double[] ev = eigenvalues(g, d);
        double[] sv = new double[d];
        for (int i = 0; i < d; i++) sv[i] = Math.sqrt(Math.max(0, ev[d - 1 - i]));
        return sv;
    }

    /** Eigenvalues of a symmetric matrix, ascending (the matrix is overwritten). */
    static double[] eigenvalues(double[] g, int d) {
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < d; p++) for (int q = p + 1; q < d; q++) off += g[p * d + q] * g[p * d + q];
            if (off < 1e-30) break;
            for (int p = 0; p < d; p++) {
                for (int q = p + 1; q < d; q++) {
                    double apq = g[p * d + q];
                    if (Math.abs(apq) < 1e-300) continue;
                    double theta = (g[q * d + q] - g[p * d + p]) / (2 * apq);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < d; k++) { // rotate columns p, q
                        double gkp = g[k * d + p], gkq = g[k * d + q];
                        g[k * d + p] = c * gkp - s * gkq;
                        g[k * d + q] = s * gkp + c * gkq;
                    }
                    for (int k = 0; k < d; k++) { // rotate rows p, q
                        double gpk = g[p * d + k], gqk = g[q * d + k];
                        g[p * d + k] = c * gpk - s * gqk;
                        g[q * d + k] = s * gpk + c * gqk;
                    }
                }
            }
        }
        double[] ev = new double[d];
        for (int i = 0; i < d; i++) ev[i] = g[i * d + i];
        Arrays.sort(ev);
        return ev;
    }

    /** {@code ‖M − M_r‖_F} for the best rank-r approximation M_r (Eckart–Young): the tail of the spectrum. */
    public static double optimalError(double[] sv, int r) {
        double s = 0;
        for (int i = r; i < sv.length; i++) s += sv[i] * sv[i];
        return Math.sqrt(s);
    }
}
