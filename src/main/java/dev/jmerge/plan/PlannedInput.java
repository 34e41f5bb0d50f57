package dev.jmerge.plan;

import dev.jmerge.io.safetensors.TensorInfo;
import dev.jmerge.lora.LoraPatch;

/**
 * One input of an output tensor: which model, which of its tensors (name as stored), its header entry, and
 * the LoRA patch applied while reading it (null when none).
 */
public record PlannedInput(int model, String tensorName, TensorInfo info, LoraPatch lora) {

    public PlannedInput(int model, String tensorName, TensorInfo info) { this(model, tensorName, info, null); }
}
