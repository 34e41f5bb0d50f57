package dev.jmerge.forward;

import dev.jmerge.kernels.Kernels;

/**
 * Next-token negative log-likelihood from the final hidden states without holding all logits: the output head
 * is applied to a slice of the vocabulary at a time, and each row keeps a running log-sum-exp (max and scaled
 * sum, in float64) and its target's logit.
 */
final class OutputLoss {

    private OutputLoss() {}

    /** @param targets per row, the id of the token it predicts, or -1 for a row that predicts nothing */
    static Transformer.Loss of(Kernels k, Parallel par, Linear head, float[] hn, int rows, int[] targets, int budget) {
        int vocab = head.out(), in = head.in();
        long predicted = 0;
        for (int t : targets) {
            if (t >= vocab) {
                throw new dev.jmerge.error.ConfigException("token id " + t + " is outside the output vocabulary (0.."
                        + (vocab - 1) + ")");
            }
            if (t >= 0) predicted++;
        }
        if (predicted == 0 || rows == 0) return new Transformer.Loss(0, 0);
        int cols = Math.max(64, Math.min(vocab, budget / rows / 64 * 64));
        float[] y = new float[rows * cols];
        double[] max = new double[rows], sum = new double[rows], target = new double[rows];
        java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
        long rowBytes = (long) in * head.dtype().byteSize();
        for (int v0 = 0; v0 < vocab; v0 += cols) {
            int n = Math.min(cols, vocab - v0);
            Linear slice = new Linear(head.name(), head.data().asSlice(v0 * rowBytes, n * rowBytes), head.dtype(), n, in, null);
            slice.apply(k, par, hn, rows, y);
            int first = v0;
            int blocks = Math.min(rows, par.threads() * 4);
            par.forEach(blocks, blk -> {
                for (int r = blk; r < rows; r += blocks) {
                    if (targets[r] < 0) continue;
                    int o = r * n;
                    double m = max[r];
                    for (int j = 0; j < n; j++) m = Math.max(m, y[o + j]);
                    double s = sum[r] * Math.exp(max[r] - m);
                    if (Double.isNaN(s)) s = 0; // first slice: 0 · exp(-inf - m)
                    for (int j = 0; j < n; j++) s += Math.exp(y[o + j] - m);
                    max[r] = m;
                    sum[r] = s;
                    int t = targets[r] - first;
                    if (t >= 0 && t < n) target[r] = y[o + t];
                }
            });
        }
        double nll = 0;
        for (int r = 0; r < rows; r++) {
            if (targets[r] >= 0) nll += max[r] + Math.log(sum[r]) - target[r];
        }
        return new Transformer.Loss(nll, predicted);
    }
}
