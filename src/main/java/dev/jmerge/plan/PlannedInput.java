package dev.jmerge.plan;

import dev.jmerge.io.TensorInfo;

/**
 * One input of an output tensor: which model, which of its tensors (name as stored) and its header entry, as the
 * model's {@link dev.jmerge.io.TensorSource} presents it.
 *
 * @param gather for an embedding under a merged vocabulary, how its rows map to output rows; else null
 */
public record PlannedInput(int model, String tensorName, TensorInfo info, RowGather gather) {

    public PlannedInput(int model, String tensorName, TensorInfo info) { this(model, tensorName, info, null); }

    public PlannedInput withGather(RowGather g) { return new PlannedInput(model, tensorName, info, g); }
}
