package dev.jmerge.plan;

import dev.jmerge.io.safetensors.TensorSpec;
import dev.jmerge.methods.MergeMethod;
import dev.jmerge.methods.Params;
import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.util.List;

/**
 * One output tensor, fully decided: its inputs, method, parameters resolved for it, output shape and dtype.
 *
 * @param shape output shape (inputs larger than it along a vocabulary axis are read as its top-left part)
 * @param loadDtype dtype inputs are rounded to when read ({@code dtype:} of the config), or null
 * @param baseIndex index of the base model in {@code inputs}, or -1
 * @param perModel per-model parameters, parallel to {@code inputs}
 */
public record PlannedTensor(String name, Shape shape, DType outDtype, DType loadDtype, MergeMethod method,
                            List<PlannedInput> inputs, int baseIndex, Params global, List<Params> perModel,
                            boolean isEmbed) {

    public long numel() { return shape.numel(); }

    public long outBytes() { return numel() * outDtype.byteSize(); }

    /** What the writer needs to lay the tensor out in a shard. */
    public TensorSpec spec() { return new TensorSpec(name, outDtype, shape); }

    @Override
    public String toString() { return name + shape + " " + outDtype; }
}
