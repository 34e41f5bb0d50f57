package dev.jmerge.moe;

import dev.jmerge.config.MoeConfig;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The MoE architectures mergekit-moe writes, in the order it tries them (compat §5.3). Each says whether it can
 * take a config, given the {@code model_type} of every input model, and why not.
 */
public enum OutputArchitecture {

    MIXTRAL("Mixtral", "MixtralForCausalLM", "mixtral", true),
    DEEPSEEK("DeepSeek MoE", "DeepseekForCausalLM", "deepseek", false),
    QWEN2_MOE("Qwen MoE", "Qwen2MoeForCausalLM", "qwen2_moe", false),
    QWEN3_MOE("Qwen3 MoE", "Qwen3MoeForCausalLM", "qwen3_moe", true);

    private final String label;
    private final String hfClass;
    private final String modelType;
    private final boolean fused;

    OutputArchitecture(String label, String hfClass, String modelType, boolean fused) {
        this.label = label;
        this.hfClass = hfClass;
        this.modelType = modelType;
        this.fused = fused;
    }

    /** mergekit's name, which {@code architecture:} is matched against as a prefix. */
    public String label() { return label; }

    /** The config.json {@code architectures} entry. */
    public String hfClass() { return hfClass; }

    public String modelType() { return modelType; }

    /** Experts stored stacked ({@code mlp.experts.gate_up_proj [E, 2I, H]}) rather than one tensor per expert. */
    public boolean fused() { return fused; }

    /** The model types of a config's models: the base, the routed experts', the shared experts'. */
    public record InputTypes(String base, List<String> experts, List<String> shared) {

        Set<String> of(boolean withShared) {
            Set<String> s = new LinkedHashSet<>();
            s.add(base);
            s.addAll(experts);
            if (withShared) s.addAll(shared);
            return s;
        }
    }

    /** Why this architecture cannot be written for {@code c}, or null when it can. */
    public String refusal(MoeConfig c, InputTypes types) {
        List<MoeConfig.Expert> shared = c.shared();
        return switch (this) {
            case MIXTRAL -> !shared.isEmpty() ? "it has no shared experts"
                    : sameFamily(types.of(false), List.of("llama", "mistral"));
            case DEEPSEEK -> {
                if (shared.size() > 1) yield "it takes at most one shared expert";
                if (shared.size() == 1 && shared.getFirst().hasPrompts()) {
                    yield "its shared expert has no gate, so the shared expert may not have prompts";
                }
                yield sameFamily(types.of(true), List.of("llama", "mistral"));
            }
            case QWEN2_MOE -> {
                if (shared.size() != 1) yield "it needs exactly one shared expert";
                if (c.gateMode() != MoeConfig.GateMode.RANDOM && !shared.getFirst().hasPositivePrompts()) {
                    yield "its shared expert has a gate, so with gate_mode " + c.gateMode().yamlName()
                            + " the shared expert needs positive_prompts";
                }
                yield sameFamily(types.of(true), List.of("llama", "mistral", "qwen2"));
            }
            case QWEN3_MOE -> {
                if (!shared.isEmpty()) yield "it has no shared experts";
                Set<String> all = types.of(true);
                yield all.equals(Set.of("qwen3")) ? null : "it takes qwen3 models only (the models are " + all + ")";
            }
        };
    }

    private static String sameFamily(Set<String> types, List<String> accepted) {
        if (types.size() != 1) return "all models must have the same model_type (they have " + types + ")";
        String t = types.iterator().next();
        return accepted.contains(t) ? null : "it takes " + String.join(", ", accepted) + " models (these are " + t + ")";
    }

    /** Every architecture whose name starts with {@code prefix} (case-insensitive), or all for null. */
    public static List<OutputArchitecture> matching(String prefix) {
        List<OutputArchitecture> out = new ArrayList<>();
        for (OutputArchitecture a : values()) {
            if (prefix == null || a.label.toLowerCase(java.util.Locale.ROOT)
                    .startsWith(prefix.toLowerCase(java.util.Locale.ROOT))) {
                out.add(a);
            }
        }
        return out;
    }
}
