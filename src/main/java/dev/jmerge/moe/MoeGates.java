package dev.jmerge.moe;

import dev.jmerge.config.MoeConfig;
import dev.jmerge.error.ConfigException;
import dev.jmerge.exec.TensorStreams;
import dev.jmerge.forward.HiddenStates;
import dev.jmerge.forward.Transformer;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.methods.random.CounterRng;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.tokenizer.encoding.TextEncoder;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;

/**
 * The router weights of every layer (compat §5.3), one row per gate expert ({@link MoePlan#gateExperts()}), in
 * float64 until they are written:
 * <ul>
 *   <li>{@code random}: standard normal draws, {@code uniform_random}: U(−1/√hidden, 1/√hidden), from the
 *       counter RNG keyed by the seed, so the same seed gives the same gates whatever the thread count;</li>
 *   <li>{@code cheap_embed}: the sum of the input embeddings of every token of the expert's prompts (each
 *       encoded as BOS text + prompt, as mergekit does), normalised; the negative prompts' sum, normalised, is
 *       subtracted; normalised again; the same row for every layer;</li>
 *   <li>{@code hidden}/{@code hidden_last}: per layer, the base model's hidden state entering that layer at each
 *       prompt's last token, averaged over the prompts, minus the negative prompts' average, normalised;
 *       {@code hidden_avg}: each prompt's states averaged over its own tokens first.</li>
 * </ul>
 * mergekit's {@code hidden_avg} divides each padded row's sum by the padded length, pad positions included, whose
 * states depend on the attention implementation; here a prompt is averaged over its real tokens, which gives the
 * same gates whenever an expert's prompts have equal token counts (a single prompt, for one) and does not depend
 * on how the batch is padded otherwise.
 */
public final class MoeGates {

    /** mergekit's threshold on each layer's gate matrix condition number. */
    static final double CONDITION_LIMIT = 5.0;
    private static final double MIN_NORM = 1e-8;

    /** {@code rows[layer][gateRow][hidden]}, and what the user should know (degenerate layers). */
    public record Result(double[][][] rows, List<String> warnings) {}

    private MoeGates() {}

    /** Stream keys of the random gates: one per mode, from the run's seed. */
    static long randomKey(long seed, MoeConfig.GateMode mode) {
        return CounterRng.key(seed, "moe.gates." + mode.yamlName(), 0);
    }

    public static Result compute(MoePlan plan, long seed, Kernels kernels, int threads) {
        MoeConfig.GateMode mode = plan.config().gateMode();
        int layers = plan.layers(), h = plan.hidden(), rows = plan.gateExperts().size();
        double[][][] g = new double[layers][rows][h];
        switch (mode) {
            case RANDOM, UNIFORM_RANDOM -> {
                long key = randomKey(seed, mode);
                double bound = Math.sqrt(1.0 / h);
                for (int l = 0; l < layers; l++) {
                    for (int r = 0; r < rows; r++) {
                        for (int i = 0; i < h; i++) {
                            long idx = ((long) l * rows + r) * h + i;
                            g[l][r][i] = mode == MoeConfig.GateMode.RANDOM ? CounterRng.normal(key, idx)
                                    : CounterRng.uniform(key, idx) * 2 * bound - bound;
                        }
                    }
                }
            }
            case CHEAP_EMBED -> cheapEmbed(plan, kernels, g);
            case HIDDEN, HIDDEN_LAST, HIDDEN_AVG -> hidden(plan, kernels, threads, g,
                    mode == MoeConfig.GateMode.HIDDEN_AVG ? HiddenStates.Pooling.MEAN : HiddenStates.Pooling.LAST);
        }
        for (double[][] layer : g) {
            for (double[] row : layer) {
                for (double v : row) {
                    if (!Double.isFinite(v)) {
                        throw new ConfigException("the " + mode.yamlName() + " gates of base model '"
                                + plan.base().label() + "' are not finite numbers (its hidden states overflow)");
                    }
                }
            }
        }
        return new Result(g, degenerate(g));
    }

    private static void cheapEmbed(MoePlan plan, Kernels kernels, double[][][] g) {
        LoadedModel base = plan.base();
        String embed = "model.embed_tokens.weight";
        if (!base.weights().has(embed)) {
            throw new ConfigException("base model '" + base.label() + "' has no tensor '" + embed + "', which"
                    + " gate_mode cheap_embed reads");
        }
        long[] shape = base.info(embed).shape().dims();
        int h = plan.hidden();
        if (shape.length != 2 || shape[1] != h) {
            throw new ConfigException("base model '" + base.label() + "': tensor '" + embed + "' has shape "
                    + java.util.Arrays.toString(shape) + ", expected [vocabulary, " + h + "]");
        }
        base.weights().fetch(List.of(base.weights().fileOf(embed)));
        try (TextEncoder enc = encoder(base); TensorStreams streams = new TensorStreams(kernels)) {
            TensorStreams.Stream rows = streams.open(base, embed);
            float[] row = new float[h];
            List<MoeConfig.Expert> experts = plan.gateExperts();
            for (int r = 0; r < experts.size(); r++) {
                MoeConfig.Expert e = experts.get(r);
                double[] v = normalized(embeddingSum(enc, e, e.positivePrompts(), rows, row, shape[0]));
                if (!e.negatives().isEmpty()) {
                    double[] neg = normalized(embeddingSum(enc, e, e.negatives(), rows, row, shape[0]));
                    for (int i = 0; i < h; i++) v[i] -= neg[i];
                }
                v = normalized(v);
                for (double[][] layer : g) layer[r] = v.clone();
            }
            rows.finish();
        }
    }

    private static double[] embeddingSum(TextEncoder enc, MoeConfig.Expert e, List<String> prompts,
                                         TensorStreams.Stream embed, float[] row, long vocab) {
        double[] sum = new double[row.length];
        for (int[] ids : encode(enc, e, prompts)) {
            for (int t : ids) {
                if (t < 0 || t >= vocab) {
                    throw new ConfigException(e.pos() + ": a prompt of '" + e.sourceModel() + "' encodes to token id "
                            + t + ", outside the base model's embedding (" + vocab + " rows)");
                }
                embed.read((long) t * row.length, row, 0, row.length);
                for (int i = 0; i < row.length; i++) sum[i] += row[i];
            }
        }
        return sum;
    }

    private static void hidden(MoePlan plan, Kernels kernels, int threads, double[][][] g, HiddenStates.Pooling pooling) {
        LoadedModel base = plan.base();
        if (base.weights().adapted()) {
            throw new ConfigException("base model '" + base.label() + "': hidden-state gates run the base model, and"
                    + " its LoRA adapter would have to be merged into it first; pass --lora-merge-cache DIR");
        }
        base.weights().fetch(base.weights().files());
        List<MoeConfig.Expert> experts = plan.gateExperts();
        try (TextEncoder enc = encoder(base); Transformer model = Transformer.open(base.folder(), kernels, threads)) {
            int pad = enc.bosId() >= 0 ? enc.bosId() : Math.max(0, enc.eosId());
            for (int r = 0; r < experts.size(); r++) {
                MoeConfig.Expert e = experts.get(r);
                double[][] v = meanStates(model, encode(enc, e, e.positivePrompts()), pad, pooling);
                if (!e.negatives().isEmpty()) {
                    double[][] neg = meanStates(model, encode(enc, e, e.negatives()), pad, pooling);
                    for (int l = 0; l < v.length; l++) for (int i = 0; i < v[l].length; i++) v[l][i] -= neg[l][i];
                }
                for (int l = 0; l < g.length; l++) g[l][r] = normalized(v[l]);
            }
        }
    }

    /** Per layer, the pooled states of {@code prompts} averaged over the prompts. */
    private static double[][] meanStates(Transformer model, List<int[]> prompts, int pad, HiddenStates.Pooling pooling) {
        HiddenStates.Padded batch = HiddenStates.leftPad(prompts, pad);
        float[][][] s = model.hiddenStates(batch.ids(), batch.mask(), pooling);
        double[][] mean = new double[s.length][];
        for (int l = 0; l < s.length; l++) {
            double[] m = new double[s[l][0].length];
            for (float[] seq : s[l]) for (int i = 0; i < m.length; i++) m[i] += seq[i];
            for (int i = 0; i < m.length; i++) m[i] /= s[l].length;
            mean[l] = m;
        }
        return mean;
    }

    /** Each prompt as mergekit tokenizes it: the BOS token's text prepended, no special tokens added. */
    static List<int[]> encode(TextEncoder enc, MoeConfig.Expert e, List<String> prompts) {
        String bos = enc.bosToken() == null ? "" : enc.bosToken();
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            int[] ids = enc.encodePlain(bos + prompts.get(i));
            if (ids.length == 0) {
                throw new ConfigException(e.pos() + ": prompt " + i + " of expert '" + e.sourceModel() + "' is empty"
                        + " and the tokenizer has no BOS token, so it gives no tokens to route by");
            }
            out.add(ids);
        }
        return out;
    }

    private static TextEncoder encoder(LoadedModel base) {
        if (!Files.isRegularFile(base.folder().resolve("tokenizer.json"))) {
            throw new ConfigException("base model '" + base.label() + "' has no tokenizer.json; prompt-based gate"
                    + " modes encode the prompts with it (gate_mode random needs no tokenizer)");
        }
        return TextEncoder.open(base.folder());
    }

    /** {@code v / max(|v|, 1e-8)}, as mergekit clamps the norm. */
    static double[] normalized(double[] v) {
        double ss = 0;
        for (double x : v) ss += x * x;
        double n = Math.max(Math.sqrt(ss), MIN_NORM);
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i] / n;
        return out;
    }

    /** mergekit's warning: layers whose gate matrix has a 2-norm condition number above 5. */
    static List<String> degenerate(double[][][] g) {
        List<Integer> bad = new ArrayList<>();
        for (int l = 0; l < g.length; l++) {
            if (condition(g[l]) > CONDITION_LIMIT) bad.add(l);
        }
        if (bad.isEmpty()) return List.of();
        String which;
        if (bad.size() == 1) which = "layer " + bad.getFirst() + " has";
        else if (bad.size() >= g.length) which = "all layers have";
        else if (bad.size() == 2) which = "layers " + bad.get(0) + " and " + bad.get(1) + " have";
        else {
            List<String> s = bad.stream().map(String::valueOf).toList();
            which = "layers " + String.join(", ", s.subList(0, s.size() - 1)) + " and " + s.getLast() + " have";
        }
        return List.of(which + " degenerate routing parameters (gate matrix condition number above "
                + (int) CONDITION_LIMIT + "): the prompts may be too similar, and some experts will be underused");
    }

    /** The ratio of the largest to the smallest singular value (infinite for a rank-deficient matrix). */
    static double condition(double[][] rows) {
        DMatrixRMaj m = new DMatrixRMaj(rows);
        var svd = DecompositionFactory_DDRM.svd(m.numRows, m.numCols, false, false, true);
        if (!svd.decompose(m)) return Double.POSITIVE_INFINITY;
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (double s : svd.getSingularValues()) {
            lo = Math.min(lo, s);
            hi = Math.max(hi, s);
        }
        return lo > 0 ? hi / lo : Double.POSITIVE_INFINITY;
    }
}
