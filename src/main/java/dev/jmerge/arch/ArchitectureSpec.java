package dev.jmerge.arch;

import dev.jmerge.error.ConfigException;
import java.util.List;
import java.util.Objects;
import tools.jackson.databind.JsonNode;

/**
 * What jmerge knows of one model architecture: the tensors before the repeated layers, the per-layer tensor
 * templates, the tensors after them, and where its config.json keeps the layer count and vocabulary size.
 *
 * @param id             the definition's name (resource file stem, or {@code "inferred"})
 * @param modelType      the config.json {@code model_type} the definition was written for
 * @param architectures  config.json {@code architectures} class names it covers
 * @param preWeights     embeddings and whatever precedes layer 0 (names may use {@code ${num_layers}})
 * @param layerTemplates per-layer weights whose names contain {@code ${layer_index}} (or its ±1 forms)
 * @param postWeights    final norm, output head and whatever follows the last layer
 * @param numLayersKey   dotted config key holding the layer count; null when the count is fixed
 * @param vocabSizeKey   dotted config key holding the vocabulary size
 * @param fixedNumLayers layer count taken from tensor names instead of the config, or null
 * @param inferred       built from tensor names because some model had no definition (compat §3.3)
 */
public record ArchitectureSpec(String id, String modelType, List<String> architectures,
                               List<WeightSpec> preWeights, List<WeightSpec> layerTemplates,
                               List<WeightSpec> postWeights, String numLayersKey, String vocabSizeKey,
                               Integer fixedNumLayers, boolean inferred) {

    public ArchitectureSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(modelType, "modelType");
        Objects.requireNonNull(vocabSizeKey, "vocabSizeKey");
        architectures = List.copyOf(architectures);
        preWeights = List.copyOf(preWeights);
        layerTemplates = List.copyOf(layerTemplates);
        postWeights = List.copyOf(postWeights);
        if ((numLayersKey == null) == (fixedNumLayers == null)) {
            throw new IllegalArgumentException(id + ": exactly one of numLayersKey and fixedNumLayers must be set");
        }
    }

    /** Pre-weights with {@code ${num_layers}} resolved. */
    public List<WeightSpec> preWeights(int numLayers) {
        return substituted(preWeights, NameTemplate.NO_LAYER, numLayers);
    }

    /** The concrete weights of layer {@code layerIndex} in a model of {@code numLayers} layers. */
    public List<WeightSpec> layerWeights(int layerIndex, int numLayers) {
        if (layerIndex < 0) throw new IllegalArgumentException("negative layer index " + layerIndex);
        return substituted(layerTemplates, layerIndex, numLayers);
    }

    /** Post-weights with {@code ${num_layers}} resolved. */
    public List<WeightSpec> postWeights(int numLayers) {
        return substituted(postWeights, NameTemplate.NO_LAYER, numLayers);
    }

    /** The layer count of a model with this config.json. */
    public int numLayers(JsonNode config) {
        return numLayers(config, "config.json");
    }

    /**
     * The layer count of a model with this config.json; {@code source} names the file in the error
     * (e.g. {@code "models/foo/config.json"}).
     */
    public int numLayers(JsonNode config, String source) {
        if (fixedNumLayers != null) return fixedNumLayers;
        int n = ConfigPath.findInt(config, numLayersKey).orElseThrow(() -> new ConfigException(
                source + " has no integer '" + numLayersKey + "' (layer count of architecture " + id + ")"));
        if (n < 0) throw new ConfigException(source + ": '" + numLayersKey + "' is negative (" + n + ")");
        return n;
    }

    private static List<WeightSpec> substituted(List<WeightSpec> weights, int layerIndex, int numLayers) {
        return weights.stream()
                .map(w -> w.mapNames(s -> NameTemplate.substitute(s, layerIndex, numLayers)))
                .toList();
    }
}
