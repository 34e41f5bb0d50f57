package dev.jmerge.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The plan on its own: which inputs, which parameters, which dtype — no tensor math runs here. */
class PlannerTest extends PlanFixture {

    @Test
    void gradientsAreEvaluatedPerLayerAndFiltersPickTheFirstMatch() {
        Plan p = plan("""
                merge_method: slerp
                base_model: M/m0
                slices:
                  - sources:
                      - model: M/m0
                        layer_range: [0, 3]
                      - model: M/m1
                        layer_range: [0, 3]
                parameters:
                  t:
                    - filter: self_attn
                      value: [0, 1]
                    - value: 0.25
                """);
        // three layers: t = 0, 0.5, 1 along the slice; gradient [0, 1] gives the same values
        assertThat(p.tensor("model.layers.0.self_attn.q_proj.weight").global().asMap().get("t")).isEqualTo(0.0);
        assertThat(p.tensor("model.layers.1.self_attn.q_proj.weight").global().asMap().get("t")).isEqualTo(0.5);
        assertThat(p.tensor("model.layers.2.self_attn.o_proj.weight").global().asMap().get("t")).isEqualTo(1.0);
        assertThat(p.tensor("model.layers.1.mlp.up_proj.weight").global().asMap().get("t")).isEqualTo(0.25);
        // embeddings and head are evaluated at t = 0 (mergekit's rule), so the fallback applies
        assertThat(p.tensor("model.embed_tokens.weight").global().asMap().get("t")).isEqualTo(0.25);
        PlannedTensor t = p.tensor("model.layers.1.mlp.up_proj.weight");
        assertThat(t.baseIndex()).isZero();
        assertThat(t.inputs()).extracting(PlannedInput::tensorName).containsOnly("model.layers.1.mlp.up_proj.weight");
    }

    @Test
    void precedenceIsModelThenSliceThenTopLevelAndDefaultsFillTheRest() {
        Plan p = plan("""
                merge_method: ties
                base_model: M/m0
                models:
                  - model: M/m1
                    parameters: {weight: 0.7, density: [0.2, 0.6]}
                  - model: M/m2
                parameters:
                  weight: 0.3
                  density: 0.9
                """);
        PlannedTensor t = p.tensor("model.layers.2.mlp.down_proj.weight");
        Map<String, Double> m1 = t.perModel().get(0).asMap(), m2 = t.perModel().get(1).asMap();
        assertThat(m1.get("weight")).isEqualTo(0.7);
        assertThat(m1.get("density")).isCloseTo(0.6, within(1e-12));          // last layer of 3: t = 1
        assertThat(p.tensor("model.layers.1.mlp.down_proj.weight").perModel().get(0).asMap().get("density"))
                .isCloseTo(0.4, within(1e-12));
        assertThat(m2.get("weight")).isEqualTo(0.3);
        assertThat(m2.get("density")).isEqualTo(0.9);
        assertThat(t.global().asMap().get("normalize")).isEqualTo(1.0);                // ties' default
        assertThat(t.global().asMap().get("lambda")).isEqualTo(1.0);
        assertThat(t.baseIndex()).isEqualTo(2);                                // base appended after the models
        assertThat(t.outDtype()).isEqualTo(DType.BF16);                        // no dtype: the base's
    }

    @Test
    void slicesStackLayersAndRenumberThem() {
        Plan p = plan("""
                merge_method: passthrough
                slices:
                  - sources:
                      - model: M/m1
                        layer_range: [0, 2]
                  - sources:
                      - model: M/m2
                        layer_range: [1, 3]
                dtype: float32
                """);
        assertThat(p.outputLayers()).isEqualTo(4);
        PlannedTensor t = p.tensor("model.layers.3.self_attn.k_proj.weight");
        assertThat(t.inputs()).singleElement().satisfies(in -> {
            assertThat(in.tensorName()).isEqualTo("model.layers.2.self_attn.k_proj.weight");
            assertThat(p.models().get(in.model()).label()).endsWith("m2");
        });
        assertThat(t.outDtype()).isEqualTo(DType.F32);
        assertThat(t.loadDtype()).isEqualTo(DType.F32);
        assertThat(p.tensors()).hasSize(1 + 4 * 9 + 2);
    }

    @Test
    void overrideArchitectureReplacesTheConfigsClaim() throws Exception {
        Path odd = models.resolve("odd");
        SyntheticModels.write(odd, ModelShape.tiny(DType.BF16).withLayers(3), 1, 2, 0.1, 0);
        java.nio.file.Files.writeString(odd.resolve("config.json"), java.nio.file.Files.readString(odd.resolve("config.json"))
                .replace("LlamaForCausalLM", "MysteryForCausalLM"));
        String yaml = """
                merge_method: linear
                models:
                  - model: M/m1
                    parameters: {weight: 0.5}
                  - model: ODD
                    parameters: {weight: 0.5}
                """;
        // Without the override the two disagree on the architecture, so jmerge infers one from tensor names.
        assertThat(plan(yaml.replace("ODD", "M/odd")).arch().inferred()).isTrue();
        Plan p = plan(yaml.replace("model: ODD", "model: {model: {path: M/odd}, override_architecture: LlamaForCausalLM}"));
        assertThat(p.arch().id()).isEqualTo("llama");
    }

    @Test
    void aModelListedTwiceIsOneInputInItsFirstPlaceTakingEachParameterFromItsFirstListingThatSetsIt() {
        Plan p = plan("""
                merge_method: ties
                base_model: M/m0
                models:
                  - model: M/m1
                    parameters: {weight: 0.2}
                  - model: M/m2
                    parameters: {weight: 0.3, density: 0.5}
                  - model: M/m1
                    parameters: {weight: 0.5, density: [{filter: mlp, value: 0.4}]}
                  - model: M/m1
                    parameters: {density: 0.9}
                """);
        PlannedTensor mlp = p.tensor("model.layers.1.mlp.up_proj.weight");
        assertThat(mlp.inputs()).extracting(in -> p.models().get(in.model()).label())
                .containsExactly("M/m1".replace("M/", models + "/"), "M/m2".replace("M/", models + "/"),
                        "M/m0".replace("M/", models + "/"));
        assertThat(mlp.perModel().get(0).asMap().get("weight")).isEqualTo(0.2);
        assertThat(mlp.perModel().get(0).asMap().get("density")).isEqualTo(0.4);
        // the filter of the second listing does not match attention tensors: the next listing that sets it wins
        assertThat(p.tensor("model.layers.1.self_attn.q_proj.weight").perModel().get(0).asMap().get("density")).isEqualTo(0.9);
        assertThat(p.diagnostics()).singleElement().extracting(Diagnostic::message).asString().contains("model '" + models + "/m1' is listed 3 times")
                .contains("test.yml line 4", "line 8", "line 10").contains("merges it once");
    }

    @Test
    void aSliceListingAModelTwiceReadsTheLayersOfItsLastListingInItsFirstPlace() {
        Plan p = plan("""
                merge_method: linear
                slices:
                  - sources:
                      - model: M/m1
                        layer_range: [0, 1]
                        parameters: {weight: 0.25}
                      - model: M/m2
                        layer_range: [1, 2]
                        parameters: {weight: 0.75}
                      - model: M/m1
                        layer_range: [2, 3]
                        parameters: {weight: 0.5}
                """);
        PlannedTensor t = p.tensor("model.layers.0.mlp.down_proj.weight");
        assertThat(t.inputs()).extracting(PlannedInput::tensorName)
                .containsExactly("model.layers.2.mlp.down_proj.weight", "model.layers.1.mlp.down_proj.weight");
        assertThat(p.models().get(t.inputs().get(0).model()).label()).endsWith("m1");
        assertThat(t.perModel()).extracting(m -> m.asMap().get("weight")).containsExactly(0.25, 0.75);
        assertThat(p.diagnostics()).singleElement().extracting(Diagnostic::message).asString().contains("is listed 2 times");
    }
}
