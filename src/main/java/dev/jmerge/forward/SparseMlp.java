package dev.jmerge.forward;

import dev.jmerge.kernels.Kernels;

/**
 * The mixture-of-experts MLP of Mixtral and Qwen3-MoE, as transformers computes it: per token, the router's
 * logits over the experts, their softmax (float32), the {@code topK} highest (ties to the lower index, as
 * {@code torch.topk} on CPU), those weights renormalised to sum to 1 when the model says so, and the weighted sum
 * of the chosen experts' SwiGLU MLPs, accumulated expert by expert in index order. The rows routed to one expert
 * are gathered and run through it together.
 */
final class SparseMlp {

    private final Linear router;
    private final Mlp[] experts;
    private final int topK;
    private final boolean normTopK;

    SparseMlp(Linear router, Mlp[] experts, int topK, boolean normTopK) {
        this.router = router;
        this.experts = experts.clone();
        this.topK = topK;
        this.normTopK = normTopK;
    }

    /**
     * {@code x[r] += Σ_e w[r][e] · expert_e(xn[r])} over each row's chosen experts, for rows
     * {@code first <= r < first + rows} of the {@code h}-wide arrays.
     */
    void apply(Kernels k, Parallel par, float[] xn, int first, int rows, int h, float[] x) {
        int n = experts.length;
        float[] rowsIn = new float[rows * h];
        System.arraycopy(xn, first * h, rowsIn, 0, rows * h);
        float[] logits = new float[rows * n];
        router.apply(k, par, rowsIn, rows, logits);
        int[] chosen = new int[rows * topK];
        float[] weight = new float[rows * topK];
        for (int r = 0; r < rows; r++) route(logits, r * n, n, chosen, weight, r * topK);
        float[] acc = new float[rows * h];
        int[] members = new int[rows];
        float[] memberWeight = new float[rows];
        for (int e = 0; e < n; e++) {
            int m = 0;
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < topK; j++) {
                    if (chosen[r * topK + j] == e) {
                        members[m] = r;
                        memberWeight[m++] = weight[r * topK + j];
                    }
                }
            }
            if (m == 0) continue;
            Mlp ex = experts[e];
            int inter = ex.intermediate();
            float[] in = new float[m * h], g = new float[m * inter], u = new float[m * inter], y = new float[m * h];
            for (int i = 0; i < m; i++) System.arraycopy(rowsIn, members[i] * h, in, i * h, h);
            ex.apply(k, par, in, m, g, u, y);
            for (int i = 0; i < m; i++) {
                int o = members[i] * h;
                float w = memberWeight[i];
                for (int c = 0; c < h; c++) acc[o + c] += y[i * h + c] * w;
            }
        }
        for (int i = 0; i < acc.length; i++) x[first * h + i] += acc[i];
    }

    /** The top-k experts of one row's logits and their weights (softmax, then renormalised when asked). */
    void route(float[] logits, int off, int n, int[] chosen, float[] weight, int out) {
        float max = Float.NEGATIVE_INFINITY;
        for (int e = 0; e < n; e++) max = Math.max(max, logits[off + e]);
        float[] p = new float[n];
        double sum = 0;
        for (int e = 0; e < n; e++) {
            p[e] = (float) Math.exp(logits[off + e] - max);
            sum += p[e];
        }
        for (int e = 0; e < n; e++) p[e] = (float) (p[e] / sum);
        boolean[] taken = new boolean[n];
        float total = 0;
        for (int j = 0; j < topK; j++) {
            int best = -1;
            for (int e = 0; e < n; e++) if (!taken[e] && (best < 0 || p[e] > p[best])) best = e;
            taken[best] = true;
            chosen[out + j] = best;
            weight[out + j] = p[best];
            total += p[best];
        }
        if (normTopK) for (int j = 0; j < topK; j++) weight[out + j] /= total;
    }
}
