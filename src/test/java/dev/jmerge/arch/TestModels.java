package dev.jmerge.arch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Fixtures: the tiny llama checkpoint mergekit's goldens were made from, and hand-written configs. */
final class TestModels {

    static final String LLAMA_BASE = "/mergekit-goldens/models/base-fp32";

    private TestModels() {}

    static JsonNode json(String text) {
        return JsonMapper.shared().readTree(text);
    }

    static JsonNode config(String folder) throws IOException {
        try (InputStream in = open(folder + "/config.json")) {
            return JsonMapper.shared().readTree(in);
        }
    }

    /** Tensor names from a safetensors header: 8-byte little-endian length, then that many bytes of JSON. */
    static Set<String> tensorNames(String folder) throws IOException {
        try (InputStream in = open(folder + "/model.safetensors")) {
            long length = ByteBuffer.wrap(in.readNBytes(8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
            JsonNode header = JsonMapper.shared().readTree(in.readNBytes(Math.toIntExact(length)));
            Set<String> names = new LinkedHashSet<>(header.propertyNames());
            names.remove("__metadata__");
            return names;
        }
    }

    static ModelInput model(String label, String configJson, Set<String> tensors) {
        return new ModelInput(label, json(configJson), tensors);
    }

    /**
     * Required weights (pre, every layer below {@code numLayers}, post) that {@code names} cannot supply under their
     * own name, an alias or a tied name, in definition order: what the planner finds missing, resolving each with
     * {@link WeightSpec#resolve} as it does.
     */
    static java.util.List<String> unresolved(ArchitectureSpec spec, int numLayers, Set<String> names) {
        java.util.List<WeightSpec> expected = new java.util.ArrayList<>(spec.preWeights(numLayers));
        for (int layer = 0; layer < numLayers; layer++) expected.addAll(spec.layerWeights(layer, numLayers));
        expected.addAll(spec.postWeights(numLayers));
        return expected.stream().filter(w -> !w.optional() && w.resolve(names).isEmpty()).map(WeightSpec::name).toList();
    }

    private static InputStream open(String path) {
        return Objects.requireNonNull(TestModels.class.getResourceAsStream(path), path);
    }
}
