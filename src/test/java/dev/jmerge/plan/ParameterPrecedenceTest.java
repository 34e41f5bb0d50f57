package dev.jmerge.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jmerge.error.ConfigException;
import org.junit.jupiter.api.Test;

/**
 * mergekit's parameter precedence (compat §1.6) as the planner resolves it for real tensors: the model's own entry,
 * then the slice, the module and the top level; per-model parameters matched against that model's input tensor
 * name at every level, method-level ones against the output name.
 */
class ParameterPrecedenceTest extends PlanFixture {

    private static double weight(Plan p, String tensor, int input) {
        return p.tensor(tensor).perModel().get(input).asMap().get("weight");
    }

    /** Layers 1-2 of m1 become output layers 0-1: per-model filters see "layers.2", method-level ones "layers.1". */
    @Test
    void perModelFiltersSeeTheInputNameAtEveryLevelMethodLevelOnesTheOutputName() {
        Plan p = plan("""
                merge_method: linear
                slices:
                  - sources:
                      - model: M/m1
                        layer_range: [1, 3]
                      - model: M/m2
                        layer_range: [0, 2]
                        parameters: {weight: 0.5}
                    parameters:
                      weight: [{filter: layers.2., value: 0.9}, {value: 0.1}]
                      normalize: [{filter: layers.1., value: 0}, {value: 1}]
                """);
        // m1's layer 2 is output layer 1: the slice's filter "layers.2." matches its input name
        assertThat(weight(p, "model.layers.1.mlp.up_proj.weight", 0)).isEqualTo(0.9);
        assertThat(weight(p, "model.layers.0.mlp.up_proj.weight", 0)).isEqualTo(0.1);
        // m2's own entry wins over the slice
        assertThat(weight(p, "model.layers.1.mlp.up_proj.weight", 1)).isEqualTo(0.5);
        // normalize is read once per tensor, against the output name
        assertThat(p.tensor("model.layers.1.mlp.up_proj.weight").global().asMap().get("normalize")).isEqualTo(0.0);
        assertThat(p.tensor("model.layers.0.mlp.up_proj.weight").global().asMap().get("normalize")).isEqualTo(1.0);
        assertThat(p.diagnostics()).isEmpty();
    }

    /** Each level falls through to the next when it does not set the parameter or none of its filters match. */
    @Test
    void levelsFallThroughInOrderModelSliceModuleTop() {
        Plan p = plan("""
                merge_method: ties
                base_model: M/m0
                modules:
                  text_decoder:
                    slices:
                      - sources:
                          - model: M/m0
                            layer_range: [0, 3]
                          - model: M/m1
                            layer_range: [0, 3]
                            parameters: {weight: [{filter: mlp, value: 1}], density: 0.1}
                          - model: M/m2
                            layer_range: [0, 3]
                        parameters: {weight: [{filter: self_attn, value: 2}]}
                    parameters: {weight: [{filter: norm, value: 3}], density: 0.3, lambda: 0.9}
                parameters: {weight: 4, lambda: 2, normalize: off}
                """);
        assertThat(weight(p, "model.layers.0.mlp.up_proj.weight", 1)).isEqualTo(1.0);
        assertThat(weight(p, "model.layers.0.self_attn.q_proj.weight", 1)).isEqualTo(2.0);
        assertThat(weight(p, "model.layers.0.input_layernorm.weight", 1)).isEqualTo(3.0);
        assertThat(weight(p, "model.embed_tokens.weight", 1)).isEqualTo(4.0);
        assertThat(weight(p, "model.layers.0.mlp.up_proj.weight", 2)).isEqualTo(4.0);
        var t = p.tensor("model.layers.0.mlp.up_proj.weight");
        assertThat(t.perModel().get(1).asMap().get("density")).isEqualTo(0.1);
        assertThat(t.perModel().get(2).asMap().get("density")).isEqualTo(0.3);
        assertThat(t.global().asMap().get("lambda")).isEqualTo(0.9);
        assertThat(t.global().asMap().get("normalize")).isEqualTo(0.0);
        assertThat(t.global().asMap().get("rescale")).isEqualTo(0.0); // ties' default
    }

    @Test
    void gradientsRestartInEverySliceAndAOneLayerSliceSitsAtItsEnd() {
        Plan p = plan("""
                merge_method: linear
                slices:
                  - sources:
                      - model: M/m1
                        layer_range: [0, 2]
                    parameters: {weight: [0, 1]}
                  - sources:
                      - model: M/m1
                        layer_range: [2, 3]
                    parameters: {weight: [0.2, 0.6]}
                """);
        assertThat(weight(p, "model.layers.0.mlp.up_proj.weight", 0)).isEqualTo(0.0);
        assertThat(weight(p, "model.layers.1.mlp.up_proj.weight", 0)).isEqualTo(1.0);
        assertThat(weight(p, "model.layers.2.mlp.up_proj.weight", 0)).isCloseTo(0.6, within(1e-15));
        // embeddings and the head take t = 0 of the first and last slice
        assertThat(weight(p, "model.embed_tokens.weight", 0)).isEqualTo(0.0);
        assertThat(weight(p, "lm_head.weight", 0)).isCloseTo(0.2, within(1e-15));
    }

    @Test
    void aRequiredParameterNoLevelSetsNamesTheModelAndTheTensor() {
        assertThatThrownBy(() -> plan("""
                merge_method: linear
                models:
                  - model: M/m1
                    parameters: {weight: [{filter: mlp, value: 1}]}
                  - model: M/m2
                    parameters: {weight: 1}
                """)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("test.yml line 3: merge_method 'linear' needs parameter 'weight' for model")
                .hasMessageContaining("none is set for tensor 'model.embed_tokens.weight'");
    }
}
