package dev.jmerge.arch;

import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * Dotted keys into a model's config.json ({@code text_config.num_hidden_layers}): multimodal configs nest the
 * text model's settings one object down, and architecture definitions name them this way.
 */
public final class ConfigPath {

    private ConfigPath() {}

    /** The node at {@code dottedKey}, or empty when any step is missing or null. */
    public static Optional<JsonNode> find(JsonNode config, String dottedKey) {
        JsonNode node = config;
        for (String part : dottedKey.split("\\.", -1)) {
            if (node == null || !node.isObject()) return Optional.empty();
            node = node.get(part);
        }
        return node == null || node.isNull() || node.isMissingNode() ? Optional.empty() : Optional.of(node);
    }

    /** The integer at {@code dottedKey}, or empty when it is missing or not an integer that fits an int. */
    public static Optional<Integer> findInt(JsonNode config, String dottedKey) {
        return find(config, dottedKey)
                .filter(n -> n.isIntegralNumber() && n.canConvertToInt())
                .map(JsonNode::intValue);
    }
}
