package dev.jmerge.arch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class ModularRegistryTest {

    private static final ArchitectureRegistry REGISTRY = ArchitectureRegistry.builtIn();

    @Test
    void indexListsExactlyTheModularJsonFiles() throws IOException {
        List<String> onDisk;
        try (Stream<Path> files = Files.list(Path.of("src/main/resources/dev/jmerge/arch/modular"))) {
            onDisk = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json"))
                    .map(n -> n.substring(0, n.length() - ".json".length())).toList();
        }
        assertThat(ArchitectureRegistry.modularIds()).containsExactlyInAnyOrderElementsOf(onDisk);
        assertThat(REGISTRY.allModular()).extracting(ModularArchitectureSpec::id)
                .containsExactlyElementsOf(ArchitectureRegistry.modularIds());
    }

    @Test
    void gemma3VisionLanguagePrefixesEveryModuleName() {
        ModularArchitectureSpec g = REGISTRY.findModular("Gemma3ForConditionalGeneration").orElseThrow();
        assertThat(g.moduleNames()).containsExactly("text_decoder", "multi_modal_projector", "vision_tower");
        ArchitectureSpec text = g.module("text_decoder", "test").prefixed();
        assertThat(text.layerWeights(3, 4)).extracting(WeightSpec::name)
                .contains("language_model.model.layers.3.self_attn.q_norm.weight");
        WeightSpec head = text.postWeights(4).getLast();
        assertThat(head.name()).isEqualTo("language_model.lm_head.weight");
        assertThat(head.tiedNames()).containsExactly("language_model.model.embed_tokens.weight");
        assertThat(text.numLayers(JsonMapper.shared().readTree("{\"text_config\": {\"num_hidden_layers\": 7}}")))
                .isEqualTo(7);
        assertThat(g.module("vision_tower", "test").prefixed().preWeights(0)).extracting(WeightSpec::name)
                .contains("vision_tower.vision_model.embeddings.patch_embedding.weight");
        assertThat(g.module("multi_modal_projector", "test").prefixed().numLayers(JsonMapper.shared().readTree("{}")))
                .isZero();
    }

    @Test
    void mistral3VisionTowerCountsLayersInItsVisionConfig() {
        ArchitectureSpec vision = REGISTRY.findModular("Mistral3ForConditionalGeneration").orElseThrow()
                .module("vision_tower", "test").prefixed();
        assertThat(vision.numLayers(JsonMapper.shared().readTree("{\"vision_config\": {\"num_hidden_layers\": 24}}")))
                .isEqualTo(24);
        assertThat(vision.layerWeights(23, 24)).extracting(WeightSpec::name)
                .contains("vision_tower.transformer.layers.23.attention.q_proj.weight");
    }

    @Test
    void unknownModuleIsAConfigErrorListingTheModules() {
        ModularArchitectureSpec q = REGISTRY.findModular("Qwen2_5_VLForConditionalGeneration").orElseThrow();
        assertThatThrownBy(() -> q.module("audio", "merge.yml:3:3")).isInstanceOf(ConfigException.class)
                .hasMessage("merge.yml:3:3: architecture qwen2_5_vl has no module 'audio'; its modules are"
                        + " [text_decoder, multi_modal_projector, vision_tower]");
    }

    @Test
    void singleModuleModelsDoNotResolveToAModularDefinition() {
        var resolver = new ArchitectureResolver(REGISTRY);
        var llama = new ModelInput("l", JsonMapper.shared().readTree(
                "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\"}"), Set.of());
        var vl = new ModelInput("v", JsonMapper.shared().readTree(
                "{\"architectures\": [\"Qwen2VLForConditionalGeneration\"], \"model_type\": \"qwen2_vl\"}"), Set.of());
        assertThat(resolver.resolveModular(List.of(llama), false)).isEmpty();
        assertThat(resolver.resolveModular(List.of(vl, vl), false)).map(ModularArchitectureSpec::id).contains("qwen2_vl");
        assertThatThrownBy(() -> resolver.resolveModular(List.of(vl, llama), false))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--allow-crimes");
    }
}
