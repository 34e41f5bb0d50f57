package dev.jmerge.modular;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.e2e.Cli;
import dev.jmerge.e2e.ModelFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Multi-module merges through the CLI on a tiny qwen2_vl checkpoint (compat §1.5, §3.2, §3.4). */
class ModularMergeTest {

    private static final long SEED_A = 1, SEED_B = 2;

    @TempDir Path dir;
    private Path a, b, out;

    @BeforeEach
    void models() throws IOException {
        a = dir.resolve("a");
        b = dir.resolve("b");
        out = dir.resolve("out");
        TinyVisionLanguageModel.write(a, SEED_A);
        TinyVisionLanguageModel.write(b, SEED_B);
    }

    @Test
    void modulesConfigMergesEachModuleWithItsOwnWeights() throws IOException {
        Cli r = merge("""
                merge_method: linear
                dtype: float32
                modules:
                  text_decoder:
                    models:
                      - {model: %1$s, parameters: {weight: 0.7}}
                      - {model: %2$s, parameters: {weight: 0.3}}
                  vision_tower:
                    models:
                      - {model: %1$s, parameters: {weight: 0.5}}
                      - {model: %2$s, parameters: {weight: 0.5}}
                  multi_modal_projector:
                    parameters: {weight: 0.1}
                    models:
                      - {model: %1$s, parameters: {weight: 0.9}}
                      - {model: %2$s}
                """);
        assertThat(r.exitCode()).as(r.err()).isZero();
        // The projector's second model takes the module-level weight: per-source, then module, then top level.
        checkEveryTensor(name -> name.startsWith("visual.merger.") ? 0.9
                : name.startsWith("visual.") ? 0.5 : 0.7,
                name -> name.startsWith("visual.merger.") ? 0.1
                : name.startsWith("visual.") ? 0.5 : 0.3);
        assertThat(out.resolve("preprocessor_config.json")).hasContent("{\"seed\": 1}");
        JsonNode config = JsonMapper.shared().readTree(out.resolve("config.json").toFile());
        assertThat(config.get("num_hidden_layers").intValue()).isEqualTo(TinyVisionLanguageModel.TEXT_LAYERS);
        assertThat(config.path("vision_config").get("depth").intValue()).isEqualTo(TinyVisionLanguageModel.VISION_LAYERS);
    }

    @Test
    void modelsConfigOnAModularArchitectureMergesEveryModule() {
        Cli r = merge("""
                merge_method: linear
                dtype: float32
                models:
                  - {model: %1$s, parameters: {weight: 0.2}}
                  - {model: %2$s, parameters: {weight: 0.8}}
                """);
        assertThat(r.exitCode()).as(r.err()).isZero();
        checkEveryTensor(name -> 0.2, name -> 0.8);
    }

    @Test
    void moduleSlicesRewriteThatModulesLayerCountOnly() throws IOException {
        Cli r = merge("""
                merge_method: passthrough
                dtype: float32
                modules:
                  text_decoder:
                    models: [{model: %1$s}]
                  multi_modal_projector:
                    models: [{model: %1$s}]
                  vision_tower:
                    slices:
                      - sources: [{model: %2$s, layer_range: [2, 3]}]
                      - sources: [{model: %1$s, layer_range: [0, 1]}]
                """);
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode config = JsonMapper.shared().readTree(out.resolve("config.json").toFile());
        assertThat(config.path("vision_config").get("depth").intValue()).isEqualTo(2);
        assertThat(config.get("num_hidden_layers").intValue()).isEqualTo(TinyVisionLanguageModel.TEXT_LAYERS);
        Map<String, ModelFiles.Tensor> merged = ModelFiles.read(out);
        assertThat(merged).doesNotContainKey("visual.blocks.2.norm1.weight");
        // Output block 0 is b's block 2, output block 1 is a's block 0.
        assertValues(merged, "visual.blocks.0.attn.qkv.weight", i -> TinyVisionLanguageModel.value(SEED_B,
                "visual.blocks.2.attn.qkv.weight", i));
        assertValues(merged, "visual.blocks.1.mlp.fc1.bias", i -> TinyVisionLanguageModel.value(SEED_A,
                "visual.blocks.0.mlp.fc1.bias", i));
        assertValues(merged, "model.layers.1.self_attn.q_proj.bias", i -> TinyVisionLanguageModel.value(SEED_A,
                "model.layers.1.self_attn.q_proj.bias", i));
    }

    @Test
    void layerRangeBeyondAModuleNamesTheModule() {
        Cli r = merge("""
                merge_method: linear
                modules:
                  vision_tower:
                    slices:
                      - sources:
                          - {model: %1$s, layer_range: [0, 5], parameters: {weight: 1.0}}
                """);
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.errors()).contains("layer_range [0, 5]", "module 'vision_tower'", "which has 3 layers");
    }

    @Test
    void topLevelSlicesAreRefusedOnAMultiModuleArchitecture() {
        Cli r = merge("""
                merge_method: passthrough
                slices:
                  - sources: [{model: %1$s, layer_range: [0, 1]}]
                """);
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.errors()).contains("'slices' needs a single-module architecture", "vision_tower", "modules:");
    }

    @Test
    void unknownModuleListsTheArchitecturesModules() {
        Cli r = merge("""
                merge_method: linear
                modules:
                  audio_tower:
                    models: [{model: %1$s, parameters: {weight: 1.0}}]
                """);
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.errors()).contains("qwen2_vl", "no module 'audio_tower'",
                "[text_decoder, multi_modal_projector, vision_tower]");
    }

    private Cli merge(String yaml) {
        try {
            Path cfg = dir.resolve("merge.yml");
            Files.writeString(cfg, yaml.formatted(a, b));
            return Cli.run(cfg.toString(), out.toString(), "--quiet");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Every input tensor is in the output as (wa·a + wb·b) / (wa + wb), computed here in float64. */
    private void checkEveryTensor(ToDoubleFunction<String> weightA, ToDoubleFunction<String> weightB) {
        Map<String, ModelFiles.Tensor> merged = ModelFiles.read(out);
        assertThat(merged.keySet()).containsExactlyInAnyOrderElementsOf(TinyVisionLanguageModel.shapes().keySet());
        for (String name : merged.keySet()) {
            double wa = weightA.applyAsDouble(name), wb = weightB.applyAsDouble(name);
            assertValues(merged, name, i -> (wa * TinyVisionLanguageModel.value(SEED_A, name, i)
                    + wb * TinyVisionLanguageModel.value(SEED_B, name, i)) / (wa + wb));
        }
    }

    private static void assertValues(Map<String, ModelFiles.Tensor> merged, String name,
                                     java.util.function.IntToDoubleFunction expected) {
        float[] got = merged.get(name).values();
        assertThat(merged.get(name).info().shape().dims()).as(name).isEqualTo(TinyVisionLanguageModel.shapes().get(name));
        for (int i = 0; i < got.length; i++) {
            assertThat((double) got[i]).as(name + "[" + i + "]").isCloseTo(expected.applyAsDouble(i),
                    org.assertj.core.data.Offset.offset(2e-6));
        }
    }
}
