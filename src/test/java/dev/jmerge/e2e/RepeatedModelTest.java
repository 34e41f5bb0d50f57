package dev.jmerge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.methods.KarcherReference;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config that lists one fine-tune twice, as a real 17-model karcher recipe does: mergekit keys each tensor's
 * inputs by model, so the repeated model counts once; the output must equal a float64 Karcher mean of the 16
 * distinct models, and the plan says so in one warning.
 */
class RepeatedModelTest {

    @TempDir
    static Path models;

    @TempDir
    Path tmp;

    static final int DISTINCT = 16;
    static final int REPEATED = 5;

    @BeforeAll
    static void generate() {
        List<Path> dirs = new ArrayList<>();
        for (int v = 0; v <= DISTINCT; v++) dirs.add(models.resolve("ft" + v));
        SyntheticModels.writeAll(dirs, ModelShape.tiny(DType.BF16), 17, 0.2, 0, 2);
    }

    /** Seventeen entries: ft1 … ft16 with ft5 listed again after ft11. */
    static String config() {
        StringBuilder y = new StringBuilder("merge_method: karcher\ndtype: float32\nmodels:\n");
        for (int v = 1; v <= DISTINCT; v++) {
            y.append("  - model: ").append(models.resolve("ft" + v)).append('\n');
            if (v == 11) y.append("  - model: ").append(models.resolve("ft" + REPEATED)).append('\n');
        }
        return y.toString();
    }

    @Test
    void karcherOfSeventeenEntriesWithOneRepeatIsTheMeanOfTheSixteenModels() throws Exception {
        Path cfg = tmp.resolve("karcher.yml");
        Files.writeString(cfg, config());
        Path out = tmp.resolve("out");
        Cli r = Cli.run(cfg.toString(), out.toString(), "--quiet");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).containsOnlyOnce("is listed 2 times").contains("ft" + REPEATED + "'");

        List<Map<String, ModelFiles.Tensor>> in = new ArrayList<>();
        for (int v = 1; v <= DISTINCT; v++) in.add(ModelFiles.read(models.resolve("ft" + v)));
        Map<String, ModelFiles.Tensor> got = ModelFiles.read(out);
        assertThat(got.keySet()).containsExactlyInAnyOrderElementsOf(in.getFirst().keySet());
        double worstOnce = 0, worstTwice = 0;
        for (String t : got.keySet()) {
            float[] actual = got.get(t).values();
            double[][] once = new double[DISTINCT][];
            double[][] twice = new double[DISTINCT + 1][];
            for (int m = 0; m < DISTINCT; m++) once[m] = twice[m] = doubles(in.get(m).get(t).values());
            twice[DISTINCT] = once[REPEATED - 1];
            double[] want = KarcherReference.karcher(once, 10, 1e-5);
            double[] doubled = KarcherReference.karcher(twice, 10, 1e-5);
            double scale = 0;
            for (double w : want) scale = Math.max(scale, Math.abs(w));
            for (int i = 0; i < actual.length; i++) {
                worstOnce = Math.max(worstOnce, Math.abs(actual[i] - want[i]) / Math.max(scale, 1e-30));
                worstTwice = Math.max(worstTwice, Math.abs(actual[i] - doubled[i]) / Math.max(scale, 1e-30));
            }
        }
        // within float32 rounding of the mean with the model counted once; far from counting it twice
        assertThat(worstOnce).isLessThan(1e-5);
        assertThat(worstTwice).isGreaterThan(1e-3);
    }

    @Test
    void dryRunShowsTheWarning() throws Exception {
        Path cfg = tmp.resolve("karcher.yml");
        Files.writeString(cfg, config());
        Cli r = Cli.run(cfg.toString(), tmp.resolve("never").toString(), "--dry-run");
        assertThat(r.exitCode()).as(r.err()).isZero();
        String warning = "warning: model '" + models.resolve("ft" + REPEATED) + "' is listed 2 times";
        assertThat(r.out()).as("the plan report").containsOnlyOnce(warning);
        assertThat(r.err()).as("the warnings as the plan is made").containsOnlyOnce(warning);
        assertThat(tmp.resolve("never")).doesNotExist();
    }

    private static double[] doubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }
}
