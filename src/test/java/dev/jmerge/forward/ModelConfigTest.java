package dev.jmerge.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.ConfigException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** config.json as the forward pass reads it: defaults, sliding windows per family, rope settings, refusals. */
class ModelConfigTest {

    private static final Path FILE = Path.of("m/config.json");

    private static ModelConfig parse(String extra) { return parse("LlamaForCausalLM", extra); }

    private static ModelConfig parse(String arch, String extra) {
        String json = "{\"architectures\": [\"" + arch + "\"], \"hidden_size\": 64, \"intermediate_size\": 96,"
                + " \"num_attention_heads\": 4, \"num_hidden_layers\": 4, \"vocab_size\": 100" + extra + "}";
        return ModelConfig.parse(FILE, JsonMapper.builder().build().readTree(json));
    }

    @Test
    void defaultsFollowTransformers() {
        ModelConfig c = parse("");
        assertThat(c.kvHeads()).isEqualTo(4);
        assertThat(c.headDim()).isEqualTo(16);
        assertThat(c.rmsEps()).isEqualTo(1e-6);
        assertThat(parse("MistralForCausalLM", "").rmsEps()).isEqualTo(1e-6);
        assertThat(c.tiedEmbeddings()).isFalse();
        assertThat(c.slidingWindow()).containsOnly(0);
        assertThat(c.rope().type()).isEqualTo("default");
        assertThat(c.rope().theta()).isEqualTo(10000.0);
        assertThat(parse("Qwen2ForCausalLM", "").rmsEps()).isEqualTo(1e-6);
        assertThat(parse(", \"head_dim\": 24").headDim()).isEqualTo(24);
    }

    @Test
    void slidingWindowsPerFamily() {
        assertThat(parse("MistralForCausalLM", ", \"sliding_window\": 8").slidingWindow()).containsExactly(8, 8, 8, 8);
        assertThat(parse("MistralForCausalLM", ", \"sliding_window\": null").slidingWindow()).containsOnly(0);
        // Qwen: only with use_sliding_window, and from max_window_layers on.
        assertThat(parse("Qwen2ForCausalLM", ", \"sliding_window\": 8").slidingWindow()).containsOnly(0);
        assertThat(parse("Qwen2ForCausalLM", ", \"sliding_window\": 8, \"use_sliding_window\": true, \"max_window_layers\": 2")
                .slidingWindow()).containsExactly(0, 0, 8, 8);
        assertThat(parse("Qwen3ForCausalLM", ", \"sliding_window\": 8, \"layer_types\": [\"full_attention\","
                + " \"sliding_attention\", \"full_attention\", \"sliding_attention\"]").slidingWindow()).containsExactly(0, 8, 0, 8);
        assertThatThrownBy(() -> parse(", \"layer_types\": [\"full_attention\"]")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("layer_types has 1 entries, expected num_hidden_layers = 4");
    }

    @Test
    void ropeSettings() {
        ModelConfig c = parse(", \"rope_theta\": 500000.0, \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0,"
                + " \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}");
        assertThat(c.rope().type()).isEqualTo("llama3");
        assertThat(c.rope().theta()).isEqualTo(500000.0);
        // Newer configs: rope_parameters carries the theta and the type.
        ModelConfig v5 = parse(", \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 1000000.0}");
        assertThat(v5.rope().theta()).isEqualTo(1000000.0);
        assertThat(parse(", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}").rope().type()).isEqualTo("linear");
        assertThatThrownBy(() -> parse(", \"rope_scaling\": {\"rope_type\": \"longrope\", \"factor\": 2.0}"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("rope_scaling type 'longrope' is not supported");
    }

    @Test
    void linearAndDynamicScalingByHand() {
        RopeScaling linear = parse(", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 4.0}").rope();
        double[] plain = RopeScaling.plain(10000.0, 16).inverseFrequencies(10);
        double[] scaled = linear.inverseFrequencies(10);
        for (int i = 0; i < 8; i++) assertThat(scaled[i]).isEqualTo(plain[i] / 4);
        // Dynamic: unchanged up to the trained length, then base' = base·(f·len/max − (f−1))^(d/(d−2)).
        RopeScaling dyn = parse(", \"max_position_embeddings\": 16, \"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 2.0}").rope();
        assertThat(dyn.inverseFrequencies(16)).containsExactly(plain);
        double base = 10000.0 * Math.pow(2.0 * 32 / 16 - 1, 16 / 14.0);
        assertThat(dyn.inverseFrequencies(32)[3]).isCloseTo(1 / Math.pow(base, 6 / 16.0), org.assertj.core.data.Offset.offset(1e-15));
    }

    @Test
    void refusals() {
        assertThatThrownBy(() -> parse("GPT2LMHeadModel", "")).isInstanceOf(ConfigException.class)
                .hasMessage("m/config.json: architecture 'GPT2LMHeadModel' is not supported by the forward pass"
                        + " (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM,"
                        + " MixtralForCausalLM, Qwen3MoeForCausalLM)");
        assertThatThrownBy(() -> parse(", \"hidden_act\": \"gelu\"")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("hidden_act 'gelu' is not supported");
        assertThatThrownBy(() -> parse(", \"num_key_value_heads\": 3")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("not a multiple of num_key_value_heads 3");
    }
}
