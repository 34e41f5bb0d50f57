package dev.jmerge.forward;

/**
 * cos and sin of {@code position · inverse frequency} for the positions of one batch, applied the way
 * transformers does ({@code rotate_half}: dimension {@code i} pairs with {@code i + headDim/2}).
 */
final class Rotary {

    private final int half;
    private final int minPos;
    private final float[] cos;
    private final float[] sin;

    Rotary(RopeScaling rope, Batch b) {
        double[] inv = rope.inverseFrequencies(b.span());
        half = inv.length;
        int lo = Integer.MAX_VALUE, hi = 0;
        for (int p : b.positions()) {
            lo = Math.min(lo, p);
            hi = Math.max(hi, p);
        }
        minPos = b.rows() == 0 ? 0 : lo;
        int n = b.rows() == 0 ? 0 : hi - lo + 1;
        cos = new float[n * half];
        sin = new float[n * half];
        for (int p = 0; p < n; p++) {
            for (int i = 0; i < half; i++) {
                double angle = (double) (p + minPos) * inv[i];
                cos[p * half + i] = (float) (Math.cos(angle) * rope.attentionFactor());
                sin[p * half + i] = (float) (Math.sin(angle) * rope.attentionFactor());
            }
        }
    }

    /** Rotates every head of every row of {@code x} ({@code rows × heads·2·half}) in place. */
    void apply(float[] x, Batch b, int heads) {
        int d = 2 * half;
        for (int r = 0; r < b.rows(); r++) {
            int t = (b.positions()[r] - minPos) * half;
            for (int h = 0; h < heads; h++) {
                int o = (r * heads + h) * d;
                for (int i = 0; i < half; i++) {
                    float x1 = x[o + i], x2 = x[o + i + half], c = cos[t + i], s = sin[t + i];
                    x[o + i] = x1 * c - x2 * s;
                    x[o + i + half] = x2 * c + x1 * s;
                }
            }
        }
    }
}
