package dev.jmerge.linalg;

/**
 * A truncated singular value decomposition {@code M ≈ U·diag(s)·Vᵀ} of a {@code rows × cols} matrix.
 *
 * @param s           singular values, descending
 * @param u           left singular vectors, {@code rows × rank}, row-major
 * @param v           right singular vectors, {@code cols × rank}, row-major
 * @param normSquared {@code ‖M‖²_F}, so that the error of the rank-{@code r} truncation,
 *                    {@code ‖M‖²_F − Σ_{i<r} s_i²}, is known without another pass over M
 */
public record Factorization(int rows, int cols, double[] s, double[] u, double[] v, double normSquared) {

    public int rank() { return s.length; }

    /** {@code ‖M − U_r·diag(s_r)·V_rᵀ‖_F} for this factorisation's rank, from the norms (never negative). */
    public double residualNorm() {
        double kept = 0;
        for (double x : s) kept += x * x;
        return Math.sqrt(Math.max(0, normSquared - kept));
    }
}
