package dev.jmerge.moe;

import dev.jmerge.output.PythonStyleJson;
import dev.jmerge.tensor.DType;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The output config.json of each architecture, as mergekit-moe makes it: the base model's config carried over
 * (transformers' {@code MixtralConfig(**base.to_dict())}), with the MoE keys set and the new class's defaults
 * for keys the base lacks. Mixtral and the Qwen MoEs are written as transformers v5 saves a config (sorted keys,
 * {@code dtype}); DeepSeek's is written by mergekit itself (insertion order, 4-space indent, {@code torch_dtype}).
 */
final class MoeConfigJson {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private MoeConfigJson() {}

    /**
     * @param base          the base model's config.json
     * @param sharedExperts the number of shared experts (0 or 1)
     */
    static String render(OutputArchitecture arch, JsonNode base, int experts, int perToken, int sharedExperts,
                         DType dtype) {
        ObjectNode c = (ObjectNode) base.deepCopy();
        String family = c.path("model_type").asString("");
        // what the base's own config class fills in when its file leaves a key out (to_dict() writes it out)
        Map<String, Object> defaults = familyDefaults(family);
        if (c.has("rope_parameters")) defaults.remove("rope_theta"); // a transformers v5 config keeps it there
        defaults.forEach((k, v) -> putIfAbsent(c, k, v));
        if (!c.has("num_key_value_heads") || c.get("num_key_value_heads").isNull()) {
            c.set("num_key_value_heads", c.get("num_attention_heads"));
        }
        int intermediate = c.path("intermediate_size").asInt();
        c.remove("torch_dtype");
        c.remove("dtype");
        c.putArray("architectures").add(arch.hfClass());
        c.put("model_type", arch.modelType());
        switch (arch) {
            case MIXTRAL -> {
                c.put("num_local_experts", experts);
                c.put("num_experts_per_tok", perToken);
                c.putNull("sliding_window");
                c.remove("layer_types");
                classDefaults(c, Map.of("output_router_logits", false, "router_aux_loss_coef", 0.001,
                        "router_jitter_noise", 0.0, "attention_dropout", 0.0));
            }
            case DEEPSEEK -> {
                c.put("n_routed_experts", experts);
                if (sharedExperts > 0) c.put("n_shared_experts", sharedExperts);
                else c.putNull("n_shared_experts");
                c.put("num_experts_per_tok", perToken);
                c.put("first_k_dense_replace", 0);
                c.put("moe_layer_freq", 1);
                c.put("scoring_func", "softmax");
                c.put("norm_topk_prob", true);
                c.put("moe_intermediate_size", intermediate);
                ObjectNode map = c.putObject("auto_map");
                String repo = "deepseek-ai/deepseek-moe-16b-base--";
                map.put("AutoConfig", repo + "configuration_deepseek.DeepseekConfig");
                map.put("AutoModel", repo + "modeling_deepseek.DeepseekModel");
                map.put("AutoModelForCausalLM", repo + "modeling_deepseek.DeepseekForCausalLM");
                if (dtype != null) c.put("torch_dtype", dtype.torchName());
                return PythonStyleJson.dump(c, 4);
            }
            case QWEN2_MOE -> {
                c.put("num_experts", experts);
                c.put("num_experts_per_tok", perToken);
                c.put("decoder_sparse_step", 1);
                c.put("norm_topk_prob", true);
                c.putNull("sliding_window");
                c.put("use_sliding_window", false);
                c.remove("layer_types");
                c.put("shared_expert_intermediate_size", intermediate);
                c.put("moe_intermediate_size", intermediate);
                classDefaults(c, Map.of("output_router_logits", false, "router_aux_loss_coef", 0.001,
                        "max_window_layers", 28, "qkv_bias", true, "attention_dropout", 0.0));
                putIfAbsent(c, "mlp_only_layers", F.arrayNode());
            }
            case QWEN3_MOE -> {
                c.put("num_experts", experts);
                c.put("num_experts_per_tok", perToken);
                c.put("decoder_sparse_step", 1);
                c.put("norm_topk_prob", true);
                c.put("moe_intermediate_size", intermediate);
                classDefaults(c, Map.of("output_router_logits", false, "router_aux_loss_coef", 0.001,
                        "attention_dropout", 0.0));
                putIfAbsent(c, "mlp_only_layers", F.arrayNode());
            }
        }
        if (dtype != null) c.put("dtype", dtype.torchName());
        return PythonStyleJson.write(c, true);
    }

    /** Defaults of transformers' config class of each input family that change the model's math. */
    private static Map<String, Object> familyDefaults(String family) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("hidden_act", "silu");
        d.put("rms_norm_eps", 1e-6);
        d.put("rope_theta", 10000.0);
        d.put("tie_word_embeddings", false);
        d.put("initializer_range", 0.02);
        d.put("max_position_embeddings", switch (family) {
            case "mistral" -> 131072;
            case "qwen2", "qwen3" -> 32768;
            default -> 2048;
        });
        if (family.equals("qwen3")) d.put("head_dim", 128);
        return d;
    }

    private static void classDefaults(ObjectNode c, Map<String, Object> defaults) {
        defaults.forEach((k, v) -> putIfAbsent(c, k, v));
    }

    private static void putIfAbsent(ObjectNode c, String key, Object value) {
        if (c.has(key)) return;
        switch (value) {
            case JsonNode n -> c.set(key, n);
            case Boolean b -> c.put(key, b);
            case Integer i -> c.put(key, i);
            case Double d -> c.put(key, d);
            case String s -> c.put(key, s);
            default -> throw new IllegalArgumentException(key);
        }
    }
}
