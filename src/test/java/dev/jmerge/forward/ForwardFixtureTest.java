package dev.jmerge.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.KernelsProvider;
import dev.jmerge.kernels.ScalarKernels;
import dev.jmerge.synth.ForwardFixtureModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The forward pass against float64 PyTorch (src/test/python/forward_reference.py, fixtures in
 * src/test/resources/forward): for each fixture model, regenerated from its seed, the logits of every position
 * of every sequence are within 1e-4 of the reference relative to that position's largest logit, and the pooled
 * hidden states of the left-padded batch within 1e-4 relative to each vector's largest component. Both kernel
 * implementations run the whole model.
 */
class ForwardFixtureTest {

    private static final double TOLERANCE = 1e-4;

    @TempDir
    static Path models;

    static List<Object[]> cases() {
        List<Object[]> l = new ArrayList<>();
        for (ForwardFixtureModels.Spec s : ForwardFixtureModels.specs()) {
            l.add(new Object[] {s.name(), "vector"});
            l.add(new Object[] {s.name(), "scalar"});
        }
        return l;
    }

    @ParameterizedTest(name = "{0} ({1} kernels)")
    @MethodSource("cases")
    void logitsAndHiddenStatesMatchTheFloat64Reference(String name, String kernels) {
        ForwardFixtureModels.Spec spec = ForwardFixtureModels.specs().stream().filter(s -> s.name().equals(name))
                .findFirst().orElseThrow();
        Path dir = models.resolve(name);
        if (!dir.resolve("config.json").toFile().exists()) ForwardFixtureModels.write(dir, spec);
        Kernels k = kernels.equals("scalar") ? new ScalarKernels() : KernelsProvider.get();
        try (Fixture ref = new Fixture(Path.of("src/test/resources/forward", name + ".safetensors"));
             Transformer model = Transformer.open(dir, k, 2)) {
            List<int[]> seqs = new ArrayList<>();
            for (int i = 0; ref.has("seq" + i + ".tokens"); i++) {
                int[] tokens = ref.ints("seq" + i + ".tokens");
                seqs.add(tokens);
                double[] expected = ref.doubles("seq" + i + ".logits");
                float[][] logits = model.logits(tokens);
                int vocab = model.outputVocab();
                assertThat(vocab * tokens.length).isEqualTo(expected.length);
                for (int p = 0; p < tokens.length; p++) {
                    assertClose(logits[p], expected, p * vocab, vocab, name + " seq" + i + " position " + p);
                }
            }
            assertThat(seqs).as("sequences in the fixture").hasSize(spec.lengths().length);
            HiddenStates.Padded batch = HiddenStates.leftPad(seqs, 0);
            int layers = model.config().layers(), h = model.config().hidden();
            for (var pooling : HiddenStates.Pooling.values()) {
                double[] expected = ref.doubles(pooling == HiddenStates.Pooling.LAST ? "hidden.last" : "hidden.mean");
                float[][][] states = model.hiddenStates(batch.ids(), batch.mask(), pooling);
                for (int l = 0; l < layers; l++) {
                    for (int b = 0; b < seqs.size(); b++) {
                        assertClose(states[l][b], expected, (l * seqs.size() + b) * h, h,
                                name + " " + pooling + " layer " + l + " sequence " + b);
                    }
                }
            }
        }
    }

    private static void assertClose(float[] actual, double[] expected, int off, int n, String what) {
        double scale = 0, err = 0;
        for (int j = 0; j < n; j++) {
            scale = Math.max(scale, Math.abs(expected[off + j]));
            err = Math.max(err, Math.abs(actual[j] - expected[off + j]));
        }
        assertThat(scale).as(what + ": reference is all zeros").isPositive();
        assertThat(err / scale).as(what + ": max error relative to the largest value").isLessThanOrEqualTo(TOLERANCE);
    }
}
