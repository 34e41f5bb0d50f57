package dev.jmerge.extract;

import dev.jmerge.linalg.Factorization;

/**
 * PEFT's A and B from a truncated SVD {@code Δ ≈ U·S·Vᵀ} of a module's weight change, mergekit's way:
 * with {@code distributeScale}, {@code A = √S·Vᵀ} and {@code B = U·√S} (so the i-th row of A and the i-th
 * column of B have the same norm, √s_i); without, {@code A = S·Vᵀ} and {@code B = U}. An embedding's change is
 * decomposed transposed ({@code Δᵀ = V·S·Uᵀ}), so there A takes U and B takes V.
 *
 * @param a {@code rank × in} row-major ({@code rank × vocab} for an embedding)
 * @param b {@code out × rank} row-major ({@code dim × rank} for an embedding)
 */
record LoraFactors(int rank, int aCols, int bRows, float[] a, float[] b) {

    /**
     * @param svEpsilon singular values at or below it are dropped (0 keeps the factorisation's rank)
     */
    static LoraFactors of(Factorization f, boolean transposed, boolean distributeScale, double svEpsilon) {
        int r = f.rank();
        if (svEpsilon > 0) {
            int above = 0;
            while (above < r && f.s()[above] > svEpsilon) above++;
            r = above;
        }
        int full = f.rank();
        // Δᵀ swaps the roles of U and V
        double[] left = transposed ? f.v() : f.u();
        double[] right = transposed ? f.u() : f.v();
        int outRows = transposed ? f.cols() : f.rows();
        int inCols = transposed ? f.rows() : f.cols();
        float[] a = new float[r * inCols];
        float[] b = new float[outRows * r];
        for (int i = 0; i < r; i++) {
            double s = f.s()[i];
            double sa = distributeScale ? Math.sqrt(s) : s;
            double sb = distributeScale ? Math.sqrt(s) : 1;
            for (int c = 0; c < inCols; c++) a[i * inCols + c] = (float) (sa * right[c * full + i]);
            for (int row = 0; row < outRows; row++) b[row * r + i] = (float) (left[row * full + i] * sb);
        }
        return new LoraFactors(r, inCols, outRows, a, b);
    }
}
