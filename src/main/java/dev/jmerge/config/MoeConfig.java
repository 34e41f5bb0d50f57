package dev.jmerge.config;

import dev.jmerge.tensor.DType;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A mergekit-moe config (compat §5.3), parsed and checked for shape: types, known gate modes, prompts as lists.
 * The rules that need several fields at once (enough experts, prompts that tell experts apart) and the models
 * themselves are checked by the MoE builder.
 *
 * @param architecture  the output architecture's name prefix ({@code architecture:}), or null to choose
 * @param dtype         output dtype, or null for the base model's {@code torch_dtype}
 * @param sharedExperts null when the config has no {@code shared_experts}
 * @param yamlText      the file's text verbatim (written to mergekit_moe_config.yml)
 */
public record MoeConfig(ModelReference baseModel, SourcePos baseModelPos, String architecture,
                        SourcePos architecturePos, GateMode gateMode, SourcePos gateModePos, DType dtype,
                        int expertsPerToken, SourcePos expertsPerTokenPos, List<Expert> experts, SourcePos expertsPos,
                        List<Expert> sharedExperts, SourcePos sharedExpertsPos, String yamlText, String fileName) {

    public MoeConfig {
        experts = List.copyOf(experts);
        if (sharedExperts != null) sharedExperts = List.copyOf(sharedExperts);
    }

    /** How router weights are made (mergekit's {@code gate_mode}). */
    public enum GateMode {
        HIDDEN("hidden"), HIDDEN_AVG("hidden_avg"), HIDDEN_LAST("hidden_last"), CHEAP_EMBED("cheap_embed"),
        RANDOM("random"), UNIFORM_RANDOM("uniform_random");

        private final String yamlName;

        GateMode(String yamlName) { this.yamlName = yamlName; }

        public String yamlName() { return yamlName; }

        /** Gate rows drawn at random (no prompts read). */
        public boolean isRandom() { return this == RANDOM || this == UNIFORM_RANDOM; }

        /** Gate rows from the base model's hidden states. */
        public boolean usesHiddenStates() { return this == HIDDEN || this == HIDDEN_AVG || this == HIDDEN_LAST; }

        public static Optional<GateMode> of(String name) {
            return Arrays.stream(values()).filter(m -> m.yamlName.equals(name)).findFirst();
        }

        public static String names() {
            return String.join(", ", Arrays.stream(values()).map(GateMode::yamlName).toList());
        }
    }

    /**
     * One expert (routed or shared): the model its MLP weights come from, the prompts its gate row is made of, and
     * what is done to its weights.
     *
     * @param positivePrompts null when not given
     * @param negativePrompts null when not given
     * @param noiseScale      standard deviation of Gaussian noise added to its MLP weights, or null
     * @param residualScale   factor its {@code down_proj} is multiplied by, or null
     */
    public record Expert(ModelReference sourceModel, SourcePos pos, SourcePos sourcePos, List<String> positivePrompts,
                         List<String> negativePrompts, Double noiseScale, Double residualScale) {

        public Expert {
            if (positivePrompts != null) positivePrompts = List.copyOf(positivePrompts);
            if (negativePrompts != null) negativePrompts = List.copyOf(negativePrompts);
        }

        /** mergekit tests {@code not positive_prompts}: absent and empty are alike. */
        public boolean hasPositivePrompts() { return positivePrompts != null && !positivePrompts.isEmpty(); }

        public boolean hasPrompts() {
            return hasPositivePrompts() || negativePrompts != null && !negativePrompts.isEmpty();
        }

        public List<String> negatives() { return negativePrompts == null ? List.of() : negativePrompts; }
    }

    public List<Expert> shared() { return sharedExperts == null ? List.of() : sharedExperts; }
}
