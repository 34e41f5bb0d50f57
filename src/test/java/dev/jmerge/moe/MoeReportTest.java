package dev.jmerge.moe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jmerge.e2e.ModelFiles;
import dev.jmerge.exec.Progress;
import dev.jmerge.kernels.KernelsProvider;
import dev.jmerge.synth.Family;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.tensor.DType;
import dev.jmerge.io.safetensors.SafetensorsWriter;
import dev.jmerge.io.safetensors.TensorSpec;
import dev.jmerge.tensor.Shape;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code jmerge moe --report} against float64 references computed here: the router rows' norms and cosines from
 * the gate tensors as written, the experts' MLP task vectors from the model files; an expert that is the base has
 * a zero task vector and no cosine.
 */
class MoeReportTest {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    static Path dir;
    static Path llama;
    static Path wide;
    static final int L = MoeFixtures.SHAPE.layers();
    /** MLP tensors of 73 728 elements: a whole tile of the build and a part of one. */
    static final ModelShape WIDE = new ModelShape(256, 288, 2, 4, 2, 64, false, DType.BF16);

    @BeforeAll
    static void models() {
        llama = MoeFixtures.family(dir, "llama", Family.LLAMA, MoeFixtures.SHAPE);
        wide = MoeFixtures.family(dir, "wide", Family.LLAMA, WIDE);
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
            for (int a = 0; a < experts.size(); a++) {
                String ea = experts.get(a);
                assertThat(layer.get("gate_norm").get(ea).asDouble()).as("gate norm %s", ea)
                        .isCloseTo(Math.sqrt(g[a][a]), within(1e-12));
                for (int c = a + 1; c < experts.size(); c++) {
                    String key = ea + "|" + experts.get(c);
                    assertThat(layer.get("gate_cosine").get(key).asDouble()).as("gate cosine %s", key)
                            .isCloseTo(g[a][c] / Math.sqrt(g[a][a] * g[c][c]), within(1e-12));
                }
            }
            double[][] t = assertTaskVectors(layer, l, experts, fts, base);
            assertThat(layer.get("task_vector_norm").get(experts.get(3)).asDouble()).isZero();
            assertThat(layer.get("task_vector_cosine").get(experts.get(0) + "|" + experts.get(3)).isNull())
                    .as("cosine with the base's zero task vector").isTrue();
            // the synthetic fine-tunes differ from the base in every layer: the numbers are not trivially 0 or 1
            assertThat(t[0][0]).isPositive();
            assertThat(Math.abs(g[0][1] / Math.sqrt(g[0][0] * g[1][1]))).isLessThan(0.9999);
        }
    }

    /**
     * Experts that are not the base, one used twice, one with noise and a residual scale (its numbers are those of
     * its model, before them), output dtypes that copy bytes or convert them, routed and shared experts in stacked
     * or per-expert tensors, tensors of more than one tile: the numbers match the float64 references and the model is the same as without a report.
     */
    @ParameterizedTest
    @CsvSource({"mixtral, bfloat16, false", "deepseek, float32, false", "mixtral, bfloat16, true"})
    void expertsCopiedTogetherGiveTheNumbersAndTheBytesOfACopyWithoutReport(String arch, String dtype,
                                                                            boolean adapters) throws Exception {
        String name = arch + (adapters ? "-lora" : "");
        String lora = adapters ? "+" + adapter() : "";
        Path yaml = MoeFixtures.yaml(dir, name + ".yml", """
                base_model: %1$s/base%5$s
                architecture: %2$s
                gate_mode: random
                dtype: %3$s
                experts:
                  - source_model: %1$s/ft1
                  - source_model: %1$s/ft2
                    noise_scale: 0.01
                    residual_scale: 0.5
                  - source_model: %1$s/ft1
                  - source_model: %1$s/ft3%5$s
                %4$s""".formatted(wide, arch, dtype, arch.equals("deepseek")
                ? "shared_experts:\n  - source_model: " + wide + "/ft3\n" : "", lora));
        Path plain = dir.resolve(name + "-plain"), reported = dir.resolve(name + "-report");
        build(yaml, plain, false);
        build(yaml, reported, true);
        try (var files = Files.list(plain)) {
            List<Path> shards = files.filter(f -> f.toString().endsWith(".safetensors")).toList();
            assertThat(shards).isNotEmpty();
            for (Path f : shards) {
                assertThat(Files.readAllBytes(reported.resolve(f.getFileName()))).as("%s", f.getFileName())
                        .isEqualTo(Files.readAllBytes(f));
            }
        }
        JsonNode r = JsonMapper.shared().readTree(Files.readString(reported.resolve("report.json")));
        List<String> labels = List.of(wide + "/ft1", wide + "/ft2", wide + "/ft1#2", wide + "/ft3" + lora);
        assertThat(strings(r.get("experts"))).containsExactlyElementsOf(labels);
        Map<String, ModelFiles.Tensor> base = ModelFiles.read(wide.resolve("base"));
        List<Map<String, ModelFiles.Tensor>> models = new ArrayList<>();
        for (String m : List.of("ft1", "ft2", "ft1", "ft3")) models.add(ModelFiles.read(wide.resolve(m)));
        if (adapters) {
            applyAdapter(base);
            applyAdapter(models.get(3));
        }
        for (int l = 0; l < WIDE.layers(); l++) {
            JsonNode layer = r.get("layers").get(l);
            double[][] t = assertTaskVectors(layer, l, labels, models, base);
            assertThat(t[1][1]).isPositive();
            assertThat(layer.get("task_vector_cosine").get(labels.get(0) + "|" + labels.get(2)).asDouble())
                    .as("an expert used twice").isCloseTo(1.0, within(1e-6));
        }
    }

    private static final String ADAPTED = "model.layers.0.mlp.up_proj";
    private static final int RANK = 4;

    /** A LoRA adapter on layer 0's up_proj (alpha 8, rank 4: scale 2), written once: these models read it through
     * their streams, not as stored bytes. */
    private static Path adapter() throws IOException {
        Path a = dir.resolve("adapter");
        if (Files.exists(a)) return a;
        Files.createDirectories(a);
        List<TensorSpec> specs = List.of(
                new TensorSpec("base_model.model." + ADAPTED + ".lora_A.weight", DType.F32, Shape.of(RANK, WIDE.hidden())),
                new TensorSpec("base_model.model." + ADAPTED + ".lora_B.weight", DType.F32,
                        Shape.of(WIDE.intermediate(), RANK)));
        try (SafetensorsWriter w = SafetensorsWriter.create(a.resolve("adapter_model.safetensors"), specs)) {
            for (TensorSpec t : specs) {
                MemorySegment seg = w.tensorSegment(t.name());
                for (long i = 0; i < t.numel(); i++) seg.setAtIndex(F32, i, loraValue(t.name(), i));
            }
            w.finish();
        }
        Files.writeString(a.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": " + RANK
                + ", \"lora_alpha\": 8}");
        return a;
    }

    private static float loraValue(String name, long i) {
        return (float) (Math.sin(i * 0.37 + name.length()) * 0.05);
    }

    /** The adapter's W + 2·B·A on the reference's copy of layer 0's up_proj. */
    private static void applyAdapter(Map<String, ModelFiles.Tensor> model) {
        float[] w = model.get(ADAPTED + ".weight").values();
        String a = "base_model.model." + ADAPTED + ".lora_A.weight", b = "base_model.model." + ADAPTED + ".lora_B.weight";
        int in = WIDE.hidden();
        for (int i = 0; i < WIDE.intermediate(); i++) {
            for (int j = 0; j < in; j++) {
                double d = 0;
                for (int k = 0; k < RANK; k++) d += (double) loraValue(b, (long) i * RANK + k) * loraValue(a, (long) k * in + j);
                w[i * in + j] = (float) (w[i * in + j] + 2 * d);
            }
        }
    }

    private static void build(Path yaml, Path out, boolean report) {
        try (MoePlan plan = MoeFixtures.plan(yaml, false)) {
            MoeGates.Result gates = MoeGates.compute(plan, 1, KernelsProvider.get(), 1);
            new MoeBuild(plan, gates, new MoeBuild.Options(2, 1, KernelsProvider.get(), true, true, yaml,
                    "jmerge moe test", report), n -> {}).run(out, false, Progress.NONE);
        }
    }

    /**
     * Checks layer {@code l}'s task vector norms and cosines against float64 sums over the base's MLP tensors of the
     * layer (three of them), cosines with a zero vector null; returns the Gram matrix of the references.
     */
    private static double[][] assertTaskVectors(JsonNode layer, int l, List<String> labels,
                                                List<Map<String, ModelFiles.Tensor>> models,
                                                Map<String, ModelFiles.Tensor> base) {
        int v = labels.size();
        double[][] t = new double[v][v];
        double[][] abs = new double[v][v];
        int mlp = 0;
        for (String name : base.keySet()) {
            if (!name.startsWith("model.layers." + l + ".mlp.")) continue;
            mlp++;
            float[] b0 = base.get(name).values();
            for (int a = 0; a < v; a++) {
                float[] xa = models.get(a).get(name).values();
                for (int c = 0; c < v; c++) {
                    float[] xc = models.get(c).get(name).values();
                    for (int i = 0; i < b0.length; i++) {
                        double p = (double) (xa[i] - b0[i]) * (xc[i] - b0[i]);
                        t[a][c] += p;
                        abs[a][c] += Math.abs(p);
                    }
                }
            }
        }
        assertThat(mlp).as("MLP tensors of layer %d", l).isEqualTo(3);
        for (int a = 0; a < v; a++) {
            String ea = labels.get(a);
            assertThat(layer.get("task_vector_norm").get(ea).asDouble()).as("task vector norm %s", ea)
                    .isCloseTo(Math.sqrt(t[a][a]), within(Math.sqrt(0x1p-18 * abs[a][a]) + 1e-12));
            for (int c = a + 1; c < v; c++) {
                String key = ea + "|" + labels.get(c);
                JsonNode cos = layer.get("task_vector_cosine").get(key);
                if (t[a][a] == 0 || t[c][c] == 0) {
                    assertThat(cos.isNull()).as("cosine %s with a zero task vector", key).isTrue();
                } else {
                    assertThat(cos.asDouble()).as("task vector cosine %s", key)
                            .isCloseTo(t[a][c] / Math.sqrt(t[a][a] * t[c][c]), within(1e-5));
                }
            }
        }
        return t;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asString()));
        return out;
    }
}
