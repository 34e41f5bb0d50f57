package dev.jmerge.arch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The llama definition against the real header of mergekit's tiny base model (3 layers, untied head). */
class LlamaCheckpointTest {

    private static JsonNode config;
    private static Set<String> names;
    private static final ArchitectureResolver RESOLVER = new ArchitectureResolver(ArchitectureRegistry.builtIn());

    @BeforeAll
    static void readCheckpoint() throws IOException {
        config = TestModels.config(TestModels.LLAMA_BASE);
        names = TestModels.tensorNames(TestModels.LLAMA_BASE);
    }

    @Test
    void definitionNamesExactlyTheCheckpointsTensors() {
        ArchitectureSpec spec = RESOLVER.resolve(List.of(new ModelInput("base-fp32", config, names)), false);
        assertThat(spec.id()).isEqualTo("llama");
        int n = spec.numLayers(config);
        assertThat(n).isEqualTo(3);
        assertThat(expectedNames(spec, n)).containsExactlyInAnyOrderElementsOf(names);
        assertThat(TestModels.unresolved(spec, n, names)).isEmpty();
    }

    @Test
    void reportsEachMissingRequiredTensorButNotAnAbsentOptionalHead() {
        ArchitectureSpec llama = ArchitectureRegistry.builtIn().byId("llama").orElseThrow();
        Set<String> damaged = new HashSet<>(names);
        damaged.remove("model.layers.1.mlp.down_proj.weight");
        damaged.remove("model.norm.weight");
        damaged.remove("lm_head.weight");
        assertThat(TestModels.unresolved(llama, 3, damaged))
                .containsExactly("model.layers.1.mlp.down_proj.weight", "model.norm.weight");
        // Asking for a fourth layer the checkpoint does not have names all of its tensors.
        assertThat(TestModels.unresolved(llama, 4, names))
                .hasSize(9).allMatch(s -> s.startsWith("model.layers.3."));
    }

    @Test
    void aliasesAndTiedNamesSatisfyRequiredWeights() {
        ArchitectureSpec spec = new ArchitectureSpec("t", "t", List.of("T"),
                List.of(new WeightSpec("emb", true, false, List.of("old.emb"), List.of(), null)),
                List.of(WeightSpec.plain("l.${layer_index}")),
                List.of(new WeightSpec("head", true, false, List.of(), List.of("emb", "old.emb"), null)),
                "n", "vocab_size", null, false);
        assertThat(TestModels.unresolved(spec, 1, Set.of("old.emb", "l.0"))).isEmpty();
        assertThat(TestModels.unresolved(spec, 1, Set.of("l.0"))).containsExactly("emb", "head");
        assertThat(spec.postWeights(1).getFirst().resolve(Set.of("old.emb", "l.0"))).hasValue("old.emb");
        assertThat(spec.postWeights(1).getFirst().resolve(Set.of("head", "emb"))).hasValue("head");
        assertThat(spec.postWeights(1).getFirst().presentIn(Set.of("emb"))).isFalse();
    }

    @Test
    void inferenceFromTheSameNamesAgreesWithTheDefinition() {
        Set<String> found = new HashSet<>();
        ArchitectureSpec llama = ArchitectureRegistry.builtIn().byId("llama").orElseThrow();
        ArchitectureSpec inferred = ArchitectureInference.infer(List.of(new ModelInput("base-fp32", config, names)));
        assertThat(inferred.inferred()).isTrue();
        assertThat(inferred.numLayers(config)).isEqualTo(3);
        assertThat(inferred.numLayersKey()).isNull();
        assertThat(inferred.postWeights()).isEmpty();
        inferred.layerTemplates().forEach(w -> found.add(w.name()));
        assertThat(found).containsExactlyInAnyOrderElementsOf(
                llama.layerTemplates().stream().map(WeightSpec::name).toList());
        assertThat(inferred.layerTemplates()).noneMatch(WeightSpec::optional).noneMatch(WeightSpec::isEmbed);
        assertThat(inferred.preWeights()).containsExactly(
                new WeightSpec("lm_head.weight", true, false, List.of(), List.of(), null),
                new WeightSpec("model.embed_tokens.weight", true, false, List.of(), List.of(), null),
                WeightSpec.plain("model.norm.weight"));
        assertThat(expectedNames(inferred, 3)).containsExactlyInAnyOrderElementsOf(names);
    }

    private static List<String> expectedNames(ArchitectureSpec spec, int n) {
        List<String> out = new java.util.ArrayList<>();
        spec.preWeights(n).forEach(w -> out.add(w.name()));
        for (int i = 0; i < n; i++) spec.layerWeights(i, n).forEach(w -> out.add(w.name()));
        spec.postWeights(n).forEach(w -> out.add(w.name()));
        return out;
    }
}
