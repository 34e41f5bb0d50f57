package dev.jmerge.forward;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Causal grouped-query attention over a {@link Batch}, one task per (sequence, head). Scores of a block of
 * queries against the keys it may see come from the matmul kernel (keys as a float32 "weight"), then masked
 * (causal, sliding window), soft-maxed and multiplied by the values, again with the kernel.
 */
final class Attention {

    /** Queries per block: bounds the score buffer to QUERY_BLOCK × keys floats per task. */
    private static final int QUERY_BLOCK = 128;

    private Attention() {}

    /**
     * @param window positions a query sees, itself included, or 0 for all earlier ones
     * @param out    {@code rows × heads·headDim}, written
     */
    static void run(Kernels k, Parallel par, Batch b, float[] q, float[] key, float[] val, int heads, int kvHeads,
                    int headDim, int window, float[] out) {
        int group = heads / kvHeads;
        int seqs = b.sequences();
        par.forEach(seqs * heads, task -> {
            int s = task / heads, h = task % heads;
            int r0 = b.starts()[s], len = b.starts()[s + 1] - r0;
            if (len == 0) return;
            head(k, r0, len, q, key, val, heads, kvHeads, headDim, h, h / group, window, out);
        });
    }

    private static void head(Kernels k, int r0, int len, float[] q, float[] key, float[] val, int heads, int kvHeads,
                             int d, int h, int kvh, int window, float[] out) {
        int qStride = heads * d, kvStride = kvHeads * d;
        float[] kh = new float[len * d], vh = new float[len * d], qh = new float[len * d];
        for (int i = 0; i < len; i++) {
            System.arraycopy(q, (r0 + i) * qStride + h * d, qh, i * d, d);
            System.arraycopy(key, (r0 + i) * kvStride + kvh * d, kh, i * d, d);
            System.arraycopy(val, (r0 + i) * kvStride + kvh * d, vh, i * d, d);
        }
        MemorySegment keys = MemorySegment.ofArray(kh);
        float scale = (float) (1.0 / Math.sqrt(d));
        int qb = Math.min(QUERY_BLOCK, len);
        float[] scores = new float[qb * len];
        float[] vt = new float[d * len];
        float[] o = new float[qb * d];
        float[] qBlock = new float[qb * d];
        for (int i0 = 0; i0 < len; i0 += qb) {
            int i1 = Math.min(len, i0 + qb), nq = i1 - i0;
            int kStart = window > 0 ? Math.max(0, i0 - window + 1) : 0;
            int nk = i1 - kStart;
            System.arraycopy(qh, i0 * d, qBlock, 0, nq * d);
            k.matmul(qBlock, nq, d, keys, (long) kStart * d * Float.BYTES, DType.F32, nk, scores, 0, nk);
            for (int i = 0; i < nq; i++) softmaxRow(scores, i * nk, nk, kStart, i0 + i, window, scale);
            // Values transposed ([d, keys]) so that the product with the probabilities is the same kernel.
            for (int j = 0; j < nk; j++) {
                int src = (kStart + j) * d;
                for (int c = 0; c < d; c++) vt[c * nk + j] = vh[src + c];
            }
            k.matmul(scores, nq, nk, MemorySegment.ofArray(vt), 0, DType.F32, d, o, 0, d);
            for (int i = 0; i < nq; i++) System.arraycopy(o, i * d, out, (r0 + i0 + i) * qStride + h * d, d);
        }
    }

    /**
     * Row of scores for query {@code qi} against keys {@code kStart..kStart+nk-1}: those it may not see become 0,
     * the rest the softmax of {@code scale · score}.
     */
    private static void softmaxRow(float[] s, int off, int nk, int kStart, int qi, int window, float scale) {
        int lo = window > 0 ? Math.max(kStart, qi - window + 1) : kStart;
        int from = lo - kStart, to = qi - kStart + 1; // visible keys [from, to)
        float max = Float.NEGATIVE_INFINITY;
        for (int j = from; j < to; j++) max = Math.max(max, s[off + j] * scale);
        double sum = 0;
        for (int j = from; j < to; j++) {
            float e = (float) Math.exp(s[off + j] * scale - max);
            s[off + j] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int j = 0; j < from; j++) s[off + j] = 0f;
        for (int j = from; j < to; j++) s[off + j] *= inv;
        for (int j = to; j < nk; j++) s[off + j] = 0f;
    }
}
