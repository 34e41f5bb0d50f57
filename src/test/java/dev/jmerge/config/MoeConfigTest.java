package dev.jmerge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.ConfigException;
import dev.jmerge.tensor.DType;
import org.junit.jupiter.api.Test;

/** mergekit-moe configs: mergekit's defaults, every field, positions for messages; shape errors are in MoeCliTest. */
class MoeConfigTest {

    @Test
    void defaultsAreMergekitMoes() {
        MoeConfig c = ConfigLoader.parseMoe("""
                base_model: org/base
                experts:
                  - source_model: org/a
                    positive_prompts: ["x"]
                """, "moe.yml").config();
        assertThat(c.gateMode()).isEqualTo(MoeConfig.GateMode.HIDDEN);
        assertThat(c.expertsPerToken()).isEqualTo(2);
        assertThat(c.dtype()).isNull();
        assertThat(c.architecture()).isNull();
        assertThat(c.sharedExperts()).isNull();
        assertThat(c.shared()).isEmpty();
        MoeConfig.Expert e = c.experts().getFirst();
        assertThat(e.negativePrompts()).isNull();
        assertThat(e.noiseScale()).isNull();
        assertThat(e.residualScale()).isNull();
        assertThat(e.pos()).isEqualTo(new SourcePos("moe.yml", 3, 5));
    }

    @Test
    void everyFieldIsRead() {
        LoadedMoeConfig loaded = ConfigLoader.parseMoe("""
                base_model: {model: {path: org/base, revision: v2}}
                architecture: qwen
                gate_mode: cheap_embed
                dtype: float16
                experts_per_token: 1.0
                experts:
                  - source_model: org/a+org/lora
                    positive_prompts: ["x", "y"]
                    negative_prompts: []
                    noise_scale: 0.01
                    residual_scale: 2
                shared_experts:
                  - source_model: org/s
                    positive_prompts: ["z"]
                    typo: 1
                """, "moe.yml");
        MoeConfig c = loaded.config();
        assertThat(c.baseModel().model()).isEqualTo(new ModelPath("org/base", "v2"));
        assertThat(c.architecture()).isEqualTo("qwen");
        assertThat(c.gateMode()).isEqualTo(MoeConfig.GateMode.CHEAP_EMBED);
        assertThat(c.dtype()).isEqualTo(DType.F16);
        assertThat(c.expertsPerToken()).isEqualTo(1);
        MoeConfig.Expert e = c.experts().getFirst();
        assertThat(e.sourceModel().toString()).isEqualTo("org/a+org/lora");
        assertThat(e.positivePrompts()).containsExactly("x", "y");
        assertThat(e.negatives()).isEmpty();
        assertThat(e.noiseScale()).isEqualTo(0.01);
        assertThat(e.residualScale()).isEqualTo(2.0);
        assertThat(c.shared()).singleElement().satisfies(s -> assertThat(s.hasPositivePrompts()).isTrue());
        assertThat(loaded.diagnostics()).map(dev.jmerge.diagnostic.Diagnostic::message)
                .containsExactly("moe.yml line 15: unknown key 'typo' in an entry of 'shared_experts' ignored");
        assertThat(c.yamlText()).startsWith("base_model: {model:");
    }

    @Test
    void emptyPromptListsCountAsNone() {
        MoeConfig.Expert e = ConfigLoader.parseMoe("base_model: b\nexperts:\n  - source_model: a\n    positive_prompts: []\n",
                "m.yml").config().experts().getFirst();
        assertThat(e.hasPositivePrompts()).isFalse();
        assertThat(e.hasPrompts()).isFalse();
    }

    @Test
    void aMoeDocumentInAMultiDocumentRecipeIsSentToJmergeMoe() {
        assertThatThrownBy(() -> ConfigLoader.parse("""
                merge_method: linear
                models: [{model: a, parameters: {weight: 1}}]
                ---
                base_model: b
                experts: [{source_model: a}]
                """, "r.yml")).isInstanceOf(ConfigException.class)
                .hasMessage("r.yml line 4: this document is a mergekit-moe config (it has 'experts:'); a MoE model is"
                        + " built from a config file of its own, with 'jmerge moe CONFIG OUT'");
    }
}
