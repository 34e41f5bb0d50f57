package dev.jmerge.synth;

import dev.jmerge.error.MergeException;
import dev.jmerge.io.safetensors.IndexWriter;
import dev.jmerge.io.safetensors.SafetensorsWriter;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.io.safetensors.TensorSpec;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.KernelsProvider;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Deterministic llama-shaped models for examples, tests and benchmarks. Every value is a pure function of
 * (seed, tensor name, element index), so a model of any size is written in a streamed pass and the same
 * arguments always give the same bytes. A fine-tune {@code k} is the base plus a perturbation of about
 * {@code scale} of the base's spread, half shared by all fine-tunes (so task vectors correlate) and half its own.
 */
public final class SyntheticModels {

    private static final int CHUNK = 1 << 16;

    private SyntheticModels() {}

    /** Writes a base model ({@code variant} 0) or fine-tune {@code variant} ≥ 1 into {@code dir}. */
    public static void write(Path dir, ModelShape shape, long seed, int variant, double scale, long maxShardBytes) {
        try {
            Files.createDirectories(dir);
            List<TensorSpec> specs = tensors(shape);
            ShardLayout layout = ShardLayout.of(specs, maxShardBytes);
            Kernels k = KernelsProvider.get();
            float[] buf = new float[CHUNK];
            for (ShardLayout.Shard shard : layout.shards()) {
                try (SafetensorsWriter w = SafetensorsWriter.create(dir, shard)) {
                    for (TensorSpec t : shard.tensors()) {
                        MemorySegment seg = w.tensorSegment(t.name());
                        fill(t, seed, variant, scale, k, buf, seg);
                    }
                    w.finish();
                }
            }
            if (layout.needsIndex()) IndexWriter.write(dir, layout);
            Files.writeString(dir.resolve("config.json"), configJson(shape));
        } catch (IOException e) {
            throw new MergeException(dir + ": cannot write synthetic model (" + e.getMessage() + ")");
        }
    }

    /**
     * Writes variants {@code 0..dirs.size()-1} (base first) in one pass, the same bytes {@link #write} gives
     * each: the base and shared noise are drawn once for all variants and tensors are spread over
     * {@code threads}, which makes generating a benchmark set several times faster.
     */
    public static void writeAll(List<Path> dirs, ModelShape shape, long seed, double scale, long maxShardBytes,
                                int threads) {
        List<TensorSpec> specs = tensors(shape);
        ShardLayout layout = ShardLayout.of(specs, maxShardBytes);
        Kernels k = KernelsProvider.get();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(Math.max(1, threads));
        try {
            for (Path dir : dirs) Files.createDirectories(dir);
            for (ShardLayout.Shard shard : layout.shards()) {
                List<SafetensorsWriter> writers = new ArrayList<>();
                try {
                    for (Path dir : dirs) writers.add(SafetensorsWriter.create(dir, shard));
                    List<java.util.concurrent.Future<?>> jobs = new ArrayList<>();
                    for (TensorSpec t : shard.tensors()) {
                        jobs.add(pool.submit(() -> {
                            MemorySegment[] segs = new MemorySegment[writers.size()];
                            for (int v = 0; v < segs.length; v++) segs[v] = writers.get(v).tensorSegment(t.name());
                            fillAll(t, seed, scale, k, segs);
                        }));
                    }
                    for (var j : jobs) j.get();
                    for (SafetensorsWriter w : writers) w.finish();
                } finally {
                    for (SafetensorsWriter w : writers) w.close();
                }
            }
            for (Path dir : dirs) {
                if (layout.needsIndex()) IndexWriter.write(dir, layout);
                Files.writeString(dir.resolve("config.json"), configJson(shape));
            }
        } catch (IOException e) {
            throw new MergeException(dirs.getFirst().getParent() + ": cannot write synthetic models (" + e.getMessage() + ")");
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new MergeException("synthetic models: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MergeException("interrupted while writing synthetic models");
        } finally {
            pool.shutdownNow();
        }
    }

    private static void fillAll(TensorSpec t, long seed, double scale, Kernels k, MemorySegment[] segs) {
        boolean norm = t.shape().length == 1;
        long[] shape = t.shape();
        double spread = norm ? 0.05 : 1.0 / Math.sqrt(shape[shape.length - 1]);
        long nameKey = Noise.key(seed, t.name());
        long sharedKey = Noise.key(seed ^ 0x5DEECE66DL, t.name());
        long[] ownKeys = new long[segs.length];
        for (int v = 1; v < segs.length; v++) ownKeys[v] = Noise.key(seed + 7919L * v, t.name());
        float[][] bufs = new float[segs.length][CHUNK];
        long n = t.numel();
        for (long off = 0; off < n; off += CHUNK) {
            int len = (int) Math.min(CHUNK, n - off);
            for (int i = 0; i < len; i++) {
                long idx = off + i;
                double v0 = (norm ? 1.0 : 0.0) + spread * Noise.gaussian(nameKey, idx);
                bufs[0][i] = (float) v0;
                if (segs.length > 1) {
                    double shared = Noise.gaussian(sharedKey, idx);
                    for (int v = 1; v < segs.length; v++) {
                        bufs[v][i] = (float) (v0 + scale * spread * (shared + Noise.gaussian(ownKeys[v], idx)) / Math.sqrt(2));
                    }
                }
            }
            for (int v = 0; v < segs.length; v++) k.fromFloat(bufs[v], 0, segs[v], off * t.dtype().byteSize(), t.dtype(), len);
        }
    }

    /** The tensors of a llama model of this shape, in the order Hugging Face lists them. */
    public static List<TensorSpec> tensors(ModelShape s) {
        List<TensorSpec> l = new ArrayList<>();
        long h = s.hidden(), kv = (long) s.kvHeads() * s.headDim();
        l.add(new TensorSpec("model.embed_tokens.weight", s.dtype(), new long[] {s.vocab(), h}));
        for (int i = 0; i < s.layers(); i++) {
            String p = "model.layers." + i + ".";
            l.add(new TensorSpec(p + "input_layernorm.weight", s.dtype(), new long[] {h}));
            l.add(new TensorSpec(p + "self_attn.q_proj.weight", s.dtype(), new long[] {h, h}));
            l.add(new TensorSpec(p + "self_attn.k_proj.weight", s.dtype(), new long[] {kv, h}));
            l.add(new TensorSpec(p + "self_attn.v_proj.weight", s.dtype(), new long[] {kv, h}));
            l.add(new TensorSpec(p + "self_attn.o_proj.weight", s.dtype(), new long[] {h, h}));
            l.add(new TensorSpec(p + "post_attention_layernorm.weight", s.dtype(), new long[] {h}));
            l.add(new TensorSpec(p + "mlp.gate_proj.weight", s.dtype(), new long[] {s.intermediate(), h}));
            l.add(new TensorSpec(p + "mlp.up_proj.weight", s.dtype(), new long[] {s.intermediate(), h}));
            l.add(new TensorSpec(p + "mlp.down_proj.weight", s.dtype(), new long[] {h, s.intermediate()}));
        }
        l.add(new TensorSpec("model.norm.weight", s.dtype(), new long[] {h}));
        if (!s.tied()) l.add(new TensorSpec("lm_head.weight", s.dtype(), new long[] {s.vocab(), h}));
        return l;
    }

    private static void fill(TensorSpec t, long seed, int variant, double scale, Kernels k, float[] buf,
                             MemorySegment seg) {
        boolean norm = t.shape().length == 1;
        long[] shape = t.shape();
        double spread = norm ? 0.05 : 1.0 / Math.sqrt(shape[shape.length - 1]);
        long nameKey = Noise.key(seed, t.name());
        long sharedKey = Noise.key(seed ^ 0x5DEECE66DL, t.name());
        long ownKey = Noise.key(seed + 7919L * variant, t.name());
        long n = t.numel();
        for (long off = 0; off < n; off += CHUNK) {
            int len = (int) Math.min(CHUNK, n - off);
            for (int i = 0; i < len; i++) {
                long idx = off + i;
                double v = (norm ? 1.0 : 0.0) + spread * Noise.gaussian(nameKey, idx);
                if (variant > 0) {
                    v += scale * spread * (Noise.gaussian(sharedKey, idx) + Noise.gaussian(ownKey, idx)) / Math.sqrt(2);
                }
                buf[i] = (float) v;
            }
            k.fromFloat(buf, 0, seg, off * t.dtype().byteSize(), t.dtype(), len);
        }
    }

    static String configJson(ModelShape s) {
        return String.format(Locale.ROOT, """
                {
                  "architectures": [
                    "LlamaForCausalLM"
                  ],
                  "bos_token_id": 1,
                  "eos_token_id": 2,
                  "hidden_act": "silu",
                  "hidden_size": %d,
                  "intermediate_size": %d,
                  "max_position_embeddings": 2048,
                  "model_type": "llama",
                  "num_attention_heads": %d,
                  "num_hidden_layers": %d,
                  "num_key_value_heads": %d,
                  "rms_norm_eps": 1e-05,
                  "rope_theta": 10000.0,
                  "tie_word_embeddings": %s,
                  "torch_dtype": "%s",
                  "vocab_size": %d
                }
                """, s.hidden(), s.intermediate(), s.heads(), s.layers(), s.kvHeads(), s.tied(),
                s.dtype().torchName(), s.vocab());
    }
}
