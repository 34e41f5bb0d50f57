package dev.jmerge.plan;

import dev.jmerge.io.safetensors.TensorInfo;

/** One input of an output tensor: which model, which of its tensors (name as stored) and its header entry. */
public record PlannedInput(int model, String tensorName, TensorInfo info) {}
