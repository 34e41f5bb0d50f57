package dev.jmerge.arch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ArchitectureRegistryTest {

    private static final ArchitectureRegistry REGISTRY = ArchitectureRegistry.builtIn();

    static Stream<ArchitectureSpec> bundled() {
        return REGISTRY.all().stream();
    }

    @Test
    void indexListsExactlyTheJsonFilesOfTheResourceFolder() throws IOException {
        List<String> onDisk;
        try (Stream<Path> files = Files.list(Path.of("src/main/resources/dev/jmerge/arch"))) {
            onDisk = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json"))
                    .map(n -> n.substring(0, n.length() - ".json".length())).sorted().toList();
        }
        assertThat(ArchitectureRegistry.bundledIds()).containsExactlyInAnyOrderElementsOf(onDisk);
        assertThat(REGISTRY.all()).extracting(ArchitectureSpec::id).containsExactlyElementsOf(ArchitectureRegistry.bundledIds());
    }

    @Test
    void coversTheFamiliesTheBriefNames() {
        Set<String> types = new HashSet<>();
        REGISTRY.all().forEach(s -> types.add(s.modelType()));
        assertThat(types).contains("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "phi3",
                "phi", "gpt2", "gpt_neox", "starcoder2", "cohere", "olmo2", "granite", "exaone", "internlm2",
                "stablelm", "stablelm_epoch");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bundled")
    void everyDefinitionIsWellFormed(ArchitectureSpec spec) {
        assertThat(spec.inferred()).isFalse();
        assertThat(spec.numLayersKey()).isNotBlank();
        assertThat(spec.architectures()).isNotEmpty();
        assertThat(spec.layerTemplates()).isNotEmpty()
                .allSatisfy(w -> assertThat(w.name()).containsPattern("\\$\\{layer_index([+-]1)?}"));
        assertThat(Stream.of(spec.preWeights(), spec.postWeights()).flatMap(List::stream))
                .allSatisfy(w -> assertThat(w.name()).doesNotContain("layer_index"));

        // Concrete names of a 4-layer model: none may repeat, within a layer, across layers or with pre/post.
        int n = 4;
        List<String> names = new ArrayList<>();
        spec.preWeights(n).forEach(w -> names.add(w.name()));
        for (int i = 0; i < n; i++) spec.layerWeights(i, n).forEach(w -> names.add(w.name()));
        spec.postWeights(n).forEach(w -> names.add(w.name()));
        assertThat(names).doesNotHaveDuplicates().noneMatch(s -> s.contains("$"));
    }

    @Test
    void tiedHeadsFallBackToTheirEmbedding() {
        ArchitectureSpec llama = REGISTRY.byId("llama").orElseThrow();
        WeightSpec head = llama.postWeights().getLast();
        assertThat(head.name()).isEqualTo("lm_head.weight");
        assertThat(head.isEmbed()).isTrue();
        assertThat(head.optional()).isTrue();
        assertThat(head.tiedNames()).containsExactly("model.embed_tokens.weight");
        assertThat(llama.preWeights()).containsExactly(
                new WeightSpec("model.embed_tokens.weight", true, false, List.of(), List.of(), null));

        // Every bundled tied name points at a weight the same definition declares (or its alias).
        for (ArchitectureSpec spec : REGISTRY.all()) {
            Set<String> declared = new HashSet<>();
            Stream.of(spec.preWeights(4), spec.postWeights(4), spec.layerWeights(0, 4)).flatMap(List::stream)
                    .forEach(w -> { declared.add(w.name()); declared.addAll(w.aliases()); });
            Stream.of(spec.preWeights(4), spec.postWeights(4), spec.layerWeights(0, 4)).flatMap(List::stream)
                    .flatMap(w -> w.tiedNames().stream())
                    .forEach(t -> assertThat(declared).as(spec.id() + " tied name " + t).contains(t));
        }
    }

    @Test
    void keepsConfigKeysAliasesAndForcedDtypes() {
        ArchitectureSpec gpt2 = REGISTRY.byId("gpt2").orElseThrow();
        assertThat(gpt2.numLayersKey()).isEqualTo("n_layer");
        assertThat(gpt2.vocabSizeKey()).isEqualTo("vocab_size");
        assertThat(gpt2.layerWeights(7, 12).getFirst().aliases()).containsExactly("h.7.attn.c_attn.weight");
        WeightSpec positionIds = REGISTRY.byId("bert").orElseThrow().preWeights().stream()
                .filter(w -> w.name().endsWith("position_ids")).findFirst().orElseThrow();
        assertThat(positionIds.forceDtype()).isEqualTo(DType.I64);
        assertThat(positionIds.optional()).isTrue();
    }

    @Test
    void findPrefersTheDefinitionWrittenForTheConfigsModelType() {
        assertThat(REGISTRY.find("PhiForCausalLM", "phi")).map(ArchitectureSpec::id).hasValue("phi2");
        assertThat(REGISTRY.find("PhiForCausalLM", "phi-msft")).map(ArchitectureSpec::id).hasValue("phi2-old");
        // Two candidates, neither for this model_type: no answer, so the caller infers (as mergekit does).
        assertThat(REGISTRY.find("PhiForCausalLM", "phi3")).isEmpty();
        // A single candidate is taken whatever the model_type says.
        assertThat(REGISTRY.find("LlamaForCausalLM", "something_else")).map(ArchitectureSpec::id).hasValue("llama");
        assertThat(REGISTRY.find("LLaMaForCausalLM", "llama")).map(ArchitectureSpec::id).hasValue("llama");
        assertThat(REGISTRY.find("Gemma3ForCausalLM", "gemma3_text")).map(ArchitectureSpec::id).hasValue("gemma3");
        assertThat(REGISTRY.find("NoSuchForCausalLM", "llama")).isEmpty();
    }

    @Test
    void phi1BlocksSitOneAfterTheEmbeddingInTheSequential() {
        ArchitectureSpec phi1 = REGISTRY.byId("phi-1").orElseThrow();
        assertThat(phi1.preWeights(24)).extracting(WeightSpec::name).containsExactly("layers.0.wte.weight");
        assertThat(phi1.layerWeights(0, 24)).extracting(WeightSpec::name).allMatch(s -> s.startsWith("layers.1."));
        assertThat(phi1.layerWeights(23, 24)).extracting(WeightSpec::name).allMatch(s -> s.startsWith("layers.24."));
        assertThat(phi1.postWeights(24)).extracting(WeightSpec::name).allMatch(s -> s.startsWith("layers.25."));
    }

    @Test
    void registryOfCustomSpecsIndexesEveryClass() {
        ArchitectureSpec a = spec("a", "ta", List.of("SharedModel", "AModel"));
        ArchitectureSpec b = spec("b", "tb", List.of("SharedModel"));
        ArchitectureRegistry r = ArchitectureRegistry.of(List.of(a, b));
        assertThat(r.find("AModel", "tb")).hasValue(a);
        assertThat(r.find("SharedModel", "tb")).hasValue(b);
        assertThat(r.find("SharedModel", "ta")).hasValue(a);
        assertThatThrownBy(() -> r.all().add(a)).isInstanceOf(UnsupportedOperationException.class);
    }

    private static ArchitectureSpec spec(String id, String type, List<String> classes) {
        return new ArchitectureSpec(id, type, classes, List.of(), List.of(WeightSpec.plain("l.${layer_index}.w")),
                List.of(), "num_hidden_layers", "vocab_size", null, false);
    }
}
