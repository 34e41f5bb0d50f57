package dev.jmerge.moe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.e2e.ModelFiles;
import dev.jmerge.error.ConfigException;
import dev.jmerge.synth.Family;
import dev.jmerge.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Each output architecture built from tiny models, every tensor checked against its source: base tensors equal
 * the base's, each expert's MLP equals its model's (stacked in the fused layouts), shared experts, routers of the
 * right shape with unit rows, zero biases where Qwen2-MoE needs them, and the config.json keys.
 */
class MoeArchitecturesTest {

    @TempDir
    static Path dir;
    static Path llama;
    static Path qwen2;
    static Path qwen3;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int H = MoeFixtures.SHAPE.hidden(), I = MoeFixtures.SHAPE.intermediate();
    private static final int L = MoeFixtures.SHAPE.layers();

    @BeforeAll
    static void models() {
        llama = MoeFixtures.family(dir, "llama", Family.LLAMA, MoeFixtures.SHAPE);
        qwen2 = MoeFixtures.family(dir, "qwen2", Family.QWEN2, MoeFixtures.SHAPE);
        qwen3 = MoeFixtures.family(dir, "qwen3", Family.qwen3(16), MoeFixtures.SHAPE);
    }

    private static String experts(Path family, String extra) {
        return """
                experts:
                  - source_model: %1$s/ft1
                    positive_prompts: ["w10 w11 w12"]
                  - source_model: %1$s/ft2
                    positive_prompts: ["w20 w21", "w22"]
                    negative_prompts: ["w10"]
                  - source_model: %1$s/ft3
                    positive_prompts: ["w30 w31 w32 w33"]
                %2$s""".formatted(family, extra);
    }

    @Test
    void mixtralStacksEachExpertsGateAndUpRowsAndItsDownProjection() throws Exception {
        Path yaml = MoeFixtures.yaml(dir, "mixtral.yml", "base_model: " + llama + "/base\ngate_mode: hidden\n"
                + experts(llama, ""));
        Path out = dir.resolve("mixtral");
        List<String> warnings = MoeFixtures.build(yaml, out, 1, 2, false);
        assertThat(warnings).containsExactly("the model has 3 experts, not a power of two: llama.cpp cannot run it");

        Map<String, ModelFiles.Tensor> t = MoeFixtures.read(out);
        Map<String, ModelFiles.Tensor> base = MoeFixtures.read(llama.resolve("base"));
        Set<String> expected = new HashSet<>();
        for (String n : base.keySet()) if (!n.contains(".mlp.")) expected.add(n);
        for (int l = 0; l < L; l++) {
            String p = "model.layers." + l + ".mlp.";
            expected.addAll(List.of(p + "experts.gate_up_proj", p + "experts.down_proj", p + "gate.weight"));
        }
        assertThat(t.keySet()).containsExactlyInAnyOrderElementsOf(expected);
        assertBaseTensorsCopied(t, base);
        for (int l = 0; l < L; l++) {
            String p = "model.layers." + l + ".mlp.";
            ModelFiles.Tensor gateUp = t.get(p + "experts.gate_up_proj"), down = t.get(p + "experts.down_proj");
            assertThat(gateUp.info().shape().dims()).containsExactly(3, 2 * I, H);
            assertThat(down.info().shape().dims()).containsExactly(3, H, I);
            for (int e = 0; e < 3; e++) {
                Map<String, ModelFiles.Tensor> src = MoeFixtures.read(llama.resolve("ft" + (e + 1)));
                int block = I * H;
                assertThat(slice(gateUp.values(), 2 * e * block, block)).as("gate rows of expert %d", e)
                        .containsExactly(src.get(p + "gate_proj.weight").values());
                assertThat(slice(gateUp.values(), (2 * e + 1) * block, block)).as("up rows of expert %d", e)
                        .containsExactly(src.get(p + "up_proj.weight").values());
                assertThat(slice(down.values(), e * block, block)).containsExactly(src.get(p + "down_proj.weight").values());
            }
            assertUnitRows(t.get(p + "gate.weight"), 3);
        }

        JsonNode c = JSON.readTree(Files.readString(out.resolve("config.json")));
        assertThat(c.get("architectures").toString()).isEqualTo("[\"MixtralForCausalLM\"]");
        assertThat(c.get("model_type").asString()).isEqualTo("mixtral");
        assertThat(c.get("num_local_experts").asInt()).isEqualTo(3);
        assertThat(c.get("num_experts_per_tok").asInt()).isEqualTo(2);
        assertThat(c.get("sliding_window").isNull()).isTrue();
        assertThat(c.get("dtype").asString()).isEqualTo("bfloat16");
        assertThat(c.has("torch_dtype")).isFalse();
        assertThat(c.get("router_aux_loss_coef").asDouble()).isEqualTo(0.001);
        assertThat(c.get("output_router_logits").asBoolean()).isFalse();
        assertThat(c.get("hidden_size").asInt()).isEqualTo(H);
        assertThat(c.get("intermediate_size").asInt()).isEqualTo(I);
        assertThat(c.get("rope_theta").asDouble()).isEqualTo(10000.0);
        List<String> keys = c.propertyNames().stream().toList();
        assertThat(keys).isSorted();

        JsonNode tok = JSON.readTree(Files.readString(out.resolve("tokenizer_config.json")));
        assertThat(tok.get("padding_side").asString()).isEqualTo("left");
        assertThat(tok.get("pad_token").asString()).isEqualTo("<s>");
        assertThat(Files.readAllBytes(out.resolve("mergekit_moe_config.yml"))).isEqualTo(Files.readAllBytes(yaml));
        assertThat(Files.readString(out.resolve("README.md"))).contains("Mixtral", "`MixtralForCausalLM`", "3 experts",
                "gate_mode: hidden");
        assertThat(Files.readString(out.resolve("tokenizer.json")))
                .isEqualTo(Files.readString(llama.resolve("base/tokenizer.json")));
    }

    @Test
    void deepseekTakesASharedExpertWithoutPromptsAsPerExpertTensors() throws Exception {
        // ft3 is neither the base nor a routed expert (mergekit crashes on that); a shared expert without prompts
        // rules out Qwen MoE in hidden mode, so DeepSeek is the only fit
        Path yaml = MoeFixtures.yaml(dir, "deepseek.yml", """
                base_model: %1$s/base
                dtype: float32
                experts:
                  - source_model: %1$s/ft1
                    positive_prompts: ["w10 w11 w12"]
                  - source_model: %1$s/ft2
                    positive_prompts: ["w20 w21"]
                shared_experts:
                  - source_model: %1$s/ft3
                """.formatted(llama));
        Path out = dir.resolve("deepseek");
        assertThat(MoeFixtures.build(yaml, out, 1, 1, false)).isEmpty();
        Map<String, ModelFiles.Tensor> t = MoeFixtures.read(out);
        Map<String, ModelFiles.Tensor> base = MoeFixtures.read(llama.resolve("base"));
        assertBaseTensorsCopied(t, base);
        for (int l = 0; l < L; l++) {
            String p = "model.layers." + l + ".mlp.";
            for (String proj : List.of("gate_proj", "up_proj", "down_proj")) {
                for (int e = 0; e < 2; e++) {
                    ModelFiles.Tensor x = t.get(p + "experts." + e + "." + proj + ".weight");
                    assertThat(x.info().dtype()).isEqualTo(DType.F32);
                    assertThat(x.values()).containsExactly(MoeFixtures.read(llama.resolve("ft" + (e + 1)))
                            .get(p + proj + ".weight").values());
                }
                assertThat(t.get(p + "shared_experts." + proj + ".weight").values())
                        .containsExactly(MoeFixtures.read(llama.resolve("ft3")).get(p + proj + ".weight").values());
            }
            assertThat(t.get(p + "gate.weight").info().shape().dims()).containsExactly(2, H);
            assertUnitRows(t.get(p + "gate.weight"), 2);
            assertThat(t).doesNotContainKey(p + "shared_expert_gate.weight");
        }
        assertThat(t).hasSize(base.size() - L * 3 + L * (3 * 3 + 1)); // the base's MLPs replaced by 3 x 3 plus a router
        String text = Files.readString(out.resolve("config.json"));
        assertThat(text).startsWith("{\n    \"architectures\": [\n        \"DeepseekForCausalLM\"\n    ],")
                .doesNotEndWith("\n");
        JsonNode c = JSON.readTree(text);
        assertThat(c.get("model_type").asString()).isEqualTo("deepseek");
        assertThat(c.get("n_routed_experts").asInt()).isEqualTo(2);
        assertThat(c.get("n_shared_experts").asInt()).isEqualTo(1);
        assertThat(c.get("num_experts_per_tok").asInt()).isEqualTo(2);
        assertThat(c.get("first_k_dense_replace").asInt()).isZero();
        assertThat(c.get("moe_layer_freq").asInt()).isEqualTo(1);
        assertThat(c.get("scoring_func").asString()).isEqualTo("softmax");
        assertThat(c.get("norm_topk_prob").asBoolean()).isTrue();
        assertThat(c.get("moe_intermediate_size").asInt()).isEqualTo(I);
        assertThat(c.get("torch_dtype").asString()).isEqualTo("float32");
        assertThat(c.get("auto_map").get("AutoModelForCausalLM").asString())
                .isEqualTo("deepseek-ai/deepseek-moe-16b-base--modeling_deepseek.DeepseekForCausalLM");
    }

    @Test
    void deepseekWithoutASharedExpertWritesANullCountWhenNamed() throws Exception {
        Path yaml = MoeFixtures.yaml(dir, "deepseek-named.yml", "base_model: " + llama + "/base\narchitecture: DeepSeek\n"
                + experts(llama, ""));
        try (MoePlan plan = MoeFixtures.plan(yaml, false)) {
            assertThat(plan.arch()).isEqualTo(OutputArchitecture.DEEPSEEK);
            assertThat(JSON.readTree(plan.configJson()).get("n_shared_experts").isNull()).isTrue();
            assertThat(plan.refusals()).isEmpty();
        }
    }

    @Test
    void qwenMoeFromLlamaSynthesisesZeroAttentionBiasesAndGatesTheSharedExpert() throws Exception {
        Path yaml = MoeFixtures.yaml(dir, "qwen-llama.yml", "base_model: " + llama + "/base\ngate_mode: cheap_embed\n"
                + experts(llama, """
                shared_experts:
                  - source_model: %s/base
                    positive_prompts: ["w40 w41"]
                    residual_scale: 0.3
                """.formatted(llama)));
        Path out = dir.resolve("qwen-llama");
        MoeFixtures.build(yaml, out, 1, 2, false);
        Map<String, ModelFiles.Tensor> t = MoeFixtures.read(out);
        Map<String, ModelFiles.Tensor> base = MoeFixtures.read(llama.resolve("base"));
        assertBaseTensorsCopied(t, base);
        int headDim = H / 4;
        for (int l = 0; l < L; l++) {
            String a = "model.layers." + l + ".self_attn.";
            assertThat(t.get(a + "q_proj.bias").values()).hasSize(4 * headDim).containsOnly(0f);
            assertThat(t.get(a + "k_proj.bias").values()).hasSize(2 * headDim).containsOnly(0f);
            assertThat(t.get(a + "v_proj.bias").values()).hasSize(2 * headDim).containsOnly(0f);
            String p = "model.layers." + l + ".mlp.";
            for (int e = 0; e < 3; e++) {
                assertThat(t.get(p + "experts." + e + ".up_proj.weight").values())
                        .containsExactly(MoeFixtures.read(llama.resolve("ft" + (e + 1))).get(p + "up_proj.weight").values());
            }
            assertThat(t.get(p + "shared_expert.gate_proj.weight").values())
                    .containsExactly(base.get(p + "gate_proj.weight").values());
            float[] down = base.get(p + "down_proj.weight").values();
            float[] want = new float[down.length];
            for (int i = 0; i < down.length; i++) want[i] = bf16(down[i] * 0.3f);
            assertThat(t.get(p + "shared_expert.down_proj.weight").values()).containsExactly(want);
            assertThat(t.get(p + "shared_expert_gate.weight").info().shape().dims()).containsExactly(1, H);
            assertUnitRows(t.get(p + "shared_expert_gate.weight"), 1);
            assertUnitRows(t.get(p + "gate.weight"), 3);
        }
        JsonNode c = JSON.readTree(Files.readString(out.resolve("config.json")));
        assertThat(c.get("architectures").get(0).asString()).isEqualTo("Qwen2MoeForCausalLM");
        assertThat(c.get("model_type").asString()).isEqualTo("qwen2_moe");
        assertThat(c.get("num_experts").asInt()).isEqualTo(3);
        assertThat(c.get("decoder_sparse_step").asInt()).isEqualTo(1);
        assertThat(c.get("norm_topk_prob").asBoolean()).isTrue();
        assertThat(c.get("use_sliding_window").asBoolean()).isFalse();
        assertThat(c.get("sliding_window").isNull()).isTrue();
        assertThat(c.get("shared_expert_intermediate_size").asInt()).isEqualTo(I);
        assertThat(c.get("moe_intermediate_size").asInt()).isEqualTo(I);
        assertThat(c.get("mlp_only_layers").isArray()).isTrue();
    }

    @Test
    void qwenMoeFromQwen2KeepsItsBiases() throws Exception {
        Path yaml = MoeFixtures.yaml(dir, "qwen-qwen2.yml", "base_model: " + qwen2 + "/base\narchitecture: qwen\n"
                + "gate_mode: random\n" + experts(qwen2, """
                shared_experts:
                  - source_model: %s/ft3
                """.formatted(qwen2)));
        Path out = dir.resolve("qwen-qwen2");
        MoeFixtures.build(yaml, out, 5, 1, false);
        Map<String, ModelFiles.Tensor> t = MoeFixtures.read(out);
        Map<String, ModelFiles.Tensor> base = MoeFixtures.read(qwen2.resolve("base"));
        assertBaseTensorsCopied(t, base);
        assertThat(base).containsKey("model.layers.0.self_attn.q_proj.bias");
        assertThat(t.get("model.layers.1.mlp.shared_expert_gate.weight").info().shape().dims()).containsExactly(1, H);
        try (MoePlan plan = MoeFixtures.plan(yaml, false)) {
            assertThat(plan.arch()).isEqualTo(OutputArchitecture.QWEN2_MOE);
            assertThat(plan.refusals()).containsEntry(OutputArchitecture.QWEN3_MOE, "it has no shared experts");
        }
    }

    @Test
    void qwen3MoeStacksExpertsAndKeepsTheQkNorms() throws Exception {
        Path yaml = MoeFixtures.yaml(dir, "qwen3.yml", "base_model: " + qwen3 + "/base\ngate_mode: hidden_avg\n"
                + "experts_per_token: 1\n" + experts(qwen3, ""));
        Path out = dir.resolve("qwen3-moe");
        MoeFixtures.build(yaml, out, 1, 2, false);
        Map<String, ModelFiles.Tensor> t = MoeFixtures.read(out);
        Map<String, ModelFiles.Tensor> base = MoeFixtures.read(qwen3.resolve("base"));
        assertBaseTensorsCopied(t, base);
        assertThat(t).containsKey("model.layers.0.self_attn.q_norm.weight");
        for (int l = 0; l < L; l++) {
            String p = "model.layers." + l + ".mlp.";
            ModelFiles.Tensor gateUp = t.get(p + "experts.gate_up_proj");
            assertThat(gateUp.info().shape().dims()).containsExactly(3, 2 * I, H);
            Map<String, ModelFiles.Tensor> ft2 = MoeFixtures.read(qwen3.resolve("ft2"));
            assertThat(slice(gateUp.values(), 3 * I * H, I * H)).containsExactly(ft2.get(p + "up_proj.weight").values());
            assertThat(slice(t.get(p + "experts.down_proj").values(), I * H, I * H))
                    .containsExactly(ft2.get(p + "down_proj.weight").values());
        }
        JsonNode c = JSON.readTree(Files.readString(out.resolve("config.json")));
        assertThat(c.get("architectures").get(0).asString()).isEqualTo("Qwen3MoeForCausalLM");
        assertThat(c.get("model_type").asString()).isEqualTo("qwen3_moe");
        assertThat(c.get("num_experts").asInt()).isEqualTo(3);
        assertThat(c.get("num_experts_per_tok").asInt()).isEqualTo(1);
        assertThat(c.get("moe_intermediate_size").asInt()).isEqualTo(I);
        assertThat(c.get("norm_topk_prob").asBoolean()).isTrue();
        assertThat(c.get("head_dim").asInt()).isEqualTo(16);
    }

    @Test
    void deepseekWinsOverQwenWhenBothFitAndArchitectureNamesTheOther() throws Exception {
        String shared = """
                shared_experts:
                  - source_model: %s/ft3
                """.formatted(llama);
        Path both = MoeFixtures.yaml(dir, "both.yml", "base_model: " + llama + "/base\ngate_mode: random\n"
                + experts(llama, shared));
        try (MoePlan plan = MoeFixtures.plan(both, false)) {
            assertThat(plan.arch()).isEqualTo(OutputArchitecture.DEEPSEEK);
            assertThat(plan.warnings()).anyMatch(w -> w.startsWith("several output architectures fit (DeepSeek MoE,"
                    + " Qwen MoE); writing DeepSeek MoE"));
            // the shared expert gets a random gate row, as mergekit draws one, which DeepSeek does not write
            assertThat(plan.gateExperts()).hasSize(4);
        }
        Path named = MoeFixtures.yaml(dir, "named.yml", "base_model: " + llama + "/base\ngate_mode: random\n"
                + "architecture: QWEN\n" + experts(llama, shared));
        try (MoePlan plan = MoeFixtures.plan(named, false)) {
            assertThat(plan.arch()).isEqualTo(OutputArchitecture.QWEN2_MOE);
            assertThat(plan.refusals()).containsOnlyKeys(OutputArchitecture.QWEN3_MOE);
        }
    }

    @Test
    void anArchitectureThatCannotTakeTheModelsIsRefusedWithItsReason() {
        Path yaml = MoeFixtures.yaml(dir, "qwen3-llama.yml", "base_model: " + llama + "/base\narchitecture: qwen3\n"
                + experts(llama, ""));
        assertThatThrownBy(() -> MoeFixtures.plan(yaml, false)).isInstanceOf(ConfigException.class)
                .hasMessage(yaml + " line 2: no MoE architecture named 'qwen3' can be built from these models (Qwen3 MoE:"
                        + " it takes qwen3 models only (the models are [llama]))");
    }

    @Test
    void anExpertWhoseMlpHasAnotherWidthIsRefusedNamingItsTensor() {
        Path other = MoeFixtures.family(dir, "wide", Family.LLAMA, new dev.jmerge.synth.ModelShape(H, 64, L, 4, 2, 64,
                false, DType.BF16));
        Path yaml = MoeFixtures.yaml(dir, "wide.yml", "base_model: " + llama + "/base\n" + """
                experts:
                  - source_model: %s/ft1
                    positive_prompts: ["w10"]
                  - source_model: %s/ft1
                    positive_prompts: ["w20"]
                """.formatted(llama, other));
        assertThatThrownBy(() -> MoeFixtures.plan(yaml, false)).isInstanceOf(ConfigException.class)
                .hasMessage("expert 1 ('" + other + "/ft1', " + yaml + " line 5): tensor"
                        + " 'model.layers.0.mlp.gate_proj.weight' is [64, 32], expected [48, 32] (intermediate_size 48 and"
                        + " hidden_size 32 of the base model '" + llama + "/base')");
    }

    private static void assertBaseTensorsCopied(Map<String, ModelFiles.Tensor> out, Map<String, ModelFiles.Tensor> base) {
        for (var e : base.entrySet()) {
            if (e.getKey().contains(".mlp.")) continue;
            ModelFiles.Tensor o = out.get(e.getKey());
            assertThat(o).as(e.getKey()).isNotNull();
            assertThat(o.info().shape()).isEqualTo(e.getValue().info().shape());
            assertThat(o.values()).as(e.getKey()).containsExactly(e.getValue().values());
        }
    }

    private static void assertUnitRows(ModelFiles.Tensor gate, int rows) {
        assertThat(gate.info().shape().dims()).containsExactly(rows, H);
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int i = 0; i < H; i++) ss += (double) gate.values()[r * H + i] * gate.values()[r * H + i];
            // within the output dtype's rounding of each element (bf16: 2^-8 relative)
            double tol = gate.info().dtype() == DType.BF16 ? 1e-2 : 1e-6;
            assertThat(Math.sqrt(ss)).as("norm of gate row %d", r).isCloseTo(1.0, org.assertj.core.data.Offset.offset(tol));
        }
    }

    static float[] slice(float[] a, int from, int n) { return Arrays.copyOfRange(a, from, from + n); }

    /** float → bfloat16 (round to nearest even) → float. */
    static float bf16(float x) {
        int b = Float.floatToRawIntBits(x);
        b += 0x7FFF + ((b >>> 16) & 1);
        return Float.intBitsToFloat(b & 0xFFFF0000);
    }
}
