package dev.jmerge.synth;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a synthetic model's architecture adds to the llama layout: q/k/v biases (Qwen2), per-head q/k norms and
 * an explicit head_dim (Qwen3), a sliding window (Mistral), rotary settings, and extra config.json keys.
 *
 * @param headDim      0 for hidden / heads; otherwise written to config.json as {@code head_dim}
 * @param config       extra config.json keys (numbers, strings, booleans, lists and maps of those)
 */
public record Family(String architecture, String modelType, int headDim, boolean qkvBias, boolean qkNorm,
                     double ropeTheta, int maxPositions, double rmsEps, Map<String, Object> config) {

    public static final Family LLAMA = new Family("LlamaForCausalLM", "llama", 0, false, false, 10000.0, 2048, 1e-5, Map.of());

    public static Family mistral(int slidingWindow) {
        return new Family("MistralForCausalLM", "mistral", 0, false, false, 10000.0, 2048, 1e-5,
                Map.of("sliding_window", slidingWindow));
    }

    public static final Family QWEN2 = new Family("Qwen2ForCausalLM", "qwen2", 0, true, false, 1000000.0, 2048, 1e-6,
            Map.of("use_sliding_window", false, "max_window_layers", 28));

    public static Family qwen3(int headDim) {
        return new Family("Qwen3ForCausalLM", "qwen3", headDim, false, true, 1000000.0, 2048, 1e-6,
                Map.of("attention_bias", false));
    }

    public Family withRope(double theta, int maxPositions, Map<String, Object> scaling) {
        Map<String, Object> c = new LinkedHashMap<>(config);
        if (scaling != null) c.put("rope_scaling", scaling);
        return new Family(architecture, modelType, headDim, qkvBias, qkNorm, theta, maxPositions, rmsEps, c);
    }

    /** The attention head width for {@code shape}. */
    public int headDim(ModelShape shape) { return headDim > 0 ? headDim : shape.headDim(); }
}
