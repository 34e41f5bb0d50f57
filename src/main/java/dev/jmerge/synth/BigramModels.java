package dev.jmerge.synth;

import dev.jmerge.io.safetensors.SafetensorsWriter;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.io.safetensors.TensorSpec;
import dev.jmerge.kernels.ScalarKernels;
import dev.jmerge.tensor.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Llama models whose next-token distribution is a known bigram table, for tests where a perplexity must come
 * out a certain way by construction. Text is drawn from a Markov chain with transition logits {@code L*}
 * (the "shared distribution"); a model at distance {@code c} predicts with logits {@code L* + c·D} for a fixed
 * direction {@code D}: {@code c = 0} is the truth, {@code c = 1} plays the base model, and fine-tunes trained
 * toward the data to different extents sit at {@code 0 < c < 1}.
 *
 * <p>How: each token's embedding is {@code √hidden} times a unit basis vector (RMS 1, so the norms with weight 1
 * leave it unchanged), every layer writes nothing to the residual stream ({@code o_proj} and {@code down_proj}
 * are zero; the other weights are random, so the layers still run), and the output head maps token {@code t}'s
 * basis vector to the logits row {@code L*[t] + c·D[t]}. The logits are then linear in the weights, and models
 * differ only in {@code lm_head}: a linear merge with weights {@code w, 1−w} of models at {@code a} and
 * {@code b} is the model at {@code w·a + (1−w)·b}. The expected cross-entropy on text from the chain is
 * {@code H + KL(p* ‖ p_c)}, convex in {@code c} with its minimum at 0, so it grows with {@code c ≥ 0}: the merge
 * lies between its parents.
 */
public final class BigramModels {

    public static final int VOCAB = 48;
    public static final int HIDDEN = 64;
    private static final double TRUTH_SCALE = 2.5;
    private static final double DIRECTION_SCALE = 2.0;

    private BigramModels() {}

    /** Writes the model at distance {@code c} from the truth into {@code dir} (float32). */
    public static void write(Path dir, long seed, double c) {
        ModelShape shape = new ModelShape(HIDDEN, 32, 1, 2, 1, VOCAB, false, DType.F32);
        double[][] truth = table(seed, TRUTH_SCALE), direction = table(seed + 1, DIRECTION_SCALE);
        List<TensorSpec> specs = SyntheticModels.tensors(shape);
        ShardLayout layout = ShardLayout.of(specs, 0);
        SplittableRandom rnd = new SplittableRandom(seed + 2);
        ScalarKernels k = new ScalarKernels();
        try {
            Files.createDirectories(dir);
            for (ShardLayout.Shard shard : layout.shards()) {
                try (SafetensorsWriter w = SafetensorsWriter.create(dir, shard)) {
                    for (TensorSpec t : shard.tensors()) {
                        float[] v = values(t, truth, direction, c, rnd);
                        MemorySegment seg = w.tensorSegment(t.name());
                        k.fromFloat(v, 0, seg, 0, DType.F32, v.length);
                    }
                    w.finish();
                }
            }
            Files.writeString(dir.resolve("config.json"), SyntheticModels.configJson(shape));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static float[] values(TensorSpec t, double[][] truth, double[][] direction, double c, SplittableRandom rnd) {
        String n = t.name();
        float[] v = new float[Math.toIntExact(t.numel())];
        if (n.endsWith("norm.weight")) {
            java.util.Arrays.fill(v, 1f);
        } else if (n.equals("model.embed_tokens.weight")) {
            for (int tok = 0; tok < VOCAB; tok++) v[tok * HIDDEN + tok] = (float) Math.sqrt(HIDDEN);
        } else if (n.equals("lm_head.weight")) {
            for (int out = 0; out < VOCAB; out++) {
                for (int tok = 0; tok < VOCAB; tok++) {
                    v[out * HIDDEN + tok] = (float) ((truth[tok][out] + c * direction[tok][out]) / Math.sqrt(HIDDEN));
                }
            }
        } else if (!n.endsWith("o_proj.weight") && !n.endsWith("down_proj.weight")) {
            // Drawn in tensor order from one generator: the same for every c, since only lm_head depends on c.
            for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * 0.2);
        }
        return v;
    }

    /** {@code count} sequences of {@code length} tokens drawn from the chain with logits {@code L*}. */
    public static List<int[]> sample(long seed, int count, int length) {
        double[][] truth = table(seed, TRUTH_SCALE);
        SplittableRandom rnd = new SplittableRandom(seed + 3);
        List<int[]> out = new ArrayList<>();
        for (int s = 0; s < count; s++) {
            int[] seq = new int[length];
            seq[0] = rnd.nextInt(VOCAB);
            for (int i = 1; i < length; i++) seq[i] = draw(truth[seq[i - 1]], rnd.nextDouble());
            out.add(seq);
        }
        return out;
    }

    /** The expected next-token cross-entropy (nats) of the model at {@code c}, averaged over previous tokens. */
    public static double expectedCrossEntropy(long seed, double c) {
        double[][] truth = table(seed, TRUTH_SCALE), direction = table(seed + 1, DIRECTION_SCALE);
        double sum = 0;
        for (int t = 0; t < VOCAB; t++) {
            double[] p = softmax(truth[t]);
            double[] q = new double[VOCAB];
            for (int j = 0; j < VOCAB; j++) q[j] = truth[t][j] + c * direction[t][j];
            double[] lq = logSoftmax(q);
            for (int j = 0; j < VOCAB; j++) sum -= p[j] * lq[j];
        }
        return sum / VOCAB;
    }

    private static int draw(double[] logits, double u) {
        double[] p = softmax(logits);
        double acc = 0;
        for (int j = 0; j < p.length; j++) {
            acc += p[j];
            if (u < acc) return j;
        }
        return p.length - 1;
    }

    private static double[][] table(long seed, double scale) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L);
        double[][] t = new double[VOCAB][VOCAB];
        for (double[] row : t) for (int j = 0; j < VOCAB; j++) row[j] = r.nextGaussian() * scale;
        return t;
    }

    private static double[] softmax(double[] x) {
        double[] l = logSoftmax(x);
        for (int i = 0; i < l.length; i++) l[i] = Math.exp(l[i]);
        return l;
    }

    private static double[] logSoftmax(double[] x) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : x) m = Math.max(m, v);
        double s = 0;
        for (double v : x) s += Math.exp(v - m);
        double lse = m + Math.log(s);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] - lse;
        return out;
    }
}
