package dev.jmerge.forward;

import java.util.List;

/**
 * Hidden states for mixture-of-experts gates (mergekit-moe's {@code hidden}, {@code hidden_last},
 * {@code hidden_avg}): for each layer, the residual stream entering it (layer 0: the token embeddings; the last
 * layer's output is not included), pooled per sequence.
 *
 * <p>Input is a batch as a tokenizer pads it on the left: {@code ids[b][t]} with {@code mask[b][t]} 1 for real
 * tokens and 0 for padding, padding first. As in transformers called without position ids, a real token's
 * position is its column, and padding is never attended to; since rotary attention depends only on position
 * differences, each sequence's states equal those of the sequence run alone (up to float rounding). Padded
 * positions themselves are not computed (transformers computes values for them that depend on the attention
 * implementation); pooling uses real tokens only.
 */
public final class HiddenStates {

    /** How a sequence's states over its positions become one vector. */
    public enum Pooling {
        /** The last position (with left padding, always a real token). */
        LAST,
        /** The mean over the real tokens. */
        MEAN
    }

    /** A left-padded batch with its attention mask. */
    public record Padded(int[][] ids, int[][] mask) {}

    private HiddenStates() {}

    /** Left-pads {@code sequences} to the longest with {@code padId}, as a tokenizer with padding_side=left does. */
    public static Padded leftPad(List<int[]> sequences, int padId) {
        int t = 0;
        for (int[] s : sequences) t = Math.max(t, s.length);
        int[][] ids = new int[sequences.size()][t], mask = new int[sequences.size()][t];
        for (int b = 0; b < sequences.size(); b++) {
            int[] s = sequences.get(b);
            int pad = t - s.length;
            for (int i = 0; i < t; i++) {
                ids[b][i] = i < pad ? padId : s[i - pad];
                mask[b][i] = i < pad ? 0 : 1;
            }
        }
        return new Padded(ids, mask);
    }

    static float[][][] compute(Transformer model, int[][] ids, int[][] mask, Pooling pooling) {
        int seqs = ids.length;
        int width = seqs == 0 ? 0 : ids[0].length;
        int total = 0;
        int[] first = new int[seqs];
        for (int b = 0; b < seqs; b++) {
            if (ids[b].length != width || mask[b].length != width) {
                throw new IllegalArgumentException("row " + b + " of the batch is not " + width + " long");
            }
            int f = 0;
            while (f < width && mask[b][f] == 0) f++;
            if (f == width) throw new IllegalArgumentException("row " + b + " of the batch has no real token");
            for (int i = f; i < width; i++) {
                if (mask[b][i] != 1) {
                    throw new IllegalArgumentException("row " + b + " is not left-padded: mask " + mask[b][i] + " at column " + i
                            + " after a real token");
                }
            }
            for (int i = 0; i < f; i++) {
                if (mask[b][i] != 0) throw new IllegalArgumentException("row " + b + ": mask values must be 0 or 1");
            }
            first[b] = f;
            total += width - f;
        }
        int[] tokens = new int[total], pos = new int[total], starts = new int[seqs + 1];
        int r = 0;
        for (int b = 0; b < seqs; b++) {
            starts[b] = r;
            for (int i = first[b]; i < width; i++, r++) {
                tokens[r] = ids[b][i];
                pos[r] = i;
            }
        }
        starts[seqs] = r;
        Batch batch = new Batch(tokens, pos, starts);
        int layers = model.config().layers(), h = model.config().hidden();
        float[][][] out = new float[layers][seqs][h];
        model.run(batch, (layer, x, bt) -> {
            for (int b = 0; b < seqs; b++) {
                int s0 = bt.starts()[b], s1 = bt.starts()[b + 1];
                float[] dst = out[layer][b];
                if (pooling == Pooling.LAST) {
                    System.arraycopy(x, (s1 - 1) * h, dst, 0, h);
                } else {
                    for (int i = 0; i < h; i++) {
                        double s = 0;
                        for (int row = s0; row < s1; row++) s += x[row * h + i];
                        dst[i] = (float) (s / (s1 - s0));
                    }
                }
            }
        });
        return out;
    }
}
