package dev.jmerge.synth;

import dev.jmerge.tensor.Shape;
import dev.jmerge.error.MergeException;
import dev.jmerge.io.safetensors.IndexWriter;
import dev.jmerge.io.safetensors.SafetensorsWriter;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.io.safetensors.TensorSpec;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.KernelsProvider;
import dev.jmerge.output.PythonStyleJson;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

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
        write(dir, shape, Family.LLAMA, seed, variant, scale, maxShardBytes);
    }

    /** As {@link #write(Path, ModelShape, long, int, double, long)} for an architecture {@code family}. */
    public static void write(Path dir, ModelShape shape, Family family, long seed, int variant, double scale,
                             long maxShardBytes) {
        try {
            Files.createDirectories(dir);
            List<TensorSpec> specs = tensors(shape, family);
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
            Files.writeString(dir.resolve("config.json"), configJson(shape, family));
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
        boolean norm = isNorm(t);
        double spread = spread(t);
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
    public static List<TensorSpec> tensors(ModelShape s) { return tensors(s, Family.LLAMA); }

    /** The tensors of a {@code family} model of this shape, in the order Hugging Face lists them. */
    public static List<TensorSpec> tensors(ModelShape s, Family f) {
        List<TensorSpec> l = new ArrayList<>();
        long h = s.hidden(), d = f.headDim(s), q = s.heads() * d, kv = s.kvHeads() * d;
        l.add(new TensorSpec("model.embed_tokens.weight", s.dtype(), Shape.of(s.vocab(), h)));
        for (int i = 0; i < s.layers(); i++) {
            String p = "model.layers." + i + ".";
            l.add(new TensorSpec(p + "input_layernorm.weight", s.dtype(), Shape.of(h)));
            l.add(new TensorSpec(p + "self_attn.q_proj.weight", s.dtype(), Shape.of(q, h)));
            if (f.qkvBias()) l.add(new TensorSpec(p + "self_attn.q_proj.bias", s.dtype(), Shape.of(q)));
            l.add(new TensorSpec(p + "self_attn.k_proj.weight", s.dtype(), Shape.of(kv, h)));
            if (f.qkvBias()) l.add(new TensorSpec(p + "self_attn.k_proj.bias", s.dtype(), Shape.of(kv)));
            l.add(new TensorSpec(p + "self_attn.v_proj.weight", s.dtype(), Shape.of(kv, h)));
            if (f.qkvBias()) l.add(new TensorSpec(p + "self_attn.v_proj.bias", s.dtype(), Shape.of(kv)));
            l.add(new TensorSpec(p + "self_attn.o_proj.weight", s.dtype(), Shape.of(h, q)));
            if (f.qkNorm()) {
                l.add(new TensorSpec(p + "self_attn.q_norm.weight", s.dtype(), Shape.of(d)));
                l.add(new TensorSpec(p + "self_attn.k_norm.weight", s.dtype(), Shape.of(d)));
            }
            l.add(new TensorSpec(p + "post_attention_layernorm.weight", s.dtype(), Shape.of(h)));
            l.add(new TensorSpec(p + "mlp.gate_proj.weight", s.dtype(), Shape.of(s.intermediate(), h)));
            l.add(new TensorSpec(p + "mlp.up_proj.weight", s.dtype(), Shape.of(s.intermediate(), h)));
            l.add(new TensorSpec(p + "mlp.down_proj.weight", s.dtype(), Shape.of(h, s.intermediate())));
        }
        l.add(new TensorSpec("model.norm.weight", s.dtype(), Shape.of(h)));
        if (!s.tied()) l.add(new TensorSpec("lm_head.weight", s.dtype(), Shape.of(s.vocab(), h)));
        return l;
    }

    /** Norm weights scatter around 1, everything else (biases included) around 0. */
    private static boolean isNorm(TensorSpec t) {
        return t.shape().rank() == 1 && !t.name().endsWith(".bias");
    }

    /** Matrices keep activations at unit scale; biases are large enough to matter in a forward pass. */
    private static double spread(TensorSpec t) {
        if (t.name().endsWith(".bias")) return 0.3;
        long[] shape = t.shape().dims();
        return shape.length == 1 ? 0.05 : 1.0 / Math.sqrt(shape[shape.length - 1]);
    }

    private static void fill(TensorSpec t, long seed, int variant, double scale, Kernels k, float[] buf,
                             MemorySegment seg) {
        boolean norm = isNorm(t);
        double spread = spread(t);
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

    static String configJson(ModelShape s) { return configJson(s, Family.LLAMA); }

    /** config.json as transformers writes it (sorted keys, Python's spelling of numbers). */
    static String configJson(ModelShape s, Family f) {
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.putArray("architectures").add(f.architecture());
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        if (f.headDim() > 0) c.put("head_dim", f.headDim());
        c.put("hidden_act", "silu");
        c.put("hidden_size", s.hidden());
        c.put("intermediate_size", s.intermediate());
        c.put("max_position_embeddings", f.maxPositions());
        c.put("model_type", f.modelType());
        c.put("num_attention_heads", s.heads());
        c.put("num_hidden_layers", s.layers());
        c.put("num_key_value_heads", s.kvHeads());
        c.put("rms_norm_eps", f.rmsEps());
        c.put("rope_theta", f.ropeTheta());
        c.put("tie_word_embeddings", s.tied());
        c.put("torch_dtype", s.dtype().torchName());
        c.put("vocab_size", s.vocab());
        c.setAll((ObjectNode) JSON.valueToTree(f.config()));
        return PythonStyleJson.write(c, true);
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();
}
