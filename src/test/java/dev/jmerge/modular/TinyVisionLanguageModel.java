package dev.jmerge.modular;

import dev.jmerge.io.safetensors.SafetensorsWriter;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.io.safetensors.TensorSpec;
import dev.jmerge.kernels.ScalarKernels;
import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A qwen2_vl-shaped checkpoint small enough to compare tensor by tensor: a text decoder of {@link #TEXT_LAYERS}
 * layers, a vision tower of {@link #VISION_LAYERS} blocks and the projector, all float32 with values that are
 * a fixed function of (seed, tensor name, element index).
 */
final class TinyVisionLanguageModel {

    static final int TEXT_LAYERS = 2;
    static final int VISION_LAYERS = 3;
    private static final int H = 4, V = 8, VH = 6, FF = 5;

    private TinyVisionLanguageModel() {}

    static Map<String, long[]> shapes() {
        Map<String, long[]> s = new LinkedHashMap<>();
        s.put("model.embed_tokens.weight", new long[] {V, H});
        for (int l = 0; l < TEXT_LAYERS; l++) {
            String p = "model.layers." + l + ".";
            s.put(p + "input_layernorm.weight", new long[] {H});
            s.put(p + "post_attention_layernorm.weight", new long[] {H});
            for (String m : List.of("gate_proj", "up_proj")) s.put(p + "mlp." + m + ".weight", new long[] {FF, H});
            s.put(p + "mlp.down_proj.weight", new long[] {H, FF});
            for (String a : List.of("q_proj", "k_proj", "v_proj")) {
                s.put(p + "self_attn." + a + ".weight", new long[] {H, H});
                s.put(p + "self_attn." + a + ".bias", new long[] {H});
            }
            s.put(p + "self_attn.o_proj.weight", new long[] {H, H});
        }
        s.put("model.norm.weight", new long[] {H});
        s.put("lm_head.weight", new long[] {V, H});
        s.put("visual.patch_embed.proj.weight", new long[] {VH, 3});
        for (int l = 0; l < VISION_LAYERS; l++) {
            String p = "visual.blocks." + l + ".";
            for (String n : List.of("norm1", "norm2", "attn.proj", "mlp.fc2")) {
                s.put(p + n + ".weight", new long[] {VH, VH});
                s.put(p + n + ".bias", new long[] {VH});
            }
            s.put(p + "attn.qkv.weight", new long[] {3 * VH, VH});
            s.put(p + "attn.qkv.bias", new long[] {3 * VH});
            s.put(p + "mlp.fc1.weight", new long[] {VH, VH});
            s.put(p + "mlp.fc1.bias", new long[] {VH});
        }
        s.put("visual.merger.ln_q.weight", new long[] {VH});
        s.put("visual.merger.ln_q.bias", new long[] {VH});
        s.put("visual.merger.mlp.0.weight", new long[] {VH, VH});
        s.put("visual.merger.mlp.0.bias", new long[] {VH});
        s.put("visual.merger.mlp.2.weight", new long[] {H, VH});
        s.put("visual.merger.mlp.2.bias", new long[] {H});
        return s;
    }

    /** Element {@code i} of tensor {@code name} in the model written with {@code seed}, as stored (float32). */
    static float value(long seed, String name, int i) {
        return (float) Math.sin(seed * 1.7 + (name.hashCode() % 1000) * 0.013 + i * 0.37);
    }

    static void write(Path dir, long seed) throws IOException {
        Files.createDirectories(dir);
        List<TensorSpec> specs = new ArrayList<>();
        shapes().forEach((n, shape) -> specs.add(new TensorSpec(n, DType.F32, new Shape(shape))));
        ShardLayout layout = ShardLayout.of(specs, 0);
        for (ShardLayout.Shard shard : layout.shards()) {
            try (SafetensorsWriter w = SafetensorsWriter.create(dir, shard)) {
                for (TensorSpec t : shard.tensors()) {
                    int n = Math.toIntExact(t.numel());
                    float[] v = new float[n];
                    for (int i = 0; i < n; i++) v[i] = value(seed, t.name(), i);
                    new ScalarKernels().fromFloat(v, 0, w.tensorSegment(t.name()), 0, DType.F32, n);
                }
                w.finish();
            }
        }
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["Qwen2VLForConditionalGeneration"], "model_type": "qwen2_vl",
                 "hidden_size": %d, "num_hidden_layers": %d, "vocab_size": %d, "torch_dtype": "float32",
                 "vision_config": {"depth": %d, "embed_dim": %d}}
                """.formatted(H, TEXT_LAYERS, V, VISION_LAYERS, VH));
        Files.writeString(dir.resolve("preprocessor_config.json"), "{\"seed\": " + seed + "}\n");
    }
}
