package dev.jmerge.extract;

import dev.jmerge.output.PythonStyleJson;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * adapter_config.json as mergekit-extract-lora writes it: its keys, in its order, {@code json.dump(indent=4)}.
 * {@code r} and {@code lora_alpha} are the largest rank extracted (so the scale alpha/r is 1); modules of
 * another rank (smaller matrices, {@code --sv-epsilon}) are listed in both rank_pattern and alpha_pattern.
 */
final class AdapterConfig {

    private AdapterConfig() {}

    /**
     * @param ranks          rank of every decomposed module, by full module name, in plan order
     * @param targetModules  the distinct last name components of the decomposed modules
     */
    static String render(String baseModel, List<String> targetModules, List<String> modulesToSave,
                         Map<String, Integer> ranks) {
        int r = ranks.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode o = f.objectNode();
        o.put("base_model_name_or_path", baseModel);
        o.put("peft_type", "LORA");
        o.put("use_rslora", false);
        var targets = o.putArray("target_modules");
        targetModules.forEach(targets::add);
        var toSave = o.putArray("modules_to_save");
        modulesToSave.forEach(toSave::add);
        o.put("task_type", "CAUSAL_LM");
        o.put("r", r);
        o.put("lora_alpha", r);
        ObjectNode rankPattern = o.putObject("rank_pattern");
        ObjectNode alphaPattern = o.putObject("alpha_pattern");
        ranks.forEach((module, rank) -> {
            if (rank != r) {
                rankPattern.put(module, rank);
                alphaPattern.put(module, rank);
            }
        });
        o.put("lora_dropout", 0.0);
        o.put("fan_in_fan_out", false);
        o.put("inference_mode", true);
        return PythonStyleJson.dump(o, 4);
    }
}
