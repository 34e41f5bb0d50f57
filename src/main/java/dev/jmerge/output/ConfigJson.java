package dev.jmerge.output;

import dev.jmerge.plan.Plan;
import dev.jmerge.tensor.DType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The output config.json (compat §3.4): the donor's config with the dtype, for slice configs the layer
 * count (of each module planned from slices), and under a merged vocabulary the vocabulary size rewritten. Written as transformers v5 writes it: {@code dtype} (not {@code torch_dtype}), keys sorted.
 */
public final class ConfigJson {

    private ConfigJson() {}

    public static String render(Plan plan) {
        ObjectNode config = (ObjectNode) plan.donor().config().deepCopy();
        DType dtype = plan.config().outDtype() != null ? plan.config().outDtype() : plan.config().dtype();
        JsonNode old = config.remove("torch_dtype");
        if (dtype != null) config.put("dtype", dtype.torchName());
        else if (old != null && !config.has("dtype")) config.set("dtype", old);
        plan.layerCounts().forEach((key, layers) -> setDotted(config, key, layers));
        if (plan.tokenizer().vocabulary() != null) {
            setDotted(config, plan.arch().vocabSizeKey(), plan.tokenizer().vocabulary().paddedRows());
        }
        return PythonStyleJson.write(config, true);
    }

    private static void setDotted(ObjectNode root, String dottedKey, int value) {
        String[] parts = dottedKey.split("\\.");
        ObjectNode node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = node.get(parts[i]);
            if (!(child instanceof ObjectNode obj)) return;
            node = obj;
        }
        node.put(parts[parts.length - 1], value);
    }
}
