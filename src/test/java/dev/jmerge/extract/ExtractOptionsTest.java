package dev.jmerge.extract;

import static dev.jmerge.extract.ExtractAccuracyTest.extract;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.e2e.Cli;
import dev.jmerge.linalg.Jacobi;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The flags of compat §5.4 and the adapter_config.json they produce, on a tiny llama model (hidden 32, k/v 16). */
class ExtractOptionsTest {

    private static final String P = "base_model.model.";

    @TempDir static Path tmp;
    static Path base, ft;

    @BeforeAll
    static void models() {
        Path[] m = Fixtures.llama(tmp.resolve("tiny"), ModelShape.tiny(DType.BF16), 21);
        base = m[0];
        ft = m[1];
    }

    static JsonNode config(Path out) throws IOException {
        return JsonMapper.builder().build().readTree(Files.readString(out.resolve("adapter_config.json")));
    }

    static List<String> strings(JsonNode array) {
        List<String> l = new ArrayList<>();
        array.forEach(n -> l.add(n.asString()));
        return l;
    }

    @Test
    void configHasMergekitsKeysAndRanksThatDifferArePatterned() throws IOException {
        Path out = tmp.resolve("cfg");
        extract(base, ft, out, "--max-rank", "20");
        String text = Files.readString(out.resolve("adapter_config.json"));
        assertThat(text).startsWith("{\n    \"base_model_name_or_path\": \"" + base + "\",\n    \"peft_type\": \"LORA\",")
                .doesNotEndWith("\n"); // json.dump(indent=4) writes no final newline
        JsonNode c = config(out);
        List<String> keys = new ArrayList<>();
        c.properties().forEach(e -> keys.add(e.getKey()));
        assertThat(keys).containsExactly("base_model_name_or_path", "peft_type", "use_rslora", "target_modules",
                "modules_to_save", "task_type", "r", "lora_alpha", "rank_pattern", "alpha_pattern", "lora_dropout",
                "fan_in_fan_out", "inference_mode");
        assertThat(c.get("r").asInt()).isEqualTo(20);
        assertThat(c.get("lora_alpha").asInt()).isEqualTo(20);
        assertThat(strings(c.get("target_modules")))
                .containsExactly("down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj");
        assertThat(strings(c.get("modules_to_save")))
                .containsExactly("embed_tokens", "input_layernorm", "post_attention_layernorm", "norm", "lm_head");
        // k_proj and v_proj are [16, 32]: rank 16, below r
        Map<String, Object> want = new java.util.LinkedHashMap<>();
        for (int l = 0; l < 2; l++) for (String p : List.of("k_proj", "v_proj")) want.put("model.layers." + l + ".self_attn." + p, 16);
        Map<String, Object> got = new java.util.LinkedHashMap<>();
        c.get("rank_pattern").properties().forEach(e -> got.put(e.getKey(), e.getValue().asInt()));
        assertThat(got).containsExactlyEntriesOf(want);
        assertThat(c.get("alpha_pattern")).isEqualTo(c.get("rank_pattern"));
        assertThat(c.get("task_type").asString()).isEqualTo("CAUSAL_LM");
        assertThat(c.get("lora_dropout").isDouble()).isTrue();
        assertThat(c.get("use_rslora").asBoolean() || c.get("fan_in_fan_out").asBoolean()).isFalse();
        assertThat(c.get("inference_mode").asBoolean()).isTrue();

        Map<String, Adapters.Matrix> ad = Adapters.adapter(out);
        assertThat(ad.get(P + "model.layers.0.self_attn.k_proj.lora_A.weight").shape()).containsExactly(16, 32);
        assertThat(ad.get(P + "model.layers.0.self_attn.k_proj.lora_B.weight").shape()).containsExactly(16, 16);
        assertThat(ad.get(P + "model.layers.0.mlp.up_proj.lora_A.weight").shape()).containsExactly(20, 32);
        assertThat(ad.get(P + "model.layers.0.mlp.up_proj.lora_B.weight").shape()).containsExactly(96, 20);
        // full-rank modules are the fine-tune's own tensors
        Map<String, Adapters.Matrix> ftT = Adapters.model(ft);
        for (String n : List.of("model.embed_tokens.weight", "lm_head.weight", "model.norm.weight",
                "model.layers.1.input_layernorm.weight")) {
            assertThat(ad.get(P + n).v()).as(n).containsExactly(ftT.get(n).v());
        }
        assertThat(ad).hasSize(14 * 2 + 7);
        assertThat(Files.readString(out.resolve("README.md"))).contains("library_name: peft", "jmerge extract-lora --model");
    }

    @Test
    void svEpsilonDropsSingularValuesAtOrBelowIt() throws IOException {
        Map<String, Adapters.Matrix> b0 = Adapters.model(base), f0 = Adapters.model(ft);
        String q = "model.layers.0.self_attn.q_proj";
        double[] sv = singularValues(f0, b0, q);
        double eps = (sv[4] + sv[5]) / 2; // keeps five of q_proj's
        Path out = tmp.resolve("eps");
        extract(base, ft, out, "--max-rank", "20", "--sv-epsilon", Double.toString(eps));
        JsonNode c = config(out);
        Map<String, Adapters.Matrix> ad = Adapters.adapter(out);
        int max = 0;
        Map<String, Integer> ranks = new java.util.LinkedHashMap<>();
        for (String name : ad.keySet()) {
            if (!name.endsWith(".lora_A.weight")) continue;
            String module = name.substring(P.length(), name.length() - ".lora_A.weight".length());
            double[] s = singularValues(f0, b0, module);
            int want = 0;
            boolean nearTie = false;
            for (int i = 0; i < Math.min(20, s.length); i++) {
                if (s[i] > eps) want++;
                if (Math.abs(s[i] - eps) < 1e-3 * eps) nearTie = true;
            }
            int got = (int) ad.get(name).shape()[0];
            if (!nearTie) assertThat(got).as(module).isEqualTo(want);
            ranks.put(module, got);
            max = Math.max(max, got);
        }
        assertThat(ranks.get(q)).isEqualTo(5);
        assertThat(c.get("r").asInt()).isEqualTo(max);
        for (var e : ranks.entrySet()) {
            if (e.getValue() == max) assertThat(c.get("rank_pattern").has(e.getKey())).isFalse();
            else assertThat(c.get("rank_pattern").get(e.getKey()).asInt()).isEqualTo(e.getValue());
        }
    }

    private static double[] singularValues(Map<String, Adapters.Matrix> f, Map<String, Adapters.Matrix> b, String module) {
        Adapters.Matrix w = f.get(module + ".weight");
        return Jacobi.singularValues(Adapters.minus(w, b.get(module + ".weight")), w.rows(), w.cols());
    }

    @Test
    void includeRegexLimitsWhatIsDecomposedButNotTheEmbeddingsSavedWhole() throws IOException {
        Path out = tmp.resolve("inc");
        extract(base, ft, out, "--max-rank", "4", "-i", "self_attn");
        Map<String, Adapters.Matrix> ad = Adapters.adapter(out);
        assertThat(ad.keySet()).allMatch(n -> n.contains("self_attn") || n.equals(P + "model.embed_tokens.weight")
                || n.equals(P + "lm_head.weight"));
        assertThat(ad).containsKeys(P + "model.embed_tokens.weight", P + "lm_head.weight");
        assertThat(ad.keySet().stream().filter(n -> n.endsWith("lora_A.weight"))).hasSize(8);
        assertThat(strings(config(out).get("modules_to_save"))).containsExactly("embed_tokens", "lm_head");
        assertThat(strings(config(out).get("target_modules"))).containsExactly("k_proj", "o_proj", "q_proj", "v_proj");
    }

    @Test
    void excludeRegexLeavesModulesOutEmbeddingsIncluded() throws IOException {
        Path out = tmp.resolve("exc");
        extract(base, ft, out, "--max-rank", "4", "--exclude-regex", "layers\\.1\\.", "-e", "embed_tokens");
        Map<String, Adapters.Matrix> ad = Adapters.adapter(out);
        // mergekit checks modules_to_save before the regexes: layer 1's norms, whose names layer 0 put there, stay
        assertThat(ad.keySet()).noneMatch(n -> (n.contains("layers.1.") && !n.contains("layernorm"))
                || n.contains("embed_tokens"));
        assertThat(ad).containsKeys(P + "model.layers.1.input_layernorm.weight", P + "model.layers.1.post_attention_layernorm.weight");
        assertThat(ad.keySet().stream().filter(n -> n.endsWith("lora_A.weight"))).hasSize(7);
        assertThat(strings(config(out).get("modules_to_save")))
                .containsExactly("input_layernorm", "post_attention_layernorm", "norm", "lm_head");
    }

    @Test
    void saveModuleKeepsModulesWholeByLastComponentOrFullName() throws IOException {
        Path out = tmp.resolve("save");
        extract(base, ft, out, "--max-rank", "4", "--save-module", "q_proj", "--save-module", "model.layers.0.mlp.down_proj");
        Map<String, Adapters.Matrix> ad = Adapters.adapter(out), ftT = Adapters.model(ft);
        for (String n : List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.q_proj.weight",
                "model.layers.0.mlp.down_proj.weight")) {
            assertThat(ad.get(P + n).v()).as(n).containsExactly(ftT.get(n).v());
        }
        assertThat(ad).containsKey(P + "model.layers.1.mlp.down_proj.lora_A.weight")
                .doesNotContainKey(P + "model.layers.0.mlp.down_proj.lora_A.weight")
                .doesNotContainKey(P + "model.layers.0.self_attn.q_proj.lora_A.weight");
        JsonNode c = config(out);
        assertThat(strings(c.get("modules_to_save"))).containsExactly("q_proj", "model.layers.0.mlp.down_proj",
                "embed_tokens", "input_layernorm", "post_attention_layernorm", "norm", "lm_head");
        assertThat(strings(c.get("target_modules"))).doesNotContain("q_proj").contains("down_proj");
    }

    @Test
    void skipUndecomposableDropsTheNorms() throws IOException {
        Path out = tmp.resolve("skip");
        Cli r = extract(base, ft, out, "--max-rank", "4", "--skip-undecomposable");
        assertThat(Adapters.adapter(out).keySet()).noneMatch(n -> n.contains("norm"));
        assertThat(strings(config(out).get("modules_to_save"))).containsExactly("embed_tokens", "lm_head");
        assertThat(r.err()).contains("note: 'input_layernorm' (norm (1-D)) cannot be decomposed: left out");
    }

    @Test
    void embedLoraDecomposesTheEmbeddingTransposedAndTheHeadAsALinear() throws IOException {
        Path out = tmp.resolve("emb");
        extract(base, ft, out, "--max-rank", "6", "--embed-lora");
        Map<String, Adapters.Matrix> ad = Adapters.adapter(out), b0 = Adapters.model(base), f0 = Adapters.model(ft);
        Adapters.Matrix a = ad.get(P + "model.embed_tokens.lora_embedding_A"), b = ad.get(P + "model.embed_tokens.lora_embedding_B");
        assertThat(a.shape()).containsExactly(6, 256);
        assertThat(b.shape()).containsExactly(32, 6);
        // B·A approximates Δᵀ ([hidden, vocab]) as well as any rank-6 matrix can, within 1 % of ‖Δ‖
        Adapters.Matrix e = f0.get("model.embed_tokens.weight");
        double[] delta = Adapters.minus(e, b0.get("model.embed_tokens.weight"));
        double[] dt = Adapters.transpose(delta, e.rows(), e.cols());
        double opt = Jacobi.optimalError(Jacobi.singularValues(delta, e.rows(), e.cols()), 6);
        assertThat(Adapters.distance(dt, Adapters.product(b, a)) - opt).isLessThanOrEqualTo(0.01 * Adapters.norm(delta));
        assertThat(ad.get(P + "lm_head.lora_A.weight").shape()).containsExactly(6, 32);
        assertThat(ad.get(P + "lm_head.lora_B.weight").shape()).containsExactly(256, 6);
        JsonNode c = config(out);
        assertThat(strings(c.get("target_modules"))).contains("embed_tokens", "lm_head");
        assertThat(strings(c.get("modules_to_save"))).containsExactly("input_layernorm", "post_attention_layernorm", "norm");
    }

    @Test
    void differentVocabulariesTurnEmbedLoraOffAndTheCardWarns() throws IOException {
        ModelShape s = ModelShape.tiny(DType.BF16);
        Path bigger = tmp.resolve("vocab-base");
        SyntheticModels.write(bigger, new ModelShape(s.hidden(), s.intermediate(), s.layers(), s.heads(), s.kvHeads(),
                192, false, DType.BF16), 5, 0, 0, 0);
        Path out = tmp.resolve("vocab");
        Cli r = extract(bigger, ft, out, "--max-rank", "4", "--embed-lora");
        assertThat(r.err()).contains("vocabulary sizes differ (fine-tune 256 tokens, base 192)");
        Map<String, Adapters.Matrix> ad = Adapters.adapter(out);
        assertThat(ad).containsKeys(P + "model.embed_tokens.weight", P + "lm_head.weight");
        assertThat(ad.keySet()).noneMatch(n -> n.contains("lora_embedding"));
        assertThat(Files.readString(out.resolve("README.md"))).contains("[!WARNING]", "256 tokens where the base has 192",
                "resize_token_embeddings(256)");
    }
}
