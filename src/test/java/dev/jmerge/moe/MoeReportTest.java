package dev.jmerge.moe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jmerge.e2e.ModelFiles;
import dev.jmerge.exec.Progress;
import dev.jmerge.kernels.KernelsProvider;
import dev.jmerge.synth.Family;
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

/**
 * {@code jmerge moe --report} against float64 references computed here: the router rows' norms and cosines from
 * the gate tensors as written, the experts' MLP task vectors from the model files; an expert that is the base has
 * a zero task vector and no cosine.
 */
class MoeReportTest {

    @TempDir
    static Path dir;
    static Path llama;
    static final int L = MoeFixtures.SHAPE.layers();

    @BeforeAll
    static void models() {
        llama = MoeFixtures.family(dir, "llama", Family.LLAMA, MoeFixtures.SHAPE);
    }

    @Test
    void routerRowsAndExpertTaskVectorsMatchFloat64References() throws Exception {
        Path yaml = MoeFixtures.yaml(dir, "moe.yml", """
                base_model: %1$s/base
                gate_mode: hidden
                dtype: bfloat16
                experts:
                  - source_model: %1$s/ft1
                    positive_prompts: ["w10 w11 w12"]
                  - source_model: %1$s/ft2
                    positive_prompts: ["w20 w21"]
                  - source_model: %1$s/ft3
                    positive_prompts: ["w30 w31 w32"]
                  - source_model: %1$s/base
                    positive_prompts: ["w40"]
                """.formatted(llama));
        Path out = dir.resolve("out");
        try (MoePlan plan = MoeFixtures.plan(yaml, false)) {
            MoeGates.Result gates = MoeGates.compute(plan, 1, KernelsProvider.get(), 1);
            new MoeBuild(plan, gates, new MoeBuild.Options(2, 1, KernelsProvider.get(), true, true, yaml,
                    "jmerge moe test", true), n -> {}).run(out, false, Progress.NONE);
        }
        JsonNode r = JsonMapper.shared().readTree(Files.readString(out.resolve("report.json")));
        assertThat(Files.readString(out.resolve("report.html"))).contains("<svg").doesNotContain("<script");
        List<String> experts = new ArrayList<>();
        for (String m : List.of("ft1", "ft2", "ft3", "base")) experts.add(llama + "/" + m);
        assertThat(r.get("command").asString()).isEqualTo("moe");
        assertThat(r.get("gate_mode").asString()).isEqualTo("hidden");
        assertThat(strings(r.get("experts"))).containsExactlyElementsOf(experts);
        assertThat(r.get("layers").size()).isEqualTo(L);

        Map<String, ModelFiles.Tensor> moe = ModelFiles.read(out);
        Map<String, ModelFiles.Tensor> base = ModelFiles.read(llama.resolve("base"));
        List<Map<String, ModelFiles.Tensor>> fts = new ArrayList<>();
        for (String m : List.of("ft1", "ft2", "ft3", "base")) fts.add(ModelFiles.read(llama.resolve(m)));
        for (int l = 0; l < L; l++) {
            JsonNode layer = r.get("layers").get(l);
            assertThat(layer.get("layer").asInt()).isEqualTo(l);
            // router rows as stored (bf16), in float64
            float[] gate = moe.get("model.layers." + l + ".mlp.gate.weight").values();
            int h = gate.length / experts.size();
            double[][] g = new double[experts.size()][experts.size()];
            for (int a = 0; a < experts.size(); a++) {
                for (int b = 0; b < experts.size(); b++) {
                    for (int i = 0; i < h; i++) g[a][b] += (double) gate[a * h + i] * gate[b * h + i];
                }
            }
            // the experts' MLP task vectors, over the base's MLP tensors of the layer
            double[][] t = new double[experts.size()][experts.size()];
            double[][] abs = new double[experts.size()][experts.size()];
            int mlp = 0;
            for (String name : base.keySet()) {
                if (!name.startsWith("model.layers." + l + ".mlp.")) continue;
                mlp++;
                float[] b0 = base.get(name).values();
                for (int a = 0; a < experts.size(); a++) {
                    float[] xa = fts.get(a).get(name).values();
                    for (int c = 0; c < experts.size(); c++) {
                        float[] xc = fts.get(c).get(name).values();
                        for (int i = 0; i < b0.length; i++) {
                            double p = (double) (xa[i] - b0[i]) * (xc[i] - b0[i]);
                            t[a][c] += p;
                            abs[a][c] += Math.abs(p);
                        }
                    }
                }
            }
            assertThat(mlp).as("MLP tensors of layer %d", l).isEqualTo(3);
            for (int a = 0; a < experts.size(); a++) {
                String ea = experts.get(a);
                assertThat(layer.get("gate_norm").get(ea).asDouble()).as("gate norm %s", ea)
                        .isCloseTo(Math.sqrt(g[a][a]), within(1e-12));
                assertThat(layer.get("task_vector_norm").get(ea).asDouble()).as("task vector norm %s", ea)
                        .isCloseTo(Math.sqrt(t[a][a]), within(Math.sqrt(0x1p-18 * abs[a][a]) + 1e-12));
                for (int c = a + 1; c < experts.size(); c++) {
                    String key = ea + "|" + experts.get(c);
                    assertThat(layer.get("gate_cosine").get(key).asDouble()).as("gate cosine %s", key)
                            .isCloseTo(g[a][c] / Math.sqrt(g[a][a] * g[c][c]), within(1e-12));
                    JsonNode cos = layer.get("task_vector_cosine").get(key);
                    if (c == 3) {
                        assertThat(cos.isNull()).as("cosine with the base's zero task vector").isTrue();
                    } else {
                        assertThat(cos.asDouble()).as("task vector cosine %s", key)
                                .isCloseTo(t[a][c] / Math.sqrt(t[a][a] * t[c][c]), within(1e-5));
                    }
                }
            }
            assertThat(layer.get("task_vector_norm").get(experts.get(3)).asDouble()).isZero();
            // the synthetic fine-tunes differ from the base in every layer: the numbers are not trivially 0 or 1
            assertThat(t[0][0]).isPositive();
            assertThat(Math.abs(g[0][1] / Math.sqrt(g[0][0] * g[1][1]))).isLessThan(0.9999);
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asString()));
        return out;
    }
}
