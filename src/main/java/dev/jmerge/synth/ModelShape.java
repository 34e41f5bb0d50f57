package dev.jmerge.synth;

import dev.jmerge.tensor.DType;

/**
 * The size of a synthetic llama-architecture model.
 *
 * @param tied whether lm_head is tied to the embedding (then no lm_head tensor is stored)
 */
public record ModelShape(int hidden, int intermediate, int layers, int heads, int kvHeads, int vocab, boolean tied,
                         DType dtype) {

    /** The examples shipped in the repository: a few hundred KB for four models. */
    public static ModelShape tiny(DType dtype) {
        return new ModelShape(32, 96, 2, 4, 2, 256, false, dtype);
    }

    /** The benchmark default: about 1 GB per model in bf16. */
    public static ModelShape bench() {
        return new ModelShape(2048, 5632, 8, 16, 16, 32000, false, DType.BF16);
    }

    public int headDim() { return hidden / heads; }

    public ModelShape withLayers(int n) {
        return new ModelShape(hidden, intermediate, n, heads, kvHeads, vocab, tied, dtype);
    }

    public ModelShape withDtype(DType d) {
        return new ModelShape(hidden, intermediate, layers, heads, kvHeads, vocab, tied, d);
    }

    public ModelShape withTied(boolean t) {
        return new ModelShape(hidden, intermediate, layers, heads, kvHeads, vocab, t, dtype);
    }
}
