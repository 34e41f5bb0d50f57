package dev.jmerge.plan;

import dev.jmerge.config.ModelReference;
import dev.jmerge.io.safetensors.ModelWeights;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;

/** A referenced model once located: its folder, config.json and weight headers (no tensor data read). */
public record LoadedModel(int index, ModelReference ref, Path folder, JsonNode config, ModelWeights weights) {

    /** How messages name this model: the reference as the config wrote it. */
    public String label() { return ref.toString(); }
}
