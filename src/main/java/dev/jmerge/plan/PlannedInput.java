package dev.jmerge.plan;

import dev.jmerge.io.TensorInfo;
import dev.jmerge.lora.LoraPatch;

/**
 * One input of an output tensor: which model, which of its tensors (name as stored) and its header entry.
 *
 * @param gather for an embedding under a merged vocabulary, how its rows map to output rows; else null
 * @param lora the LoRA patch applied while reading it; else null
 */
public record PlannedInput(int model, String tensorName, TensorInfo info, RowGather gather, LoraPatch lora) {

    public PlannedInput(int model, String tensorName, TensorInfo info) { this(model, tensorName, info, null, null); }

    public PlannedInput withGather(RowGather g) { return new PlannedInput(model, tensorName, info, g, lora); }
}
