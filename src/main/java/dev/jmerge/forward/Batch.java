package dev.jmerge.forward;

/**
 * The rows one forward pass computes: several sequences laid end to end, each with the position ids of its
 * tokens (consecutive within a sequence). A row attends only to earlier rows of its own sequence, so padding
 * never needs computing: a left-padded batch is its real tokens with the positions their columns had.
 *
 * @param starts row where each sequence starts, plus the total row count at the end
 */
record Batch(int[] tokens, int[] positions, int[] starts) {

    Batch {
        if (tokens.length != positions.length || starts.length == 0 || starts[0] != 0
                || starts[starts.length - 1] != tokens.length) {
            throw new IllegalArgumentException("inconsistent batch layout");
        }
        for (int s = 0; s + 1 < starts.length; s++) {
            if (starts[s + 1] < starts[s]) throw new IllegalArgumentException("sequence starts must not decrease");
            for (int r = starts[s] + 1; r < starts[s + 1]; r++) {
                if (positions[r] != positions[r - 1] + 1) {
                    throw new IllegalArgumentException("positions must be consecutive within a sequence");
                }
            }
        }
    }

    /** One sequence at positions 0..n-1. */
    static Batch of(int[] tokens) {
        int[] pos = new int[tokens.length];
        for (int i = 0; i < pos.length; i++) pos[i] = i;
        return new Batch(tokens.clone(), pos, new int[] {0, tokens.length});
    }

    int rows() { return tokens.length; }

    int sequences() { return starts.length - 1; }

    /** The largest position id + 1: the sequence length dynamic rotary scaling sees. */
    int span() {
        int m = 0;
        for (int p : positions) m = Math.max(m, p + 1);
        return m;
    }
}
