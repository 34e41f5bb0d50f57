package dev.jmerge.lora;

import dev.jmerge.io.TensorInfo;
import dev.jmerge.io.ValueDelta;
import dev.jmerge.kernels.Kernels;
import java.lang.foreign.MemorySegment;

/** What an adapter does to one base tensor ({@link LoraSource} presents the patched tensors). */
sealed interface LoraPatch {

    /** modules_to_save: the adapter carries the whole tensor (named as in the adapter file), which replaces the base one. */
    record Replace(TensorInfo info, MemorySegment data) implements LoraPatch {}

    /** A change added to the base values as they are read. */
    sealed interface Delta extends LoraPatch, ValueDelta permits LowRank, Bias {}

    /**
     * PEFT's {@code lora_bias}: {@code lora_B}'s bias, scaled like the low-rank term, added to the base layer's
     * bias ({@code b' = b + scale·lora_B.bias}); extract-lora writes the fine-tune's bias change this way.
     */
    record Bias(TensorInfo info, MemorySegment data, double scale) implements Delta {

        @Override
        public void addTo(Kernels k, long flat, float[] dst, int dstOff, int len) {
            float[] d = new float[len];
            k.toFloat(data, flat * info.dtype().byteSize(), info.dtype(), d, 0, len);
            for (int i = 0; i < len; i++) dst[dstOff + i] = (float) (dst[dstOff + i] + scale * d[i]);
        }
    }

    /**
     * {@code W' = W + scale·B·A} (or its transpose for fan_in_fan_out layers and embeddings), added to each element
     * range as it is read: per row, B's row times A's columns with float64 accumulation, r multiply-adds per element.
     *
     * @param transposed the delta is {@code (B·A)ᵀ}: A is {@code [r, rows]} and B is {@code [cols, r]}
     */
    record LowRank(TensorInfo a, MemorySegment aData, TensorInfo b, MemorySegment bData, int rank, double scale,
                   boolean transposed, long rows, long cols) implements Delta {

        @Override
        public void addTo(Kernels k, long flat, float[] dst, int dstOff, int len) {
            int done = 0;
            while (done < len) {
                long e = flat + done;
                long row = e / cols, col = e % cols;
                int n = (int) Math.min(len - done, cols - col);
                if (transposed) addTransposedRun(k, row, col, dst, dstOff + done, n);
                else addRun(k, row, col, dst, dstOff + done, n);
                done += n;
            }
        }

        private void addRun(Kernels k, long row, long col, float[] dst, int off, int n) {
            float[] bRow = new float[rank];
            k.toFloat(bData, row * rank * b.dtype().byteSize(), b.dtype(), bRow, 0, rank);
            double[] acc = new double[n];
            float[] aRun = new float[n];
            for (int r = 0; r < rank; r++) {
                k.toFloat(aData, (r * cols + col) * a.dtype().byteSize(), a.dtype(), aRun, 0, n);
                double bv = bRow[r];
                for (int c = 0; c < n; c++) acc[c] += bv * aRun[c];
            }
            for (int c = 0; c < n; c++) dst[off + c] = (float) (dst[off + c] + scale * acc[c]);
        }

        private void addTransposedRun(Kernels k, long row, long col, float[] dst, int off, int n) {
            double[] aCol = new double[rank];
            float[] one = new float[1];
            for (int r = 0; r < rank; r++) {
                k.toFloat(aData, (r * rows + row) * a.dtype().byteSize(), a.dtype(), one, 0, 1);
                aCol[r] = one[0];
            }
            float[] bRows = new float[n * rank];
            k.toFloat(bData, col * rank * b.dtype().byteSize(), b.dtype(), bRows, 0, n * rank);
            for (int c = 0; c < n; c++) {
                double acc = 0;
                for (int r = 0; r < rank; r++) acc += bRows[c * rank + r] * aCol[r];
                dst[off + c] = (float) (dst[off + c] + scale * acc);
            }
        }
    }
}
