package dev.jmerge.synth;

import dev.jmerge.tensor.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Four tiny models, one per architecture the forward pass implements, each exercising what its family adds:
 * llama (bf16, llama3 rope scaling), mistral (f16, sliding window shorter than the sequences, linear rope
 * scaling), qwen2 (f32, q/k/v biases, tied embeddings, dynamic rope scaling past a 16-position training
 * length), qwen3 (bf16, sharded, explicit head_dim ≠ hidden/heads, q/k norms, 4 query heads per key head,
 * yarn). Each folder also gets {@code sequences.json}: token-id sequences to run. The PyTorch reference
 * ({@code src/test/python/forward_reference.py}) computes logits and hidden states from these files; the tests
 * regenerate the models and compare. Run as a program to write them: {@code ForwardFixtureModels DIR}.
 */
public final class ForwardFixtureModels {

    public static final long SEED = 1414L;
    public static final int VOCAB = 320;

    /** A fixture model: its family, shape, and the sequence lengths it is run on. */
    public record Spec(String name, ModelShape shape, Family family, long maxShardBytes, int[] lengths) {}

    private ForwardFixtureModels() {}

    public static List<Spec> specs() {
        Map<String, Object> llama3 = new LinkedHashMap<>();
        llama3.put("factor", 8.0);
        llama3.put("high_freq_factor", 4.0);
        llama3.put("low_freq_factor", 1.0);
        llama3.put("original_max_position_embeddings", 8192);
        llama3.put("rope_type", "llama3");
        Map<String, Object> yarn = new LinkedHashMap<>();
        yarn.put("factor", 4.0);
        yarn.put("original_max_position_embeddings", 32);
        yarn.put("rope_type", "yarn");
        return List.of(
                new Spec("llama", new ModelShape(64, 128, 2, 4, 2, VOCAB, false, DType.BF16),
                        Family.LLAMA.withRope(500000.0, 131072, llama3), 0, new int[] {1, 7, 24}),
                new Spec("mistral", new ModelShape(64, 128, 2, 4, 2, VOCAB, false, DType.F16),
                        Family.mistral(6).withRope(10000.0, 2048, Map.of("type", "linear", "factor", 2.0)), 0,
                        new int[] {5, 20}),
                new Spec("qwen2", new ModelShape(64, 128, 2, 4, 2, VOCAB, true, DType.F32),
                        Family.QWEN2.withRope(1000000.0, 16, Map.of("rope_type", "dynamic", "factor", 2.0)), 0,
                        new int[] {9, 24}),
                new Spec("qwen3", new ModelShape(64, 128, 2, 4, 1, VOCAB, false, DType.BF16),
                        Family.qwen3(24).withRope(1000000.0, 128, yarn), 60_000, new int[] {3, 12, 40}));
    }

    public static void main(String[] args) {
        write(Path.of(args.length > 0 ? args[0] : "target/forward-fixtures"));
    }

    public static void write(Path root) {
        for (Spec s : specs()) write(root.resolve(s.name()), s);
    }

    public static void write(Path dir, Spec s) {
        SyntheticModels.write(dir, s.shape(), s.family(), SEED + s.name().hashCode(), 0, 0, s.maxShardBytes());
        StringBuilder json = new StringBuilder("[\n");
        List<int[]> seqs = sequences(s);
        for (int i = 0; i < seqs.size(); i++) {
            json.append("  ").append(java.util.Arrays.toString(seqs.get(i))).append(i + 1 < seqs.size() ? ",\n" : "\n");
        }
        try {
            Files.writeString(dir.resolve("sequences.json"), json.append("]\n").toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The sequences a fixture model is run on, drawn from its seed. */
    public static List<int[]> sequences(Spec s) {
        SplittableRandom r = new SplittableRandom(SEED ^ s.name().hashCode());
        List<int[]> out = new ArrayList<>();
        for (int len : s.lengths()) out.add(r.ints(len, 0, s.shape().vocab()).toArray());
        return out;
    }
}
