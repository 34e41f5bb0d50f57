package dev.jmerge.moe;

import dev.jmerge.io.safetensors.TensorSpec;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.util.List;

/**
 * One tensor of the MoE output, decided before any data is read: its name, dtype and shape and where its values
 * come from.
 */
public record MoeTensor(String name, DType dtype, Shape shape, Source source) {

    public TensorSpec spec() { return new TensorSpec(name, dtype, shape); }

    public long numel() { return spec().numel(); }

    public long byteSize() { return spec().byteSize(); }

    /** Where the values come from. */
    public sealed interface Source {}

    /** Input tensors laid end to end: one for a copied tensor, two per expert in a fused {@code gate_up_proj}. */
    public record Pieces(List<Piece> pieces) implements Source {
        public Pieces {
            pieces = List.copyOf(pieces);
        }
    }

    /** Rows {@code [firstRow, firstRow + rows)} of layer {@code layer}'s gate matrix (routed experts, then shared). */
    public record Gate(int layer, int firstRow, int rows) implements Source {}

    /** All zeros: a q/k/v bias that Qwen2-MoE has and the base model lacks. */
    public record Zeros() implements Source {}

    /**
     * One input tensor placed in an output tensor.
     *
     * @param tensor    its name as the model stores it
     * @param offset    the output element it starts at
     * @param noise     standard deviation of the Gaussian noise added to it (the expert's noise_scale), or null
     * @param scale     factor it is multiplied by after the noise (the expert's residual_scale on down_proj), or null
     * @param stream    the name its noise draws are keyed by: the per-expert tensor name, whatever the layout
     */
    public record Piece(LoadedModel model, String tensor, long offset, long numel, DType dtype, Double noise,
                        Double scale, String stream) {

        /** Copied unchanged: no noise and no scale. */
        public boolean verbatim() { return noise == null && scale == null; }
    }

    @Override
    public String toString() { return name + shape + " " + dtype.torchName(); }
}
