package dev.jmerge.moe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.e2e.ModelFiles;
import dev.jmerge.forward.Transformer;
import dev.jmerge.io.safetensors.SafetensorsWriter;
import dev.jmerge.io.safetensors.TensorSpec;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.KernelsProvider;
import dev.jmerge.synth.Family;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A built MoE runs in the forward pass. The known identity: experts that are all copies of the base model's MLP,
 * with routing weights renormalised to sum to 1, compute exactly what the dense base computes, whatever the
 * router picks, so the logits match the base's (to float32 rounding). The same Mixtral stored with one tensor per
 * expert, or with Mixtral's original block_sparse_moe names, gives the same logits bit for bit.
 */
class MoeForwardTest {

    @TempDir
    static Path dir;
    static Path llama;
    static Path qwen3;
    private static final int[] TOKENS = {1, 10, 11, 12, 40, 41, 7, 8, 9, 30, 31, 32, 60, 2};

    @BeforeAll
    static void models() {
        llama = MoeFixtures.family(dir, "llama", Family.LLAMA, MoeFixtures.SHAPE);
        qwen3 = MoeFixtures.family(dir, "qwen3", Family.qwen3(16), MoeFixtures.SHAPE);
    }

    private static Path copiesOfTheBase(Path family, String name) {
        Path yaml = MoeFixtures.yaml(dir, name + ".yml", """
                base_model: %1$s/base
                gate_mode: random
                experts:
                  - source_model: %1$s/base
                  - source_model: %1$s/base
                  - source_model: %1$s/base
                  - source_model: %1$s/base
                """.formatted(family));
        Path out = dir.resolve(name);
        MoeFixtures.build(yaml, out, 3, 1, false);
        return out;
    }

    @Test
    void aMixtralOfCopiesOfOneMlpComputesWhatThatDenseModelComputes() {
        Path mixtral = copiesOfTheBase(llama, "mixtral");
        assertSameLogits(mixtral, llama.resolve("base"), 1e-5);
    }

    @Test
    void aQwen3MoeOfCopiesOfOneMlpComputesWhatThatDenseModelComputes() {
        Path moe = copiesOfTheBase(qwen3, "qwen3-moe");
        assertSameLogits(moe, qwen3.resolve("base"), 1e-5);
    }

    @Test
    void perExpertAndBlockSparseMoeNamesLoadAsTheStackedLayoutDoes() throws Exception {
        Path yaml = MoeFixtures.yaml(dir, "distinct.yml", """
                base_model: %1$s/base
                gate_mode: random
                experts:
                  - source_model: %1$s/ft1
                  - source_model: %1$s/ft2
                  - source_model: %1$s/ft3
                  - source_model: %1$s/base
                """.formatted(llama));
        Path fused = dir.resolve("distinct");
        MoeFixtures.build(yaml, fused, 4, 1, false);
        Map<String, ModelFiles.Tensor> t = MoeFixtures.read(fused);
        int inter = MoeFixtures.SHAPE.intermediate(), h = MoeFixtures.SHAPE.hidden(), block = inter * h;
        Map<String, float[]> perExpert = new LinkedHashMap<>(), legacy = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (var e : t.entrySet()) {
            String n = e.getKey();
            float[] v = e.getValue().values();
            if (n.endsWith("experts.gate_up_proj") || n.endsWith("experts.down_proj")) {
                String p = n.substring(0, n.indexOf("mlp.")), kind = n.endsWith("gate_up_proj") ? "gate_up" : "down";
                for (int x = 0; x < 4; x++) {
                    if (kind.equals("gate_up")) {
                        put(perExpert, legacy, shapes, p, x, "gate_proj", "w1", slice(v, 2 * x * block, block), inter, h);
                        put(perExpert, legacy, shapes, p, x, "up_proj", "w3", slice(v, (2 * x + 1) * block, block), inter, h);
                    } else {
                        put(perExpert, legacy, shapes, p, x, "down_proj", "w2", slice(v, x * block, block), h, inter);
                    }
                }
            } else {
                perExpert.put(n, v);
                legacy.put(n.replace(".mlp.gate.", ".block_sparse_moe.gate."), v);
                shapes.put(n, e.getValue().info().shape().dims());
                shapes.put(n.replace(".mlp.gate.", ".block_sparse_moe.gate."), e.getValue().info().shape().dims());
            }
        }
        Path a = write(dir.resolve("per-expert"), perExpert, shapes, fused);
        Path b = write(dir.resolve("block-sparse"), legacy, shapes, fused);
        assertSameLogits(a, fused, 0);
        assertSameLogits(b, fused, 0);
        // distinct experts: the router matters, unlike the copies above
        try (Transformer m = Transformer.open(fused, KernelsProvider.get(), 1);
             Transformer base = Transformer.open(llama.resolve("base"), KernelsProvider.get(), 1)) {
            assertThat(m.logits(TOKENS)[5]).isNotEqualTo(base.logits(TOKENS)[5]);
        }
    }

    private static void put(Map<String, float[]> perExpert, Map<String, float[]> legacy, Map<String, long[]> shapes,
                            String layer, int expert, String proj, String w, float[] v, int rows, int cols) {
        String a = layer + "mlp.experts." + expert + "." + proj + ".weight";
        String b = layer + "block_sparse_moe.experts." + expert + "." + w + ".weight";
        perExpert.put(a, v);
        legacy.put(b, v);
        shapes.put(a, new long[] {rows, cols});
        shapes.put(b, new long[] {rows, cols});
    }

    private static float[] slice(float[] v, int from, int n) { return java.util.Arrays.copyOfRange(v, from, from + n); }

    /** A model folder holding {@code tensors} in bf16 (the values came from bf16, so they are kept exactly). */
    private static Path write(Path out, Map<String, float[]> tensors, Map<String, long[]> shapes, Path configFrom)
            throws Exception {
        Files.createDirectories(out);
        List<TensorSpec> specs = new ArrayList<>();
        for (String n : tensors.keySet()) specs.add(new TensorSpec(n, dev.jmerge.tensor.DType.BF16, new dev.jmerge.tensor.Shape(shapes.get(n))));
        Kernels k = KernelsProvider.get();
        try (SafetensorsWriter w = SafetensorsWriter.create(out.resolve("model.safetensors"), specs)) {
            for (var e : tensors.entrySet()) {
                k.fromFloat(e.getValue(), 0, w.tensorSegment(e.getKey()), 0, dev.jmerge.tensor.DType.BF16, e.getValue().length);
            }
            w.finish();
        }
        Files.copy(configFrom.resolve("config.json"), out.resolve("config.json"));
        return out;
    }

    private static void assertSameLogits(Path moe, Path dense, double tolerance) {
        try (Transformer a = Transformer.open(moe, KernelsProvider.get(), 1);
             Transformer b = Transformer.open(dense, KernelsProvider.get(), 1)) {
            assertThat(a.config().moe()).isNotNull();
            float[][] x = a.logits(TOKENS), y = b.logits(TOKENS);
            double worst = 0;
            for (int r = 0; r < x.length; r++) {
                for (int c = 0; c < x[r].length; c++) worst = Math.max(worst, Math.abs(x[r][c] - y[r][c]));
            }
            assertThat(worst).as("largest logit difference").isLessThanOrEqualTo(tolerance);
        }
    }
}
