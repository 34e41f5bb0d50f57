package dev.jmerge.arch;

import static dev.jmerge.arch.TestModels.model;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.ConfigException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ArchitectureInferenceTest {

    private static final String UNTIED = "{\"architectures\": [\"X\"], \"model_type\": \"x\", \"tie_word_embeddings\": false}";
    private static final String TIED = "{\"architectures\": [\"X\"], \"model_type\": \"x\", \"tie_word_embeddings\": true}";

    /** Names of a decoder with {@code layers} layers under {@code prefix}, each layer holding {@code parts}. */
    private static Set<String> stack(String prefix, int layers, String... parts) {
        Set<String> out = new HashSet<>();
        for (int i = 0; i < layers; i++) {
            for (String p : parts) out.add(prefix + "." + i + "." + p);
        }
        return out;
    }

    private static Set<String> union(Set<String> a, String... more) {
        Set<String> out = new HashSet<>(a);
        out.addAll(List.of(more));
        return out;
    }

    private static Map<String, WeightSpec> byName(List<WeightSpec> weights) {
        return weights.stream().collect(Collectors.toMap(WeightSpec::name, Function.identity()));
    }

    @Test
    void layerTensorsBecomeTemplatesAndOptionalityFollowsPresenceInEveryModelAndLayer() {
        Set<String> a = union(stack("dec.blocks", 3, "attn.weight", "attn.bias", "mlp.weight"),
                "dec.tok.weight", "dec.final_norm.weight", "extra.scale");
        Set<String> b = new HashSet<>(a);
        b.remove("dec.blocks.2.attn.bias");   // one layer short of a bias: optional in every layer
        b.remove("extra.scale");              // a non-layer tensor one model lacks: optional
        ArchitectureSpec spec = ArchitectureInference.infer(List.of(model("a", UNTIED, a), model("b", UNTIED, b)));

        assertThat(spec.inferred()).isTrue();
        assertThat(spec.numLayersKey()).isNull();
        assertThat(spec.numLayers(TestModels.json("{\"num_hidden_layers\": 40}"))).isEqualTo(3);
        assertThat(spec.postWeights()).isEmpty();
        assertThat(spec.modelType()).isEqualTo("x");
        Map<String, WeightSpec> layer = byName(spec.layerTemplates());
        assertThat(layer.keySet()).containsExactlyInAnyOrder("dec.blocks.${layer_index}.attn.weight",
                "dec.blocks.${layer_index}.attn.bias", "dec.blocks.${layer_index}.mlp.weight");
        assertThat(layer.get("dec.blocks.${layer_index}.attn.bias").optional()).isTrue();
        assertThat(layer.get("dec.blocks.${layer_index}.attn.weight").optional()).isFalse();
        Map<String, WeightSpec> pre = byName(spec.preWeights());
        assertThat(pre.keySet()).containsExactlyInAnyOrder("dec.tok.weight", "dec.final_norm.weight", "extra.scale");
        assertThat(pre.get("extra.scale").optional()).isTrue();
        assertThat(pre.get("dec.final_norm.weight").optional()).isFalse();
        assertThat(spec.preWeights()).noneMatch(WeightSpec::isEmbed);
        assertThat(TestModels.unresolved(spec, 3, b)).isEmpty();
    }

    @Test
    void layerCountIsTheLargestIndexPlusOneAndGapsMakeTemplatesOptional() {
        Set<String> names = Set.of("m.layers.0.w", "m.layers.5.w", "m.layers.0.v", "m.layers.1.v", "m.layers.2.v",
                "m.layers.3.v", "m.layers.4.v", "m.layers.5.v", "m.layers.5.experts.7.w1.weight");
        ArchitectureSpec spec = ArchitectureInference.infer(List.of(model("a", UNTIED, names)));
        assertThat(spec.fixedNumLayers()).isEqualTo(6);
        Map<String, WeightSpec> layer = byName(spec.layerTemplates());
        // Only the first index is a layer index; later numbers (expert ids) stay in the template.
        assertThat(layer.keySet()).containsExactlyInAnyOrder("m.layers.${layer_index}.w", "m.layers.${layer_index}.v",
                "m.layers.${layer_index}.experts.7.w1.weight");
        assertThat(layer.get("m.layers.${layer_index}.v").optional()).isFalse();
        assertThat(layer.get("m.layers.${layer_index}.w").optional()).isTrue();
        assertThat(layer.get("m.layers.${layer_index}.experts.7.w1.weight").optional()).isTrue();
    }

    @Test
    void tiedHeadIsAnOptionalEmbeddingThatFallsBackToTheInputEmbedding() {
        Set<String> core = union(stack("model.layers", 2, "w"), "model.embed_tokens.weight", "model.norm.weight");
        Set<String> withHead = union(core, "lm_head.weight");
        ArchitectureSpec spec = ArchitectureInference.infer(List.of(model("base", TIED, core), model("ft", TIED, withHead)));
        Map<String, WeightSpec> pre = byName(spec.preWeights());
        assertThat(pre.get("lm_head.weight"))
                .isEqualTo(new WeightSpec("lm_head.weight", true, true, List.of(), List.of("model.embed_tokens.weight"), null));
        assertThat(pre.get("model.embed_tokens.weight"))
                .isEqualTo(new WeightSpec("model.embed_tokens.weight", true, false, List.of(), List.of(), null));
        assertThat(pre.get("model.norm.weight")).isEqualTo(WeightSpec.plain("model.norm.weight"));
        // The base lacks the head; it contributes its embedding instead.
        assertThat(pre.get("lm_head.weight").resolve(core)).hasValue("model.embed_tokens.weight");

        // Tied even when every model stores the head, as mergekit marks tied keys optional.
        ArchitectureSpec allHeads = ArchitectureInference.infer(List.of(model("a", TIED, withHead), model("b", TIED, withHead)));
        assertThat(byName(allHeads.preWeights()).get("lm_head.weight").optional()).isTrue();

        // Untied: the missing head is optional only because one model lacks it, with no stand-in.
        ArchitectureSpec untied = ArchitectureInference.infer(List.of(model("base", UNTIED, core), model("ft", UNTIED, withHead)));
        assertThat(byName(untied.preWeights()).get("lm_head.weight"))
                .isEqualTo(new WeightSpec("lm_head.weight", true, true, List.of(), List.of(), null));
        // The first model's config decides.
        ArchitectureSpec firstUntied = ArchitectureInference.infer(List.of(model("a", UNTIED, withHead), model("b", TIED, withHead)));
        assertThat(byName(firstUntied.preWeights()).get("lm_head.weight").optional()).isFalse();
    }

    @Test
    void recognisesTheUsualEmbeddingNamesButNotTheirBiases() {
        Set<String> names = union(stack("transformer.h", 1, "w"), "transformer.wte.weight", "gpt_neox.embed_in.weight",
                "embed_out.weight", "embed_out.bias", "bert.embeddings.word_embeddings.weight", "transformer.wpe.weight");
        Map<String, WeightSpec> pre = byName(ArchitectureInference.infer(List.of(model("a", UNTIED, names))).preWeights());
        assertThat(pre.values().stream().filter(WeightSpec::isEmbed).map(WeightSpec::name))
                .containsExactlyInAnyOrder("transformer.wte.weight", "gpt_neox.embed_in.weight", "embed_out.weight",
                        "bert.embeddings.word_embeddings.weight");
    }

    @Test
    void severalLayerStacksKeepTheLongestAndListTheOthersByName() {
        Set<String> names = union(stack("model.layers", 4, "w", "v"), "model.embed_tokens.weight");
        names.addAll(stack("vision.blocks", 2, "w", "v", "u"));
        ArchitectureSpec spec = ArchitectureInference.infer(List.of(model("a", UNTIED, names)));
        assertThat(spec.fixedNumLayers()).isEqualTo(4);
        assertThat(spec.layerTemplates()).extracting(WeightSpec::name)
                .containsExactly("model.layers.${layer_index}.v", "model.layers.${layer_index}.w");
        assertThat(spec.preWeights()).extracting(WeightSpec::name).containsExactly("model.embed_tokens.weight",
                "vision.blocks.0.u", "vision.blocks.0.v", "vision.blocks.0.w",
                "vision.blocks.1.u", "vision.blocks.1.v", "vision.blocks.1.w");

        // Equal layer counts: more templates wins, then the alphabetically first prefix.
        Set<String> tie = union(stack("b.layers", 2, "w", "v"), "x");
        tie.addAll(stack("a.layers", 2, "w"));
        assertThat(ArchitectureInference.infer(List.of(model("a", UNTIED, tie))).layerTemplates())
                .extracting(WeightSpec::name).allMatch(s -> s.startsWith("b.layers."));
        Set<String> even = new HashSet<>(stack("b.layers", 2, "w"));
        even.addAll(stack("a.layers", 2, "w"));
        assertThat(ArchitectureInference.infer(List.of(model("a", UNTIED, even))).layerTemplates())
                .extracting(WeightSpec::name).containsExactly("a.layers.${layer_index}.w");
    }

    @Test
    void modelsWithoutLayersOrTensors() {
        ArchitectureSpec flat = ArchitectureInference.infer(List.of(model("a", UNTIED, Set.of("w", "b"))));
        assertThat(flat.fixedNumLayers()).isZero();
        assertThat(flat.layerTemplates()).isEmpty();
        assertThat(flat.preWeights()).extracting(WeightSpec::name).containsExactly("b", "w");
        assertThatThrownBy(() -> ArchitectureInference.infer(List.of(model("e1", UNTIED, Set.of()),
                model("e2", UNTIED, Set.of()))))
                .isInstanceOf(ConfigException.class)
                .hasMessage("cannot infer an architecture: models ['e1', 'e2'] hold no tensors");
    }
}
