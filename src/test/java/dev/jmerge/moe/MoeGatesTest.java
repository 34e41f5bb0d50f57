package dev.jmerge.moe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.jmerge.config.MoeConfig;
import dev.jmerge.e2e.ModelFiles;
import dev.jmerge.forward.HiddenStates;
import dev.jmerge.forward.Transformer;
import dev.jmerge.kernels.KernelsProvider;
import dev.jmerge.methods.random.CounterRng;
import dev.jmerge.synth.Family;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The router weights of every gate mode against references computed here: the hidden modes from the forward
 * pass's hidden states (each prompt run alone, per-position states from its prefixes) in float64, cheap_embed from
 * the embedding table, the random modes from the counter RNG's draws; and the degenerate-gates warning.
 */
class MoeGatesTest {

    @TempDir
    static Path dir;
    static Path llama;
    private static final int H = MoeFixtures.SHAPE.hidden(), L = MoeFixtures.SHAPE.layers();

    /** Positive and negative prompts of the three experts, and their token ids as the word tokenizer gives them. */
    private static final String EXPERTS = """
            experts:
              - source_model: %1$s/ft1
                positive_prompts: ["w10 w11 w12", "w13"]
                negative_prompts: ["w50 w51"]
              - source_model: %1$s/ft2
                positive_prompts: ["w20 w21"]
              - source_model: %1$s/ft3
                positive_prompts: ["w30 w31 w32 w33 w34"]
                negative_prompts: ["w5", "w6 w7"]
            """;
    private static final List<List<int[]>> POSITIVE = List.of(
            List.of(new int[] {1, 10, 11, 12}, new int[] {1, 13}), List.<int[]>of(new int[] {1, 20, 21}),
            List.<int[]>of(new int[] {1, 30, 31, 32, 33, 34}));
    private static final List<List<int[]>> NEGATIVE = List.of(List.<int[]>of(new int[] {1, 50, 51}), List.of(),
            List.of(new int[] {1, 5}, new int[] {1, 6, 7}));

    @BeforeAll
    static void models() {
        llama = MoeFixtures.family(dir, "llama", Family.LLAMA, MoeFixtures.SHAPE);
    }

    private static Map<String, ModelFiles.Tensor> build(String mode, String extra, long seed) {
        Path yaml = MoeFixtures.yaml(dir, mode + ".yml", "base_model: " + llama + "/base\ngate_mode: " + mode
                + "\ndtype: float32\n" + extra + EXPERTS.formatted(llama));
        Path out = dir.resolve(mode + "-" + seed + "-out");
        MoeFixtures.build(yaml, out, seed, 1, false);
        return MoeFixtures.read(out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"hidden", "hidden_last", "hidden_avg"})
    void hiddenGatesAreTheNormalisedDifferenceOfMeanHiddenStates(String mode) {
        Map<String, ModelFiles.Tensor> out = build(mode, "", 1);
        double[][][] want = new double[L][3][];
        try (Transformer m = Transformer.open(llama.resolve("base"), KernelsProvider.get(), 1)) {
            for (int e = 0; e < 3; e++) {
                double[][] pos = meanState(m, POSITIVE.get(e), mode.equals("hidden_avg"));
                double[][] neg = NEGATIVE.get(e).isEmpty() ? null : meanState(m, NEGATIVE.get(e), mode.equals("hidden_avg"));
                for (int l = 0; l < L; l++) {
                    double[] v = pos[l].clone();
                    if (neg != null) for (int i = 0; i < H; i++) v[i] -= neg[l][i];
                    want[l][e] = unit(v);
                }
            }
        }
        for (int l = 0; l < L; l++) {
            float[] got = out.get("model.layers." + l + ".mlp.gate.weight").values();
            for (int e = 0; e < 3; e++) {
                for (int i = 0; i < H; i++) {
                    assertThat((double) got[e * H + i]).as("layer %d expert %d element %d", l, e, i)
                            .isCloseTo(want[l][e][i], offset(1e-5));
                }
            }
        }
    }

    /**
     * Per layer, the prompts' states averaged over the prompts: each prompt's state at its last token, or (avg) the
     * mean of its states at every position, each taken as the last-token state of the prefix ending there.
     */
    private static double[][] meanState(Transformer m, List<int[]> prompts, boolean avg) {
        double[][] sum = new double[L][H];
        for (int[] ids : prompts) {
            List<int[]> prefixes = new ArrayList<>();
            if (avg) for (int t = 1; t <= ids.length; t++) prefixes.add(Arrays.copyOf(ids, t));
            else prefixes.add(ids);
            for (int[] p : prefixes) {
                int[] mask = new int[p.length];
                Arrays.fill(mask, 1);
                float[][][] s = m.hiddenStates(new int[][] {p}, new int[][] {mask}, HiddenStates.Pooling.LAST);
                for (int l = 0; l < L; l++) {
                    for (int i = 0; i < H; i++) sum[l][i] += (double) s[l][0][i] / prefixes.size() / prompts.size();
                }
            }
        }
        return sum;
    }

    @Test
    void cheapEmbedGatesAreTheNormalisedDifferenceOfNormalisedEmbeddingSums() {
        Map<String, ModelFiles.Tensor> out = build("cheap_embed", "", 1);
        float[] embed = MoeFixtures.read(llama.resolve("base")).get("model.embed_tokens.weight").values();
        for (int e = 0; e < 3; e++) {
            double[] v = unit(embeddingSum(embed, POSITIVE.get(e)));
            if (!NEGATIVE.get(e).isEmpty()) {
                double[] n = unit(embeddingSum(embed, NEGATIVE.get(e)));
                for (int i = 0; i < H; i++) v[i] -= n[i];
            }
            v = unit(v);
            for (int l = 0; l < L; l++) {
                float[] got = out.get("model.layers." + l + ".mlp.gate.weight").values();
                for (int i = 0; i < H; i++) assertThat((double) got[e * H + i]).isCloseTo(v[i], offset(1e-6));
            }
        }
    }

    private static double[] embeddingSum(float[] embed, List<int[]> prompts) {
        double[] s = new double[H];
        for (int[] ids : prompts) for (int t : ids) for (int i = 0; i < H; i++) s[i] += embed[t * H + i];
        return s;
    }

    @Test
    void randomGatesAreUnnormalisedStandardNormalDrawsOfTheSeed() {
        Map<String, ModelFiles.Tensor> out = build("random", "", 7);
        long key = MoeGates.randomKey(7, MoeConfig.GateMode.RANDOM);
        double sum = 0, sumSq = 0;
        for (int l = 0; l < L; l++) {
            float[] got = out.get("model.layers." + l + ".mlp.gate.weight").values();
            for (int j = 0; j < 3 * H; j++) {
                assertThat(got[j]).isEqualTo((float) CounterRng.normal(key, (long) l * 3 * H + j));
                sum += got[j];
                sumSq += (double) got[j] * got[j];
            }
        }
        int n = L * 3 * H;
        assertThat(sum / n).isCloseTo(0, offset(0.25));
        assertThat(Math.sqrt(sumSq / n)).isCloseTo(1, offset(0.2)); // rows of norm about sqrt(32), not 1
        assertThat(build("random", "", 8).get("model.layers.0.mlp.gate.weight").values())
                .isNotEqualTo(out.get("model.layers.0.mlp.gate.weight").values());
    }

    @Test
    void uniformRandomGatesLieWithinTheLinearLayersInitialisationBound() {
        Map<String, ModelFiles.Tensor> out = build("uniform_random", "", 7);
        long key = MoeGates.randomKey(7, MoeConfig.GateMode.UNIFORM_RANDOM);
        double bound = Math.sqrt(1.0 / H);
        for (int l = 0; l < L; l++) {
            float[] got = out.get("model.layers." + l + ".mlp.gate.weight").values();
            for (int j = 0; j < 3 * H; j++) {
                assertThat((double) got[j]).isBetween(-bound, bound);
                double u = CounterRng.uniform(key, (long) l * 3 * H + j);
                assertThat(got[j]).isEqualTo((float) (u * 2 * bound - bound));
            }
        }
    }

    @Test
    void nearlyIdenticalPromptsWarnAboutDegenerateLayers() {
        // 30 words in common and one apart: the two gate rows are nearly parallel (cosine about 0.97)
        StringBuilder words = new StringBuilder();
        for (int w = 5; w < 35; w++) words.append(w == 5 ? "" : " ").append('w').append(w);
        String shared = words.toString();
        Path yaml = MoeFixtures.yaml(dir, "degenerate.yml", """
                base_model: %1$s/base
                gate_mode: cheap_embed
                experts:
                  - source_model: %1$s/ft1
                    positive_prompts: ["%2$s w40"]
                  - source_model: %1$s/ft2
                    positive_prompts: ["%2$s w41"]
                """.formatted(llama, shared));
        assertThat(MoeFixtures.build(yaml, dir.resolve("degenerate"), 1, 1, false)).containsExactly(
                "all layers have degenerate routing parameters (gate matrix condition number above 5): the prompts may"
                        + " be too similar, and some experts will be underused");
    }

    @Test
    void theWarningNamesTheDegenerateLayersAsMergekitDoes() {
        double[][] good = {{1, 0, 0}, {0, 1, 0}}, bad = {{1, 0, 0}, {1, 0.01, 0}};
        assertThat(MoeGates.condition(good)).isCloseTo(1.0, offset(1e-12));
        // nearly parallel rows: singular values about sqrt(2) and 0.01 / sqrt(2), a ratio of about 200
        assertThat(MoeGates.condition(bad)).isGreaterThan(100);
        assertThat(MoeGates.condition(new double[][] {{0, 0, 0}, {0, 0, 0}})).isInfinite();
        assertThat(MoeGates.degenerate(new double[][][] {good, good})).isEmpty();
        assertThat(MoeGates.degenerate(new double[][][] {good, bad, good}).getFirst()).startsWith("layer 1 has ");
        assertThat(MoeGates.degenerate(new double[][][] {bad, bad, good}).getFirst()).startsWith("layers 0 and 1 have ");
        assertThat(MoeGates.degenerate(new double[][][] {bad, bad, good, bad}).getFirst())
                .startsWith("layers 0, 1 and 3 have ");
        assertThat(MoeGates.degenerate(new double[][][] {bad, bad}).getFirst()).startsWith("all layers have ");
    }

    private static double[] unit(double[] v) {
        double ss = 0;
        for (double x : v) ss += x * x;
        double n = Math.max(Math.sqrt(ss), 1e-8);
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i] / n;
        return out;
    }
}
