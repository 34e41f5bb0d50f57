package dev.jmerge.lora;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.cli.Main;
import dev.jmerge.io.ModelWeights;
import dev.jmerge.io.safetensors.SafetensorsWriter;
import dev.jmerge.io.safetensors.TensorSpec;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code model+lora} through the CLI against W + s·B·A computed here in float64. */
class LoraMergeTest {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    @TempDir Path tmp;

    /** A PEFT-style adapter written by hand: A/B per module, embeddings, one modules_to_save tensor. */
    record Adapter(Map<String, float[]> tensors, Map<String, long[]> shapes) {}

    static Adapter writeAdapter(Path dir, ModelShape s, boolean fanInFanOut, String extraConfig) throws IOException {
        Files.createDirectories(dir);
        Map<String, float[]> t = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        SplittableRandom rnd = new SplittableRandom(99);
        int h = s.hidden();
        for (int layer = 0; layer < s.layers(); layer++) {
            int r = layer == 1 ? 2 : 4; // rank_pattern gives layer 1's q_proj rank 2
            String m = "base_model.model.model.layers." + layer + ".self_attn.q_proj";
            put(t, shapes, m + ".lora_A.weight", new long[] {r, h}, rnd);
            put(t, shapes, m + ".lora_B.weight", new long[] {h, r}, rnd);
        }
        // mlp.up_proj [intermediate, hidden]: with fan_in_fan_out the weight is read as stored [in, out]
        String up = "base_model.model.model.layers.0.mlp.up_proj";
        long rows = s.intermediate(), cols = h;
        put(t, shapes, up + ".lora_A.weight", new long[] {4, fanInFanOut ? rows : cols}, rnd);
        put(t, shapes, up + ".lora_B.weight", new long[] {fanInFanOut ? cols : rows, 4}, rnd);
        put(t, shapes, "base_model.model.model.embed_tokens.lora_embedding_A", new long[] {4, s.vocab()}, rnd);
        put(t, shapes, "base_model.model.model.embed_tokens.lora_embedding_B", new long[] {h, 4}, rnd);
        put(t, shapes, "base_model.model.lm_head.weight", new long[] {s.vocab(), h}, rnd);

        List<TensorSpec> specs = new ArrayList<>();
        shapes.forEach((n, sh) -> specs.add(new TensorSpec(n, DType.F32, new Shape(sh))));
        try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("adapter_model.safetensors"), specs)) {
            for (var e : t.entrySet()) {
                MemorySegment seg = w.tensorSegment(e.getKey());
                for (int i = 0; i < e.getValue().length; i++) seg.setAtIndex(F32, i, e.getValue()[i]);
            }
            w.finish();
        }
        Files.writeString(dir.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 4, \"lora_alpha\": 8,"
                + " \"rank_pattern\": {\"layers.1.self_attn.q_proj\": 2}, \"alpha_pattern\": {\"up_proj\": 3},"
                + " \"fan_in_fan_out\": " + fanInFanOut + ", \"modules_to_save\": [\"lm_head\"]" + extraConfig + "}");
        return new Adapter(t, shapes);
    }

    private static void put(Map<String, float[]> t, Map<String, long[]> shapes, String name, long[] shape,
                            SplittableRandom rnd) {
        float[] v = new float[(int) (shape[0] * shape[1])];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextDouble() * 2 - 1) * 0.1f;
        t.put(name, v);
        shapes.put(name, shape);
    }

    /** W' in float64: W + s·B·A, or + s·(B·A)ᵀ for embeddings and fan_in_fan_out, then rounded once. */
    static float[] reference(float[] w, long rows, long cols, float[] a, float[] b, int r, double s, boolean transposed) {
        float[] out = new float[w.length];
        for (long i = 0; i < rows; i++) {
            for (long j = 0; j < cols; j++) {
                double d = 0;
                for (int k = 0; k < r; k++) {
                    d += transposed ? (double) b[(int) (j * r + k)] * a[(int) (k * rows + i)]
                            : (double) b[(int) (i * r + k)] * a[(int) (k * cols + j)];
                }
                out[(int) (i * cols + j)] = (float) (w[(int) (i * cols + j)] + s * d);
            }
        }
        return out;
    }

    static float[] floats(ModelWeights w, String name) {
        MemorySegment seg = w.segment(name);
        float[] out = new float[(int) (seg.byteSize() / 4)];
        for (int i = 0; i < out.length; i++) out[i] = seg.getAtIndex(F32, i);
        return out;
    }

    private void checkMerged(Path out, Path base, Adapter ad, ModelShape s, boolean fanInFanOut) {
        try (ModelWeights merged = ModelWeights.open(out); ModelWeights w = ModelWeights.open(base)) {
            int h = s.hidden();
            for (int layer = 0; layer < s.layers(); layer++) {
                int r = layer == 1 ? 2 : 4;
                String m = "model.layers." + layer + ".self_attn.q_proj";
                float[] want = reference(floats(w, m + ".weight"), h, h, ad.tensors().get("base_model.model." + m + ".lora_A.weight"),
                        ad.tensors().get("base_model.model." + m + ".lora_B.weight"), r, 8.0 / r, fanInFanOut);
                assertThat(floats(merged, m + ".weight")).as(m).containsExactly(want);
            }
            String up = "model.layers.0.mlp.up_proj";
            float[] wantUp = reference(floats(w, up + ".weight"), s.intermediate(), h,
                    ad.tensors().get("base_model.model." + up + ".lora_A.weight"),
                    ad.tensors().get("base_model.model." + up + ".lora_B.weight"), 4, 3.0 / 4, fanInFanOut);
            assertThat(floats(merged, up + ".weight")).as(up).containsExactly(wantUp);
            float[] wantEmb = reference(floats(w, "model.embed_tokens.weight"), s.vocab(), h,
                    ad.tensors().get("base_model.model.model.embed_tokens.lora_embedding_A"),
                    ad.tensors().get("base_model.model.model.embed_tokens.lora_embedding_B"), 4, 2.0, true);
            assertThat(floats(merged, "model.embed_tokens.weight")).containsExactly(wantEmb);
            assertThat(floats(merged, "lm_head.weight")).containsExactly(ad.tensors().get("base_model.model.lm_head.weight"));
            // Untouched tensors pass through unchanged, and the delta really changed the touched ones.
            assertThat(floats(merged, "model.layers.0.self_attn.k_proj.weight"))
                    .containsExactly(floats(w, "model.layers.0.self_attn.k_proj.weight"));
            assertThat(floats(merged, "model.layers.0.self_attn.q_proj.weight"))
                    .isNotEqualTo(floats(w, "model.layers.0.self_attn.q_proj.weight"));
        }
    }

    private int merge(Path base, Path adapter, Path out, String... extra) throws IOException {
        Path config = tmp.resolve("lora.yml");
        Files.writeString(config, "merge_method: passthrough\ndtype: float32\nmodels:\n  - model: " + base + "+" + adapter + "\n");
        List<String> args = new ArrayList<>(List.of(config.toString(), out.toString(), "--no-copy-tokenizer",
                "--no-write-model-card", "--quiet"));
        args.addAll(List.of(extra));
        return Main.run(Map.of("HF_HUB_OFFLINE", "1", "HF_HOME", tmp.resolve("hf").toString()), args.toArray(String[]::new));
    }

    @Test
    void adapterIsAppliedWhileReadingAndMatchesTheFloat64Reference() throws IOException {
        ModelShape s = ModelShape.tiny(DType.F32);
        Path base = tmp.resolve("base");
        SyntheticModels.write(base, s, 3, 0, 0, 0);
        Adapter ad = writeAdapter(tmp.resolve("adapter"), s, false, "");
        assertThat(merge(base, tmp.resolve("adapter"), tmp.resolve("out"))).isZero();
        checkMerged(tmp.resolve("out"), base, ad, s, false);
    }

    @Test
    void loraMergeCacheIsWrittenOnceAndReused() throws IOException {
        ModelShape s = ModelShape.tiny(DType.F32);
        Path base = tmp.resolve("base");
        SyntheticModels.write(base, s, 3, 0, 0, 0);
        Adapter ad = writeAdapter(tmp.resolve("adapter"), s, false, "");
        Path cache = tmp.resolve("lora-cache");
        assertThat(merge(base, tmp.resolve("adapter"), tmp.resolve("out1"), "--lora-merge-cache", cache.toString())).isZero();
        Path copy = LoraMergeCache.folderFor(cache, base + "+" + tmp.resolve("adapter"));
        assertThat(copy.resolve("config.json")).isRegularFile();
        checkMerged(copy, base, ad, s, false);
        checkMerged(tmp.resolve("out1"), base, ad, s, false);
        // Reused: with the adapter gone, the second run still merges from the cached copy.
        Files.delete(tmp.resolve("adapter/adapter_model.safetensors"));
        assertThat(merge(base, tmp.resolve("adapter"), tmp.resolve("out2"), "--lora-merge-cache", cache.toString())).isZero();
        checkMerged(tmp.resolve("out2"), base, ad, s, false);
        assertThat(merge(base, tmp.resolve("adapter"), tmp.resolve("out3"))).isNotZero();
    }

    @Test
    void fanInFanOutAppliesTheTransposedDelta() throws IOException {
        ModelShape s = ModelShape.tiny(DType.F32);
        Path base = tmp.resolve("base");
        SyntheticModels.write(base, s, 4, 0, 0, 0);
        Adapter ad = writeAdapter(tmp.resolve("adapter"), s, true, "");
        assertThat(merge(base, tmp.resolve("adapter"), tmp.resolve("out"))).isZero();
        checkMerged(tmp.resolve("out"), base, ad, s, true);
    }

    @Test
    void rsloraScalesByTheSquareRootOfTheRank() throws IOException {
        ModelShape s = ModelShape.tiny(DType.F32);
        Path base = tmp.resolve("base");
        SyntheticModels.write(base, s, 5, 0, 0, 0);
        Adapter ad = writeAdapter(tmp.resolve("adapter"), s, false, ", \"use_rslora\": true");
        assertThat(merge(base, tmp.resolve("adapter"), tmp.resolve("out"))).isZero();
        try (ModelWeights merged = ModelWeights.open(tmp.resolve("out")); ModelWeights w = ModelWeights.open(base)) {
            String m = "model.layers.0.self_attn.q_proj";
            float[] want = reference(floats(w, m + ".weight"), s.hidden(), s.hidden(),
                    ad.tensors().get("base_model.model." + m + ".lora_A.weight"),
                    ad.tensors().get("base_model.model." + m + ".lora_B.weight"), 4, 8.0 / Math.sqrt(4), false);
            assertThat(floats(merged, m + ".weight")).containsExactly(want);
        }
    }

    @Test
    void adapterTargetingAMissingTensorFailsBeforeMerging() throws IOException {
        ModelShape s = ModelShape.tiny(DType.F32);
        Path base = tmp.resolve("base");
        SyntheticModels.write(base, s.withLayers(1), 6, 0, 0, 0);
        writeAdapter(tmp.resolve("adapter"), s, false, ""); // has layer 1, which the base lacks
        assertThat(merge(base, tmp.resolve("adapter"), tmp.resolve("out"))).isEqualTo(2);
        assertThat(tmp.resolve("out")).doesNotExist();
    }

    /** The vocabulary is re-laid at plan time; an adapter's embedding delta cannot follow it yet, which is said then. */
    @Test
    void anAdapterChangingAnEmbeddingUnderATokenizerSettingIsRefusedWhenPlanning() throws IOException {
        Path base = Path.of("examples/models/base").toAbsolutePath();
        writeAdapter(tmp.resolve("adapter"), ModelShape.tiny(DType.BF16), false, "");
        Path config = Files.writeString(tmp.resolve("lora.yml"), "merge_method: passthrough\nmodels:\n  - model: "
                + base + "+" + tmp.resolve("adapter") + "\ntokenizer: {source: base}\n");
        Path out = tmp.resolve("out");
        var r = dev.jmerge.e2e.Cli.run(Map.of("HF_HUB_OFFLINE", "1", "HF_HOME", tmp.resolve("hf").toString()),
                config.toString(), out.toString(), "--quiet");
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.errors()).startsWith("error: tensor 'model.embed_tokens.weight': the LoRA adapter of model")
                .contains("cannot be combined with a tokenizer setting yet");
        assertThat(out).doesNotExist();
    }
}
