package dev.jmerge.forward;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * A weight matrix {@code [out, in]} read in place from its mapped file, with its bias (decoded, small) when the
 * checkpoint has one. {@link #apply} splits the output columns over the workers; each runs the kernel on its
 * own rows of the weight.
 */
record Linear(String name, MemorySegment data, DType dtype, int out, int in, float[] bias) {

    /** Columns per task: a multiple of every micro-kernel panel width. */
    private static final int GRAIN = 64;

    /** {@code y[r·out + j] = Σ_i x[r·in + i]·w[j][i] (+ bias[j])} for {@code r < rows}. */
    void apply(Kernels k, Parallel par, float[] x, int rows, float[] y) {
        int parts = Math.max(1, Math.min(par.threads() * 4, (out + GRAIN - 1) / GRAIN));
        int step = ((out + parts - 1) / parts + GRAIN - 1) / GRAIN * GRAIN;
        int tasks = (out + step - 1) / step;
        long rowBytes = (long) in * dtype.byteSize();
        par.forEach(tasks, t -> {
            int j0 = t * step, nj = Math.min(step, out - j0);
            k.matmul(x, rows, in, data, j0 * rowBytes, dtype, nj, y, j0, out);
        });
        if (bias != null) {
            for (int r = 0; r < rows; r++) {
                int o = r * out;
                for (int j = 0; j < out; j++) y[o + j] += bias[j];
            }
        }
    }
}
