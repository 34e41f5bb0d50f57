package dev.jmerge.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jmerge.synth.BigramModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A linear merge of two fine-tunes has a perplexity between its parents' on text from their shared
 * distribution. The models are {@link BigramModels}: text comes from a known Markov chain, fine-tune A was
 * "trained" 80 % of the way from the base toward it and B 40 %, so their logits are {@code L* + 0.2·D} and
 * {@code L* + 0.6·D}; the 50/50 merge (a real {@code jmerge} linear merge of the two folders) is at 0.4, and the
 * expected cross-entropy grows with the distance from the truth.
 */
class MergedPerplexityTest {

    private static final long SEED = 77;

    @TempDir
    Path tmp;

    @Test
    void aLinearMergeOfTwoFineTunesLiesBetweenItsParents() throws Exception {
        BigramModels.write(tmp.resolve("base"), SEED, 1.0);
        BigramModels.write(tmp.resolve("ftA"), SEED, 0.2);
        BigramModels.write(tmp.resolve("ftB"), SEED, 0.6);
        Path config = tmp.resolve("linear.yml");
        Files.writeString(config, """
                models:
                  - model: %s
                    parameters: {weight: 0.5}
                  - model: %s
                    parameters: {weight: 0.5}
                merge_method: linear
                dtype: float32
                """.formatted(tmp.resolve("ftA"), tmp.resolve("ftB")));
        EvalCliTest.Run merge = EvalCliTest.jmerge(config.toString(), tmp.resolve("merged").toString(), "--quiet");
        assertThat(merge.code()).as(merge.err()).isZero();

        List<int[]> text = BigramModels.sample(SEED, 40, 64);
        StringBuilder ids = new StringBuilder();
        for (int[] s : text) {
            for (int t : s) ids.append(t).append(' ');
            ids.append('\n');
        }
        Files.writeString(tmp.resolve("text.ids"), ids.toString());
        EvalCliTest.Run r = EvalCliTest.jmerge("eval", tmp.resolve("base").toString(), tmp.resolve("ftA").toString(),
                tmp.resolve("ftB").toString(), tmp.resolve("merged").toString(), "--token-ids",
                tmp.resolve("text.ids").toString(), "--quiet");
        assertThat(r.code()).as(r.err()).isZero();
        double base = EvalCliTest.perplexity(r, "base"), a = EvalCliTest.perplexity(r, "ftA"),
                b = EvalCliTest.perplexity(r, "ftB"), merged = EvalCliTest.perplexity(r, "merged");
        assertThat(merged).isGreaterThan(a).isLessThan(b);
        assertThat(b).isLessThan(base);
        // The sample is large enough that each perplexity is near its expectation (and so the order is no accident).
        for (double[] m : new double[][] {{a, 0.2}, {merged, 0.4}, {b, 0.6}, {base, 1.0}}) {
            assertThat(Math.log(m[0])).isCloseTo(BigramModels.expectedCrossEntropy(SEED, m[1]), within(0.08));
        }
    }
}
