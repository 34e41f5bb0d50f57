package dev.jmerge.plan;

import dev.jmerge.config.ModelReference;
import dev.jmerge.io.ModelWeights;
import dev.jmerge.io.TensorInfo;
import dev.jmerge.lora.LoraAdapter;
import dev.jmerge.lora.LoraPatch;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;

/**
 * A referenced model once located: its folder, config.json and weight headers (no tensor data read), and the
 * LoRA adapter applied to it while reading ({@code model+lora}), or null.
 */
public record LoadedModel(int index, ModelReference ref, Path folder, JsonNode config, ModelWeights weights,
                          LoraAdapter adapter) {

    public LoadedModel(int index, ModelReference ref, Path folder, JsonNode config, ModelWeights weights) {
        this(index, ref, folder, config, weights, null);
    }

    /** How messages name this model: the reference as the config wrote it. */
    public String label() { return ref.toString(); }

    /** What the adapter does to tensor {@code name}, or null. */
    public LoraPatch patch(String name) {
        return adapter == null ? null : adapter.patch(name, weights.info(name));
    }

    /** The tensor as the merge sees it: the adapter's own copy for modules_to_save, else the base header. */
    public TensorInfo info(String name) {
        return patch(name) instanceof LoraPatch.Replace r ? r.info() : weights.info(name);
    }

    /** Unmaps the weights and the adapter. */
    public void close() {
        weights.close();
        if (adapter != null) adapter.close();
    }
}
