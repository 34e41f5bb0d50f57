package dev.jmerge.plan;

import dev.jmerge.config.ModelReference;
import dev.jmerge.io.TensorInfo;
import dev.jmerge.io.TensorSource;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;

/**
 * A referenced model once located: its folder, config.json and tensors (headers only, no tensor data read), as
 * reads present them (with its {@code +lora} adapter applied, when it has one).
 */
public record LoadedModel(int index, ModelReference ref, Path folder, JsonNode config, TensorSource weights) {

    /** How messages name this model: the reference as the config wrote it. */
    public String label() { return ref.toString(); }

    /** The tensor as the merge sees it. */
    public TensorInfo info(String name) { return weights.info(name); }

    /** Unmaps the weights (and the adapter). */
    public void close() { weights.close(); }
}
