package dev.jmerge.config;

import static dev.jmerge.config.ConfigLoaderTestSupport.lines;
import static dev.jmerge.config.ConfigLoaderTestSupport.one;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.error.ConfigException;
import dev.jmerge.tensor.DType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every schema element of compat §1 and §6 binds to the records as written. */
class ConfigSchemaTest {

    @Test
    void modelsWithParametersAndTopLevelKeys() {
        MergeConfig c = one(lines(
                "merge_method: ties",
                "base_model: org/base@v2",
                "models:",
                "  - model: a",
                "    parameters:",
                "      weight: 0.5",
                "      density: [0, 1]",
                "  - model: b",
                "parameters:",
                "  normalize: true",
                "  lambda: 0.8",
                "dtype: bfloat16",
                "out_dtype: torch.float16",
                "chat_template: chatml",
                "name: step1"));
        assertThat(c.mergeMethod()).isEqualTo("ties");
        assertThat(c.mergeMethodPos()).isEqualTo(new SourcePos("config.yml", 1, 15));
        assertThat(c.baseModel()).isEqualTo(new ModelReference(new ModelPath("org/base", "v2"), null, null));
        assertThat(c.baseModelPos().line()).isEqualTo(2);
        assertThat(c.models()).hasSize(2);
        InputModel a = c.models().getFirst();
        assertThat(a.model()).isEqualTo(ModelReference.of("a"));
        assertThat(a.pos().line()).isEqualTo(4);
        assertThat(a.parameters().get("weight").value()).isEqualTo(new ParameterValue.Scalar(0.5));
        assertThat(a.parameters().get("weight").pos().line()).isEqualTo(6);
        assertThat(a.parameters().get("density").value()).isEqualTo(new ParameterValue.Gradient(List.of(0.0, 1.0)));
        assertThat(c.models().get(1).parameters()).isSameAs(Parameters.NONE);
        assertThat(c.parameters().get("normalize").value()).isEqualTo(new ParameterValue.Scalar(1.0));
        assertThat(c.parameters().get("lambda").value()).isEqualTo(new ParameterValue.Scalar(0.8));
        assertThat(c.dtype()).isEqualTo(DType.BF16);
        assertThat(c.outDtype()).isEqualTo(DType.F16);
        assertThat(c.chatTemplate()).isEqualTo("chatml");
        assertThat(c.name()).isEqualTo("step1");
        assertThat(c.slices()).isNull();
        assertThat(c.modules()).isNull();
        assertThat(c.tokenizer()).isNull();
        assertThat(c.fileName()).isEqualTo("config.yml");
    }

    @Test
    void absentOptionalsAreNullOrNone() {
        MergeConfig c = one(lines("merge_method: linear", "models: [{model: a}]", "base_model: ~", "dtype: null"));
        assertThat(c.baseModel()).isNull();
        assertThat(c.baseModelPos()).isNull();
        assertThat(c.dtype()).isNull();
        assertThat(c.outDtype()).isNull();
        assertThat(c.parameters()).isSameAs(Parameters.NONE);
        assertThat(c.chatTemplate()).isNull();
        assertThat(c.name()).isNull();
    }

    @Test
    void slicesWithSourcesRangesAndParameters() {
        MergeConfig c = one(lines(
                "merge_method: slerp",
                "slices:",
                "  - sources:",
                "      - model: a",
                "        layer_range: [0, 4]",
                "        parameters: {weight: 1}",
                "      - model: b",
                "        layer_range: [4, 8]",
                "    base_model: a",
                "    parameters:",
                "      t: 0.3",
                "    residual_weight: 0.1",
                "  - sources:",
                "      - model: b",
                "        layer_range: [8, 9]"));
        assertThat(c.slices()).hasSize(2);
        OutputSlice s = c.slices().getFirst();
        assertThat(s.pos().line()).isEqualTo(3);
        assertThat(s.baseModel()).isEqualTo(ModelReference.of("a"));
        assertThat(s.parameters().get("t").value()).isEqualTo(new ParameterValue.Scalar(0.3));
        assertThat(s.sources()).extracting(SliceSource::model)
                .containsExactly(ModelReference.of("a"), ModelReference.of("b"));
        LayerRange r = s.sources().get(1).layerRange();
        assertThat(r.start()).isEqualTo(4);
        assertThat(r.end()).isEqualTo(8);
        assertThat(r.length()).isEqualTo(4);
        assertThat(r.pos().line()).isEqualTo(8);
        assertThat(s.sources().getFirst().parameters().get("weight").value())
                .isEqualTo(new ParameterValue.Scalar(1.0));
        assertThat(c.slices().get(1).baseModel()).isNull();
        assertThat(c.slices().get(1).sources().getFirst().layerRange().length()).isEqualTo(1);
    }

    @Test
    void modulesWithModelsOrSlices() {
        MergeConfig c = one(lines(
                "merge_method: linear",
                "modules:",
                "  text_decoder:",
                "    models:",
                "      - model: a",
                "        parameters: {weight: 1}",
                "    parameters: {normalize: false}",
                "  vision_tower:",
                "    slices:",
                "      - sources:",
                "          - {model: b, layer_range: [0, 2]}"));
        assertThat(c.modules()).containsOnlyKeys("text_decoder", "vision_tower");
        ModuleConfig text = c.modules().get("text_decoder");
        assertThat(text.name()).isEqualTo("text_decoder");
        assertThat(text.pos().line()).isEqualTo(3);
        assertThat(text.models()).hasSize(1);
        assertThat(text.slices()).isNull();
        assertThat(text.parameters().get("normalize").value()).isEqualTo(new ParameterValue.Scalar(0.0));
        ModuleConfig vision = c.modules().get("vision_tower");
        assertThat(vision.models()).isNull();
        assertThat(vision.slices().getFirst().sources().getFirst().layerRange().end()).isEqualTo(2);
        assertThat(vision.parameters()).isSameAs(Parameters.NONE);
    }

    @Test
    void parameterForms() {
        MergeConfig c = one(lines(
                "merge_method: slerp",
                "models: [{model: a}]",
                "parameters:",
                "  scalar: 0.25",
                "  int: 2",
                "  flag: yes",
                "  text_number: '0.75'",
                "  gradient: [0, 0.5, 1]",
                "  conditions:",
                "    - filter: self_attn",
                "      value: [0, 1]",
                "    - filter: mlp",
                "      value: 0.2",
                "    - value: 0.5",
                "  single: {filter: mlp, value: 0.9}"));
        Parameters p = c.parameters();
        assertThat(p.values()).containsOnlyKeys("scalar", "int", "flag", "text_number", "gradient", "conditions",
                "single");
        assertThat(p.get("scalar").value()).isEqualTo(new ParameterValue.Scalar(0.25));
        assertThat(p.get("int").value()).isEqualTo(new ParameterValue.Scalar(2.0));
        assertThat(p.get("flag").value()).isEqualTo(new ParameterValue.Scalar(1.0));
        assertThat(p.get("text_number").value()).isEqualTo(new ParameterValue.Scalar(0.75));
        assertThat(p.get("gradient").value()).isEqualTo(new ParameterValue.Gradient(List.of(0.0, 0.5, 1.0)));
        assertThat(p.get("conditions").value()).isEqualTo(new ParameterValue.Conditions(List.of(
                new ParameterValue.Condition("self_attn", new ParameterValue.Gradient(List.of(0.0, 1.0))),
                new ParameterValue.Condition("mlp", new ParameterValue.Scalar(0.2)),
                new ParameterValue.Condition(null, new ParameterValue.Scalar(0.5)))));
        assertThat(p.get("single").value()).isEqualTo(new ParameterValue.Conditions(List.of(
                new ParameterValue.Condition("mlp", new ParameterValue.Scalar(0.9)))));
        assertThat(p.get("conditions").pos().line()).isEqualTo(10);
        assertThat(p.pos().line()).isEqualTo(4);
    }

    @Test
    void modelReferenceStringsAndDictForms() {
        MergeConfig c = one(lines(
                "merge_method: linear",
                "models:",
                "  - model: org/m@main+org/lora@r1",
                "  - model: {model: {path: p, revision: r}, lora: {path: l}, override_architecture: LlamaForCausalLM}",
                "  - model: {model: 'q@dev', lora: 'l2@x'}",
                "  - model: {model: plain}"));
        assertThat(c.models()).extracting(InputModel::model).containsExactly(
                new ModelReference(new ModelPath("org/m", "main"), new ModelPath("org/lora", "r1"), null),
                new ModelReference(new ModelPath("p", "r"), new ModelPath("l", null), "LlamaForCausalLM"),
                new ModelReference(new ModelPath("q", "dev"), new ModelPath("l2", "x"), null),
                ModelReference.of("plain"));
    }

    @Test
    void parseReferenceGrammar() {
        SourcePos pos = new SourcePos("c.yml", 3, 1);
        assertThat(ConfigLoader.parseReference("a", pos)).isEqualTo(ModelReference.of("a"));
        assertThat(ConfigLoader.parseReference("a@r", pos))
                .isEqualTo(new ModelReference(new ModelPath("a", "r"), null, null));
        assertThat(ConfigLoader.parseReference("a+b", pos))
                .isEqualTo(new ModelReference(new ModelPath("a", null), new ModelPath("b", null), null));
        assertThat(ConfigLoader.parseReference("./models/x@1.0+/abs/lora@abc", pos)).isEqualTo(
                new ModelReference(new ModelPath("./models/x", "1.0"), new ModelPath("/abs/lora", "abc"), null));
        assertThat(ConfigLoader.parseReference("a@r+b", pos).toString()).isEqualTo("a@r+b");
    }

    @Test
    void legacyTokenizerSource() {
        for (String src : List.of("base", "union")) {
            TokenizerConfig t = one(lines("merge_method: linear", "models: [{model: a}]",
                    "tokenizer_source: " + src)).tokenizer();
            assertThat(t.source()).isEqualTo(src);
            assertThat(t.sourceModel()).isNull();
            assertThat(t.legacy()).isTrue();
            assertThat(t.tokens()).isEmpty();
            assertThat(t.padToMultipleOf()).isNull();
            assertThat(t.pos().line()).isEqualTo(3);
        }
        TokenizerConfig t = one(lines("merge_method: linear", "models: [{model: a}]", "tokenizer_source: org/m@r"))
                .tokenizer();
        assertThat(t.sourceModel()).isEqualTo(new ModelReference(new ModelPath("org/m", "r"), null, null));
        assertThat(t.source()).isEqualTo("org/m@r");
    }

    @Test
    void modernTokenizerBlock() {
        TokenizerConfig t = one(lines(
                "merge_method: linear",
                "models: [{model: a}]",
                "tokenizer:",
                "  source: b",
                "  pad_to_multiple_of: 64",
                "  tokens:",
                "    \"<|im_start|>\":",
                "      source: a",
                "      force: true",
                "    \"<|im_end|>\":",
                "      source: {kind: model_token, model: b, token: \"</s>\"}",
                "    \"<pad>\":",
                "      source: {kind: model_token, model: b, token_id: 2}",
                "    \"<zero>\":",
                "      source: {kind: zero}",
                "    \"<keep>\":",
                "      force: off")).tokenizer();
        assertThat(t.legacy()).isFalse();
        assertThat(t.source()).isEqualTo("b");
        assertThat(t.sourceModel()).isEqualTo(ModelReference.of("b"));
        assertThat(t.padToMultipleOf()).isEqualTo(64);
        assertThat(t.tokens()).containsOnlyKeys("<|im_start|>", "<|im_end|>", "<pad>", "<zero>", "<keep>");
        var start = t.tokens().get("<|im_start|>");
        assertThat(start.kind()).isEqualTo("model");
        assertThat(start.model()).isEqualTo(ModelReference.of("a"));
        assertThat(start.force()).isTrue();
        assertThat(start.pos().line()).isEqualTo(8);
        var end = t.tokens().get("<|im_end|>");
        assertThat(end.kind()).isEqualTo("model_token");
        assertThat(end.model()).isEqualTo(ModelReference.of("b"));
        assertThat(end.token()).isEqualTo("</s>");
        assertThat(end.tokenId()).isNull();
        assertThat(end.force()).isFalse();
        var pad = t.tokens().get("<pad>");
        assertThat(pad.token()).isNull();
        assertThat(pad.tokenId()).isEqualTo(2);
        assertThat(t.tokens().get("<zero>").kind()).isEqualTo("zero");
        var keep = t.tokens().get("<keep>");
        assertThat(keep.kind()).isNull();
        assertThat(keep.force()).isFalse();
    }

    @Test
    void tokenizerSourceDefaultsToUnion() {
        TokenizerConfig t = one(lines("merge_method: linear", "models: [{model: a}]", "tokenizer:",
                "  tokens: {\"<x>\": {source: {kind: zero}}}")).tokenizer();
        assertThat(t.source()).isEqualTo("union");
        assertThat(t.sourceModel()).isNull();
        assertThat(t.padToMultipleOf()).isNull();
    }

    @Test
    void unknownKeysBecomeWarningsWithLineKeyAndTheLikelyIntendedKey() {
        MergeConfig c = ConfigLoader.parse(lines(
                "merge_method: linear",
                "models:",
                "  - model: a",
                "    parameter: {weight: 1}",
                "slices_typo: 3",
                "lora_merge_cache: /tmp",
                "out_dtyp: float16",
                "tokenizer_sorce: base",
                "tokenizer: {sorce: base, pad_to_multiple: 8}"), "config.yml").getFirst();
        assertThat(c.diagnostics()).map(Diagnostic::message).containsExactly(
                "config.yml line 4: unknown key 'parameter' in a 'models' entry ignored; did you mean 'parameters'?",
                "config.yml line 5: unknown key 'slices_typo' ignored",
                "config.yml line 6: unknown key 'lora_merge_cache' ignored",
                "config.yml line 7: unknown key 'out_dtyp' ignored; did you mean 'out_dtype'?",
                "config.yml line 8: unknown key 'tokenizer_sorce' ignored; did you mean 'tokenizer_source'?",
                "config.yml line 9: unknown key 'sorce' in 'tokenizer' ignored; did you mean 'source'?",
                "config.yml line 9: unknown key 'pad_to_multiple' in 'tokenizer' ignored");
        assertThat(c.diagnostics()).allMatch(Diagnostic::configMistake);
        assertThat(c.models().getFirst().parameters()).isSameAs(Parameters.NONE);
    }

    @Test
    void mergekitsOwnKeysThatJmergeDoesNotUseAreNotUnknown() {
        MergeConfig c = ConfigLoader.parse(lines(
                "name: my-merge",
                "merge_method: linear",
                "slices:",
                "  - sources:",
                "      - model: a",
                "        layer_range: [0, 2]",
                "        parameters: {weight: 1}",
                "    residual_weight: 0.5",
                "tokenizer: {source: union, tokens: {\"<x>\": {source: {kind: zero}, force: true}},"
                        + " pad_to_multiple_of: 8}",
                "chat_template: auto"), "config.yml").getFirst();
        assertThat(c.diagnostics()).isEmpty();
    }

    @Test
    void anchorsAliasesAndMergeKeys() {
        MergeConfig c = one(lines(
                "common: &p {weight: 0.5, density: 0.3}",
                "merge_method: ties",
                "base_model: &base org/base",
                "models:",
                "  - model: a",
                "    parameters:",
                "      <<: *p",
                "      density: 0.9",
                "  - model: *base"));
        Parameters p = c.models().getFirst().parameters();
        assertThat(p.get("weight").value()).isEqualTo(new ParameterValue.Scalar(0.5));
        assertThat(p.get("density").value()).isEqualTo(new ParameterValue.Scalar(0.9));
        assertThat(c.models().get(1).model()).isEqualTo(ModelReference.of("org/base"));
    }

    @Test
    void multiDocumentTextIsSlicedPerDocument() {
        String first = lines("# the intermediate", "name: step1", "merge_method: linear", "models: [{model: a}]");
        String second = lines("merge_method: slerp", "base_model: step1", "models: [{model: step1}, {model: b}]");
        List<MergeConfig> docs = ConfigLoader.parse(first + "---\n" + second + "---\n", "multi.yml");
        assertThat(docs).hasSize(2);
        assertThat(docs.get(0).yamlText()).isEqualTo(first);
        assertThat(docs.get(1).yamlText()).isEqualTo(second);
        assertThat(docs.get(1).mergeMethodPos().line()).isEqualTo(6);
        assertThat(docs.get(1).yamlText()).isEqualTo(ConfigLoader.parse(second, "x").getFirst().yamlText());
    }

    @Test
    void singleDocumentKeepsTheWholeFile() {
        String text = lines("# header comment", "---", "merge_method: linear", "models: [{model: a}]", "# tail");
        assertThat(one(text).yamlText()).isEqualTo(text);
    }

    @Test
    void parseReferenceRefusesBadGrammarNamingThePosition() {
        SourcePos pos = new SourcePos("c.yml", 3, 1);
        Map<String, String> cases = Map.of(
                "a+b+c", "more than one '+'", "a@b@c", "more than one '@'", "a+b@1@2", "more than one '@'",
                "@r", "empty path", "a@", "empty revision", "+l", "empty path");
        cases.forEach((bad, problem) -> assertThatThrownBy(() -> ConfigLoader.parseReference(bad, pos))
                .as(bad)
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("c.yml line 3: 'model' model ")
                .hasMessageContaining(problem));
    }

    @Test
    void windowsLineEndingsSliceCleanly() {
        String first = "name: a\r\nmerge_method: linear\r\nmodels: [{model: x}]\r\n";
        String second = "merge_method: linear\r\nmodels: [{model: a}]\r\n";
        List<MergeConfig> docs = ConfigLoader.parse(first + "---\r\n" + second, "crlf.yml");
        assertThat(docs).extracting(MergeConfig::yamlText).containsExactly(first, second);
        assertThat(docs.get(1).mergeMethodPos().line()).isEqualTo(5);
    }
}
