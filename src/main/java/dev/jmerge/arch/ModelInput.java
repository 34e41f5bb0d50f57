package dev.jmerge.arch;

import java.util.Objects;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * What architecture resolution needs to know of one referenced model, before any tensor data is read.
 *
 * @param label       how errors name the model (its path or Hub id, as written in the merge config)
 * @param config      the model's parsed config.json
 * @param tensorNames every tensor name in its safetensors header(s); iteration order is not relied on
 */
public record ModelInput(String label, JsonNode config, Set<String> tensorNames) {

    public ModelInput {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(config, "config");
        tensorNames = Set.copyOf(tensorNames);
    }

    /** The config's {@code model_type}, or the empty string when it has none. */
    public String modelType() {
        JsonNode t = config.get("model_type");
        return t != null && t.isString() ? t.stringValue() : "";
    }
}
