package dev.jmerge.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.ConfigException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** Mixtral's and Qwen3-MoE's config.json keys as the forward pass reads them, with transformers' defaults. */
class SparseConfigTest {

    private static ModelConfig parse(String arch, String extra) {
        String json = "{\"architectures\": [\"" + arch + "\"], \"hidden_size\": 64, \"intermediate_size\": 96,"
                + " \"num_attention_heads\": 4, \"num_hidden_layers\": 4, \"vocab_size\": 100" + extra + "}";
        return ModelConfig.parse(Path.of("m/config.json"), JsonMapper.builder().build().readTree(json));
    }

    @Test
    void mixtralRoutesEveryLayerAndAlwaysRenormalises() {
        ModelConfig c = parse("MixtralForCausalLM", ", \"num_local_experts\": 8, \"sliding_window\": null");
        assertThat(c.moe().experts()).isEqualTo(8);
        assertThat(c.moe().topK()).isEqualTo(2);
        assertThat(c.moe().normTopK()).isTrue();
        assertThat(c.moe().intermediate()).isEqualTo(96);
        assertThat(c.moe().sparseLayers()).containsOnly(true);
        assertThat(c.slidingWindow()).containsOnly(0);
        assertThat(c.rmsEps()).isEqualTo(1e-5);
        assertThat(parse("MixtralForCausalLM", ", \"num_local_experts\": 8, \"sliding_window\": 6").slidingWindow())
                .containsOnly(6);
        assertThat(parse("LlamaForCausalLM", "").moe()).isNull();
        assertThat(c.summary()).endsWith(", 8 experts (2 per token)");
    }

    @Test
    void qwen3MoeKeepsTheLayersItsConfigLeavesDense() {
        ModelConfig c = parse("Qwen3MoeForCausalLM", ", \"num_experts\": 4, \"num_experts_per_tok\": 3,"
                + " \"moe_intermediate_size\": 32, \"decoder_sparse_step\": 2, \"mlp_only_layers\": [3]");
        assertThat(c.moe().experts()).isEqualTo(4);
        assertThat(c.moe().topK()).isEqualTo(3);
        assertThat(c.moe().normTopK()).isFalse();
        assertThat(c.moe().intermediate()).isEqualTo(32);
        // layer i is sparse when (i + 1) % step == 0 and it is not listed in mlp_only_layers
        assertThat(c.moe().sparseLayers()).containsExactly(false, true, false, false);
        assertThat(parse("Qwen3MoeForCausalLM", ", \"num_experts\": 8, \"norm_topk_prob\": true").moe().normTopK()).isTrue();
    }

    @Test
    void impossibleRoutingIsRefused() {
        assertThatThrownBy(() -> parse("MixtralForCausalLM", "")).isInstanceOf(ConfigException.class)
                .hasMessage("m/config.json: 'num_local_experts' is missing");
        assertThatThrownBy(() -> parse("MixtralForCausalLM", ", \"num_local_experts\": 2, \"num_experts_per_tok\": 3"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("m/config.json: num_experts_per_tok 3 is more than the 2 experts");
    }
}
