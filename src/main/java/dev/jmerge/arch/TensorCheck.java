package dev.jmerge.arch;

import dev.jmerge.error.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Compares an architecture with a model's tensor names so a missing tensor is reported before any data is read. */
public final class TensorCheck {

    private TensorCheck() {}

    /**
     * Names of the required weights (pre, every layer below {@code numLayers}, post) that {@code tensorNames}
     * cannot supply under their own name, an alias or a tied name, in definition order.
     */
    public static List<String> checkTensors(ArchitectureSpec spec, int numLayers, Set<String> tensorNames) {
        List<WeightSpec> expected = new ArrayList<>(spec.preWeights(numLayers));
        for (int layer = 0; layer < numLayers; layer++) expected.addAll(spec.layerWeights(layer, numLayers));
        expected.addAll(spec.postWeights(numLayers));
        return expected.stream()
                .filter(w -> !w.optional() && w.resolve(tensorNames).isEmpty())
                .map(WeightSpec::name)
                .toList();
    }

    /**
     * Fails with a ConfigException when {@code model} lacks a required tensor of {@code spec}, reading its
     * layer count from its config.json.
     */
    public static void requireTensors(ArchitectureSpec spec, ModelInput model) {
        int numLayers = spec.numLayers(model.config(), "config.json of model '" + model.label() + "'");
        List<String> missing = checkTensors(spec, numLayers, model.tensorNames());
        if (!missing.isEmpty()) {
            String more = missing.size() == 1 ? "" : " (and " + (missing.size() - 1) + " more)";
            throw new ConfigException("model '" + model.label() + "' lacks required tensor '" + missing.getFirst()
                    + "'" + more + " of architecture " + spec.id());
        }
    }
}
