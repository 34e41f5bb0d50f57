package dev.jmerge.config;

import static dev.jmerge.config.ConfigLoaderTestSupport.lines;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.ConfigException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every user error is one ConfigException line that names the file, the line and the YAML key. */
class ConfigErrorsTest {

    private static final String MODELS = "models: [{model: a}]";

    static Stream<Arguments> errors() {
        return Stream.of(
                // yaml text, expected line, fragments the message must contain
                Arguments.of(lines(MODELS), 1, new String[] {"'merge_method' is required"}),
                Arguments.of(lines("merge_method: [linear]", MODELS), 1,
                        new String[] {"'merge_method' must be a string, got a list of 1 item"}),
                Arguments.of(lines("merge_method: 5", MODELS), 1, new String[] {"'merge_method'", "\"5\""}),
                Arguments.of(lines("merge_method: linear"), 1,
                        new String[] {"exactly one of 'models', 'slices' or 'modules'", "none was given"}),
                Arguments.of(lines("merge_method: linear", MODELS, "slices: [{sources: [{model: a, layer_range: [0, 1]}]}]"),
                        1, new String[] {"'models' and 'slices' were given"}),
                Arguments.of(lines("merge_method: linear", "models: []"), 2,
                        new String[] {"'models' must be a non-empty list"}),
                Arguments.of(lines("merge_method: linear", "models: a"), 2,
                        new String[] {"'models' must be a list", "got \"a\""}),
                Arguments.of(lines("merge_method: linear", "models:", "  - parameters: {weight: 1}"), 3,
                        new String[] {"'model' is required"}),
                Arguments.of(lines("merge_method: linear", "models:", "  - model: [a]"), 3,
                        new String[] {"'model' must be a model path"}),
                Arguments.of(lines("merge_method: linear", "models:", "  - model: a+b+c"), 3,
                        new String[] {"'model'", "more than one '+'"}),
                Arguments.of(lines("merge_method: linear", "models:", "  - model: a@b@c"), 3,
                        new String[] {"'model'", "more than one '@'"}),
                Arguments.of(lines("merge_method: linear", "models:", "  - model: a@"), 3,
                        new String[] {"'model'", "empty revision"}),
                Arguments.of(lines("merge_method: linear", "models:", "  - model: {model: {revision: r}}"), 3,
                        new String[] {"'path' is required"}),
                Arguments.of(lines("merge_method: linear", "base_model: true", MODELS), 2,
                        new String[] {"'base_model' must be a model path", "got \"true\""}),
                Arguments.of(lines("merge_method: linear", MODELS, "dtype: float8"), 3,
                        new String[] {"'dtype' must be one of bfloat16, float16, float32, int64", "got \"float8\""}),
                Arguments.of(lines("merge_method: linear", MODELS, "out_dtype: fp16"), 3,
                        new String[] {"'out_dtype' must be one of bfloat16"}),
                Arguments.of(lines("merge_method: linear", MODELS, "chat_template: [x]"), 3,
                        new String[] {"'chat_template' must be a string"}),
                Arguments.of(lines("merge_method: linear", MODELS, "name: {a: 1}"), 3,
                        new String[] {"'name' must be a string, got a mapping"}),
                Arguments.of(lines("merge_method: linear", MODELS, "parameters: [1]"), 3,
                        new String[] {"'parameters' must be a mapping"}),
                Arguments.of(lines("merge_method: linear", MODELS, "parameters:", "  weight: abc"), 4,
                        new String[] {"'parameters.weight' must be a number", "got \"abc\""}),
                Arguments.of(lines("merge_method: linear", MODELS, "parameters:", "  weight: ~"), 4,
                        new String[] {"'parameters.weight'", "got null"}),
                Arguments.of(lines("merge_method: linear", MODELS, "parameters:", "  weight: []"), 4,
                        new String[] {"'parameters.weight'", "not an empty list"}),
                Arguments.of(lines("merge_method: linear", MODELS, "parameters:", "  t: [0, x, 1]"), 4,
                        new String[] {"'parameters.t' must be a list of numbers", "got \"x\""}),
                Arguments.of(lines("merge_method: linear", MODELS, "parameters:", "  t: [0, {value: 1}]"), 4,
                        new String[] {"'parameters.t' mixes numbers and conditions"}),
                Arguments.of(lines("merge_method: linear", MODELS, "parameters:", "  t:", "    - filter: mlp"), 5,
                        new String[] {"'parameters.t' condition needs a 'value'"}),
                Arguments.of(lines("merge_method: linear", MODELS, "parameters:", "  t:", "    - {filter: 3, value: 1}"),
                        5, new String[] {"'parameters.t.filter' must be a string"}),
                Arguments.of(lines("merge_method: linear", MODELS, "parameters:", "  t: {value: [a]}"), 4,
                        new String[] {"'parameters.t.value' must be a list of numbers"}),
                Arguments.of(lines("merge_method: linear", MODELS, "parameters:", "  t: {value: {x: 1}}"), 4,
                        new String[] {"'parameters.t.value' must be a number or a list of numbers"}),
                Arguments.of(lines("merge_method: passthrough", "slices:", "  - sources:", "      - model: a",
                        "        layer_range: abc"), 5,
                        new String[] {"'layer_range' must be a list of two integers [start, end], got \"abc\""}),
                Arguments.of(lines("merge_method: passthrough", "slices:", "  - sources:", "      - model: a",
                        "        layer_range: [0, 1, 2]"), 5, new String[] {"'layer_range'", "a list of 3 items"}),
                Arguments.of(lines("merge_method: passthrough", "slices:", "  - sources:", "      - model: a",
                        "        layer_range: [0, 1.5]"), 5, new String[] {"'layer_range'", "got \"1.5\""}),
                Arguments.of(lines("merge_method: passthrough", "slices:", "  - sources:", "      - model: a",
                        "        layer_range: [3, 3]"), 5,
                        new String[] {"'layer_range' must satisfy 0 <= start < end, got [3, 3]"}),
                Arguments.of(lines("merge_method: passthrough", "slices:", "  - sources:", "      - model: a",
                        "        layer_range: [-1, 3]"), 5, new String[] {"'layer_range'", "[-1, 3]"}),
                Arguments.of(lines("merge_method: passthrough", "slices:", "  - sources:", "      - model: a"), 4,
                        new String[] {"'layer_range' is required"}),
                Arguments.of(lines("merge_method: passthrough", "slices:", "  - sources: []"), 3,
                        new String[] {"'sources' must be a non-empty list"}),
                Arguments.of(lines("merge_method: passthrough", "slices:", "  - base_model: a"), 3,
                        new String[] {"'sources' is required"}),
                Arguments.of(lines("merge_method: slerp", "slices:", "  - sources:",
                        "      - {model: a, layer_range: [0, 4]}", "      - {model: b, layer_range: [0, 3]}"), 3,
                        new String[] {"'sources'", "same number of layers", "4 (line 4)", "3 (line 5)"}),
                Arguments.of(lines("merge_method: slerp", "slices:", "  - sources:",
                        "      - {model: a, layer_range: [0, 4]}", "    residual_weight: heavy"), 5,
                        new String[] {"'residual_weight' must be a number"}),
                Arguments.of(lines("merge_method: linear", "modules:", "  text:", "    parameters: {}"), 4,
                        new String[] {"'modules.text' needs exactly one of 'models' or 'slices'", "none was given"}),
                Arguments.of(lines("merge_method: linear", "modules:", "  text:", "    models: [{model: a}]",
                        "    slices: [{sources: [{model: a, layer_range: [0, 1]}]}]"), 4,
                        new String[] {"'modules.text'", "'models' and 'slices' were given"}),
                Arguments.of(lines("merge_method: linear", "modules: [a]"), 2,
                        new String[] {"'modules' must be a mapping"}),
                Arguments.of(lines("merge_method: linear", MODELS, "tokenizer_source: union", "tokenizer: {source: base}"),
                        3, new String[] {"'tokenizer_source' and 'tokenizer' cannot both be given"}),
                Arguments.of(lines("merge_method: linear", MODELS, "tokenizer_source: [a]"), 3,
                        new String[] {"'tokenizer_source' must be \"base\", \"union\" or a model reference"}),
                Arguments.of(lines("merge_method: linear", MODELS, "tokenizer: {pad_to_multiple_of: 0}"), 3,
                        new String[] {"'tokenizer.pad_to_multiple_of' must be a positive integer, got \"0\""}),
                Arguments.of(lines("merge_method: linear", MODELS, "tokenizer:", "  tokens:",
                        "    x: {source: {kind: model_token, model: a}}"), 5,
                        new String[] {"'tokenizer.tokens.x.source'", "exactly one of 'token' or 'token_id'",
                                "neither was given"}),
                Arguments.of(lines("merge_method: linear", MODELS, "tokenizer:", "  tokens:",
                        "    x: {source: {kind: model_token, model: a, token: y, token_id: 3}}"), 5,
                        new String[] {"'tokenizer.tokens.x.source'", "both were given"}),
                Arguments.of(lines("merge_method: linear", MODELS, "tokenizer:", "  tokens:",
                        "    x: {source: {kind: model_token, token: y}}"), 5,
                        new String[] {"'model' is required"}),
                Arguments.of(lines("merge_method: linear", MODELS, "tokenizer:", "  tokens:",
                        "    x: {source: {kind: magic}}"), 5,
                        new String[] {"'tokenizer.tokens.x.source.kind' must be \"model_token\" or \"zero\""}),
                Arguments.of(lines("merge_method: linear", MODELS, "tokenizer:", "  tokens:",
                        "    x: {force: maybe}"), 5, new String[] {"'tokenizer.tokens.x.force' must be true or false"}),
                Arguments.of(lines("merge_method: linear", MODELS, "tokenizer:", "  tokens:",
                        "    x: {source: {kind: model_token, model: a, token_id: -1}}"), 5,
                        new String[] {"'tokenizer.tokens.x.source.token_id' must be a non-negative integer"}),
                Arguments.of(lines("merge_method: linear", MODELS, "merge_method: ties"), 3,
                        new String[] {"duplicate key 'merge_method'", "first at line 1"}),
                Arguments.of(lines("merge_method: linear", MODELS, "parameters: {weight: !custom 1}"), 3,
                        new String[] {"'parameters.weight' has an unsupported tag !custom"}),
                Arguments.of(lines("merge_method: linear", "models: [{model: a}", "dtype: float32"), 3,
                        new String[] {"invalid YAML"}),
                Arguments.of(lines("- merge_method: linear"), 1, new String[] {"'config' must be a mapping"}));
    }

    @ParameterizedTest
    @MethodSource("errors")
    void namesFileLineAndKey(String yaml, int line, String[] fragments) {
        assertThatThrownBy(() -> ConfigLoader.parse(yaml, "config.yml"))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> {
                    assertThat(e.getMessage()).startsWith("config.yml line " + line + ":");
                    assertThat(e.getMessage()).contains(fragments);
                    assertThat(e.getMessage()).doesNotContain("\n");
                    assertThat(((ConfigException) e).exitCode()).isEqualTo(2);
                });
    }
}
