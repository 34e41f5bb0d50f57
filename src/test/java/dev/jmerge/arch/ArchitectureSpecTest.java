package dev.jmerge.arch;

import static dev.jmerge.arch.TestModels.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.ConfigException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ArchitectureSpecTest {

    private static final ArchitectureSpec SPEC = new ArchitectureSpec("toy", "toy", List.of("Toy"),
            List.of(new WeightSpec("rope.${num_layers}", false, true, List.of("alt.${num_layers-1}"),
                    List.of("alt.${num_layers+1}"), null)),
            List.of(new WeightSpec("h.${layer_index}.mix.${layer_index+1}", false, false,
                            List.of("h.${layer_index-1}.prev"), List.of("t.${layer_index}.${num_layers}"), null),
                    WeightSpec.plain("h.${layer_index}.w")),
            List.of(WeightSpec.plain("head.${num_layers-1}.${num_layers}.${num_layers+1}")),
            "text_config.num_hidden_layers", "text_config.vocab_size", null, false);

    @Test
    void substitutesEveryVariableInNamesAliasesAndTiedNames() {
        for (int numLayers : new int[] {1, 5, 12}) {
            for (int i = 0; i < numLayers; i++) {
                List<WeightSpec> layer = SPEC.layerWeights(i, numLayers);
                assertThat(layer).hasSize(2);
                WeightSpec mix = layer.getFirst();
                assertThat(mix.name()).isEqualTo("h." + i + ".mix." + (i + 1));
                assertThat(mix.aliases()).containsExactly("h." + (i - 1) + ".prev");
                assertThat(mix.tiedNames()).containsExactly("t." + i + "." + numLayers);
                assertThat(layer.get(1)).isEqualTo(WeightSpec.plain("h." + i + ".w"));
            }
            assertThat(SPEC.preWeights(numLayers)).containsExactly(new WeightSpec("rope." + numLayers, false, true,
                    List.of("alt." + (numLayers - 1)), List.of("alt." + (numLayers + 1)), null));
            assertThat(SPEC.postWeights(numLayers)).containsExactly(
                    WeightSpec.plain("head." + (numLayers - 1) + "." + numLayers + "." + (numLayers + 1)));
        }
        // The raw templates are untouched by substitution.
        assertThat(SPEC.layerTemplates().getFirst().name()).isEqualTo("h.${layer_index}.mix.${layer_index+1}");
    }

    @Test
    void namesWithoutVariablesPassThroughUnchanged() {
        assertThat(NameTemplate.substitute("model.norm.weight", NameTemplate.NO_LAYER, 3)).isEqualTo("model.norm.weight");
        assertThat(NameTemplate.substitute("a.${layer_index}.b.${layer_index}", 10, 3)).isEqualTo("a.10.b.10");
    }

    @Test
    void refusesBadLayerIndexAndLayerVariablesOutsideLayers() {
        assertThatThrownBy(() -> SPEC.layerWeights(-1, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NameTemplate.substitute("x.${layer_index}", NameTemplate.NO_LAYER, 3))
                .hasMessageContaining("outside the layer templates");
    }

    @Test
    void readsTheLayerCountThroughADottedKey() {
        assertThat(SPEC.numLayers(json("{\"text_config\": {\"num_hidden_layers\": 34}, \"num_hidden_layers\": 2}")))
                .isEqualTo(34);
    }

    @Test
    void missingOrMalformedLayerCountIsAConfigError() {
        for (String config : List.of("{\"num_hidden_layers\": 34}", "{\"text_config\": null}",
                "{\"text_config\": {\"num_hidden_layers\": \"34\"}}", "{\"text_config\": {\"num_hidden_layers\": 3.5}}",
                "{\"text_config\": 7}")) {
            assertThatThrownBy(() -> SPEC.numLayers(json(config), "models/x/config.json"))
                    .as(config)
                    .isInstanceOf(ConfigException.class)
                    .hasMessage("models/x/config.json has no integer 'text_config.num_hidden_layers'"
                            + " (layer count of architecture toy)");
        }
        assertThatThrownBy(() -> SPEC.numLayers(json("{\"text_config\": {\"num_hidden_layers\": -1}}")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("negative");
    }

    @Test
    void aFixedLayerCountIgnoresTheConfig() {
        ArchitectureSpec fixed = new ArchitectureSpec("inferred", "", List.of(), List.of(),
                List.of(WeightSpec.plain("l.${layer_index}.w")), List.of(), null, "vocab_size", 7, true);
        assertThat(fixed.numLayers(json("{\"num_hidden_layers\": 3}"))).isEqualTo(7);
        assertThatThrownBy(() -> new ArchitectureSpec("both", "", List.of(), List.of(), List.of(), List.of(),
                "num_hidden_layers", "vocab_size", 7, true)).isInstanceOf(IllegalArgumentException.class);
    }
}
