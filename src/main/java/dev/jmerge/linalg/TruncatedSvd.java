package dev.jmerge.linalg;

import dev.jmerge.kernels.MatrixKernels;

/**
 * The best rank-{@code r} approximation of a streamed matrix, as a truncated SVD: by a randomized range
 * finder ({@link RandomizedSvd}) when the sketch is well below the matrix's smaller side, else by the full
 * decomposition ({@link ExactSvd}), which {@link Options#exact} forces.
 */
public final class TruncatedSvd {

    /** Sketch widths are rounded up to this many columns: whole vectors for the matrix kernels at every width. */
    static final int SKETCH_STEP = 16;

    /**
     * @param exact          always decompose fully (mergekit's way; slow for large matrices)
     * @param oversampling   sketch columns beyond the rank asked for
     * @param powerIterations passes of {@code (MMᵀ)} applied to the sketch; each costs two passes over M
     * @param seed           seeds the Gaussian test matrix, so one matrix always gets the same factors
     */
    public record Options(boolean exact, int oversampling, int powerIterations, long seed) {

        public static final int OVERSAMPLING = 10;
        public static final int POWER_ITERATIONS = 2;

        public Options {
            if (oversampling < 0 || powerIterations < 0) throw new IllegalArgumentException("negative sketch setting");
        }

        public static Options of(boolean exact, long seed) {
            return new Options(exact, OVERSAMPLING, POWER_ITERATIONS, seed);
        }

        public Options withSeed(long s) { return new Options(exact, oversampling, powerIterations, s); }
    }

    /** Each thread's randomized SVD, whose buffers outlive one matrix. */
    private static final ThreadLocal<RandomizedSvd> WORKSPACE =
            ThreadLocal.withInitial(() -> new RandomizedSvd(MatrixKernels.get()));

    private TruncatedSvd() {}

    /** The singular triplets of {@code a} up to rank {@code min(rank, rows, cols)}, largest first. */
    public static Factorization compute(RowSource a, int rank, Options o) {
        int r = Math.min(rank, Math.min(a.rows(), a.cols()));
        if (r < 0) throw new IllegalArgumentException("negative rank " + rank);
        int k = sketchWidth(a.rows(), a.cols(), r, o);
        if (k == 0) return ExactSvd.compute(a, r);
        return WORKSPACE.get().compute(a, r, k, o.powerIterations(), o.seed());
    }

    /**
     * Columns of the randomized sketch for rank {@code r} of an {@code m × n} matrix, or 0 when the full
     * decomposition is used instead: when asked to, or when the sketch would be more than half the smaller
     * side (a sketch that wide saves little and the exact path is then as fast).
     */
    public static int sketchWidth(int m, int n, int r, Options o) {
        int small = Math.min(m, n);
        if (o.exact() || small == 0) return 0;
        int k = Math.ceilDiv(r + o.oversampling(), SKETCH_STEP) * SKETCH_STEP;
        return 2 * k > small ? 0 : k;
    }

    /** Rows of the blocks the source is asked for, for a matrix of {@code cols} columns. */
    public static int blockRows(int cols) { return RandomizedSvd.blockRows(cols); }

    /** Bytes held while factorising an {@code m × n} matrix at rank {@code r}, besides the source's own buffers. */
    public static long workingBytes(int m, int n, int r, Options o) {
        int k = sketchWidth(m, n, r, o);
        if (k == 0) return ExactSvd.workingBytes(m, n, r);
        return RandomizedSvd.workingBytes(m, n, k);
    }
}
