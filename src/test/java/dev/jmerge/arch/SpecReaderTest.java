package dev.jmerge.arch;

import static dev.jmerge.arch.TestModels.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.tensor.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpecReaderTest {

    private static final String GOOD = """
            {"id": "toy", "modelType": "toy", "architectures": ["ToyForCausalLM"],
             "numLayersKey": "text_config.n_layers",
             "pre": [{"name": "embed.weight", "embed": true, "aliases": ["wte.weight"]}],
             "layer": ["blocks.${layer_index}.w", {"name": "blocks.${layer_index}.b", "optional": true}],
             "post": [{"name": "head.weight", "embed": true, "optional": true, "tiedTo": ["embed.weight"]},
                      {"name": "pos", "dtype": "int64"}]}
            """;

    @Test
    void readsEveryField() {
        ArchitectureSpec s = SpecReader.read("toy.json", json(GOOD));
        assertThat(s.id()).isEqualTo("toy");
        assertThat(s.modelType()).isEqualTo("toy");
        assertThat(s.architectures()).containsExactly("ToyForCausalLM");
        assertThat(s.numLayersKey()).isEqualTo("text_config.n_layers");
        assertThat(s.vocabSizeKey()).isEqualTo("vocab_size");
        assertThat(s.fixedNumLayers()).isNull();
        assertThat(s.preWeights()).containsExactly(
                new WeightSpec("embed.weight", true, false, List.of("wte.weight"), List.of(), null));
        assertThat(s.layerTemplates()).containsExactly(WeightSpec.plain("blocks.${layer_index}.w"),
                new WeightSpec("blocks.${layer_index}.b", false, true, List.of(), List.of(), null));
        assertThat(s.postWeights()).containsExactly(
                new WeightSpec("head.weight", true, true, List.of(), List.of("embed.weight"), null),
                new WeightSpec("pos", false, false, List.of(), List.of(), DType.I64));
    }

    @Test
    void rejectsMalformedDefinitions() {
        assertRejected(GOOD.replace("\"modelType\"", "\"model_type\""), "unknown key 'model_type'");
        assertRejected(GOOD.replace("\"optional\": true}]", "\"optinal\": true}]"), "unknown key 'optinal'");
        assertRejected(GOOD.replace("\"blocks.${layer_index}.w\"", "\"blocks.w\""),
                "layer weight 'blocks.w' does not mention ${layer_index}");
        assertRejected(GOOD.replace("\"embed.weight\", \"embed\"", "\"embed.${layer_index}\", \"embed\""),
                "names a layer outside the layer templates");
        assertRejected(GOOD.replace("\"blocks.${layer_index}.b\"", "\"blocks.${layer_index}.w\""),
                "weight 'blocks.${layer_index}.w' is listed twice");
        assertRejected(GOOD.replace("int64", "int4"), "unknown dtype 'int4'");
        assertRejected(GOOD.replace("${layer_index}.b", "${layer}.b"), "unknown variable ${layer}");
        assertRejected(GOOD.replace("\"embed\": true, \"aliases\"", "\"embed\": \"yes\", \"aliases\""),
                "'embed' must be true or false");
        assertRejected(GOOD.replace("[\"ToyForCausalLM\"]", "[]"), "'architectures' is empty");
    }

    private static void assertRejected(String text, String message) {
        assertThat(text).isNotEqualTo(GOOD);
        assertThatThrownBy(() -> SpecReader.read("toy.json", json(text)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("toy.json: ")
                .hasMessageContaining(message);
    }
}
