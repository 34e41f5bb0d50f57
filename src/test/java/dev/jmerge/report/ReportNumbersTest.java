package dev.jmerge.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jmerge.e2e.Cli;
import dev.jmerge.e2e.ModelFiles;
import dev.jmerge.methods.random.CounterRng;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * report.json of real merges against float64 references computed here from the model files: task-vector norms
 * and cosines, model_stock's t (from the cosines, and from where the output actually lies), the kept shares of
 * ties and dare_ties (top-k and the seeded draws, then the sign election), and ‖output − base‖ from the
 * written output. Float32 models large enough that the big tensors span several tiles.
 */
class ReportNumbersTest {

    /** 2500 × 64 embeddings and 1600 × 64 MLP matrices: 2–3 tiles of 65536 elements each. */
    static final ModelShape SHAPE = new ModelShape(64, 1600, 2, 4, 2, 2500, false, DType.F32);
    static final long SEED = 7;

    /**
     * Relative tolerance of a norm. The vector kernels sum products in float32 runs of 32 per lane before float64
     * ({@code Kernels#gram}, {@code storedDistanceSquares}): within 2⁻¹⁸·Σ|products| of the sum of the float32
     * differences, which are within 2⁻²³ (relative, squared) of the exact ones; a sum of squares is thus within
     * (2⁻¹⁸ + 2⁻²²) of itself, and its root within half that.
     */
    static final double NORM = 0x1p-18;

    /**
     * Absolute tolerance of a cosine g_ab/√(g_aa·g_bb): Σ|a·b| ≤ ‖a‖‖b‖, so the error of g_ab is within (2⁻¹⁸ + 2⁻²²)
     * of the denominator, and the denominator's within as much again relative: at most 2·(2⁻¹⁸ + 2⁻²²) < 2⁻¹⁶.
     */
    static final double COSINE = 0x1p-16;

    @TempDir
    static Path models;

    @TempDir
    Path tmp;

    static Map<String, ModelFiles.Tensor> base;
    static List<Map<String, ModelFiles.Tensor>> fts = new ArrayList<>();

    @BeforeAll
    static void generate() {
        List<Path> dirs = List.of(models.resolve("base"), models.resolve("ft1"), models.resolve("ft2"), models.resolve("ft3"));
        SyntheticModels.writeAll(dirs, SHAPE, 11, 0.2, 0, 2);
        base = ModelFiles.read(dirs.get(0));
        for (int i = 1; i < dirs.size(); i++) fts.add(ModelFiles.read(dirs.get(i)));
    }

    static String model(int ft) { return models.resolve("ft" + ft).toString(); }

    JsonNode merge(String yaml, Path out, String... extra) throws Exception {
        Path cfg = tmp.resolve("config.yml");
        Files.writeString(cfg, yaml);
        List<String> args = new ArrayList<>(List.of(cfg.toString(), out.toString(), "--report", "--quiet", "-j", "2",
                "--random-seed", Long.toString(SEED)));
        args.addAll(List.of(extra));
        Cli r = Cli.run(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(out.resolve("report.html")).exists();
        return JsonMapper.shared().readTree(Files.readString(out.resolve("report.json")));
    }

    static String header(String method, String params) {
        return "merge_method: " + method + "\nbase_model: " + models.resolve("base") + "\ndtype: float32\n"
                + (params == null ? "" : "parameters: " + params + "\n") + "models:\n";
    }

    static double[] delta(String tensor, int ft) {
        float[] x = fts.get(ft - 1).get(tensor).values(), b = base.get(tensor).values();
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = (double) x[i] - b[i];
        return d;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** Checks the keys and the task-vector numbers every report with a base has; returns the tensors by name. */
    static void checkTaskVectors(JsonNode report, String method, int... ftIndices) {
        assertThat(report.get("method").asString()).isEqualTo(method);
        assertThat(report.get("base").asString()).isEqualTo(models.resolve("base").toString());
        List<String> names = new ArrayList<>();
        report.get("models").forEach(m -> names.add(m.asString()));
        List<String> expected = Arrays.stream(ftIndices).mapToObj(ReportNumbersTest::model).toList();
        assertThat(names).isEqualTo(expected);
        List<String> tensors = new ArrayList<>();
        for (JsonNode t : report.get("tensors")) {
            String name = t.get("name").asString();
            tensors.add(name);
            Integer layer = name.startsWith("model.layers.") ? Integer.valueOf(name.split("\\.")[2]) : null;
            if (layer == null) assertThat(t.get("layer").isNull()).as(name).isTrue();
            else assertThat(t.get("layer").asInt()).as(name).isEqualTo(layer);
            double[][] d = new double[ftIndices.length][];
            for (int a = 0; a < ftIndices.length; a++) {
                d[a] = delta(name, ftIndices[a]);
                assertThat(t.get("task_vector_norm").get(model(ftIndices[a])).asDouble()).as(name)
                        .isCloseTo(Math.sqrt(dot(d[a], d[a])), within(NORM * Math.sqrt(dot(d[a], d[a]))));
            }
            assertThat(t.get("cosine").size()).isEqualTo(ftIndices.length * (ftIndices.length - 1) / 2);
            for (int a = 0; a < ftIndices.length; a++) {
                for (int b = a + 1; b < ftIndices.length; b++) {
                    double cos = dot(d[a], d[b]) / Math.sqrt(dot(d[a], d[a]) * dot(d[b], d[b]));
                    assertThat(t.get("cosine").get(model(ftIndices[a]) + "|" + model(ftIndices[b])).asDouble())
                            .as(name).isCloseTo(cos, within(COSINE));
                }
            }
        }
        assertThat(tensors).containsExactlyInAnyOrderElementsOf(base.keySet());
    }

    /** ‖output − base‖ from the written files. */
    static void checkOutputDelta(JsonNode report, Path out) {
        Map<String, ModelFiles.Tensor> merged = ModelFiles.read(out);
        for (JsonNode t : report.get("tensors")) {
            String name = t.get("name").asString();
            float[] o = merged.get(name).values(), b = base.get(name).values();
            double s = 0;
            for (int i = 0; i < o.length; i++) s += ((double) o[i] - b[i]) * ((double) o[i] - b[i]);
            assertThat(t.get("output_delta_norm").asDouble()).as(name).isCloseTo(Math.sqrt(s), within(NORM * Math.sqrt(s)));
        }
    }

    @Test
    void modelStockReportsTFromTheCosinesAndWhereTheOutputLies() throws Exception {
        String yaml = header("model_stock", null) + "  - model: " + model(1) + "\n  - model: " + model(2) + "\n"
                + "  - model: " + model(3) + "\n";
        Path out = tmp.resolve("model_stock");
        JsonNode r = merge(yaml, out);
        checkTaskVectors(r, "model_stock", 1, 2, 3);
        checkOutputDelta(r, out);
        Map<String, ModelFiles.Tensor> merged = ModelFiles.read(out);
        for (JsonNode t : r.get("tensors")) {
            String name = t.get("name").asString();
            double c = 0;
            for (JsonNode cos : t.get("cosine")) c += cos.asDouble();
            c /= 3;
            double expected = 3 * c / (1 + 2 * c);
            double reported = t.get("model_stock_t").asDouble();
            assertThat(reported).as(name).isCloseTo(expected, within(1e-6));
            // the output is base + t·(mean − base): t is also the projection of (output − base) on (mean − base)
            float[] o = merged.get(name).values(), b = base.get(name).values();
            double num = 0, den = 0;
            for (int i = 0; i < o.length; i++) {
                double mean = 0;
                for (var ft : fts) mean += ft.get(name).values()[i];
                double m = mean / 3 - b[i];
                num += ((double) o[i] - b[i]) * m;
                den += m * m;
            }
            assertThat(reported).as(name).isCloseTo(num / den, within(1e-4));
            assertThat(t.has("kept_fraction")).isFalse();
        }
    }

    @Test
    void tiesReportsTheShareOfEachTaskVectorThatSurvivesTrimAndElection() throws Exception {
        double[] w = {0.5, 0.3, 0.2}, density = {0.5, 0.6, 0.4};
        StringBuilder yaml = new StringBuilder(header("ties", null));
        for (int m = 1; m <= 3; m++) {
            yaml.append("  - model: ").append(model(m)).append("\n    parameters: {weight: ").append(w[m - 1])
                    .append(", density: ").append(density[m - 1]).append("}\n");
        }
        Path out = tmp.resolve("ties");
        JsonNode r = merge(yaml.toString(), out);
        checkTaskVectors(r, "ties", 1, 2, 3);
        checkOutputDelta(r, out);
        for (JsonNode t : r.get("tensors")) {
            String name = t.get("name").asString();
            float[][] d = new float[3][];
            for (int m = 0; m < 3; m++) d[m] = weighted(topK(floatDelta(name, m + 1), density[m]), w[m]);
            long[] kept = elected(d);
            for (int m = 0; m < 3; m++) {
                assertThat(t.get("kept_fraction").get(model(m + 1)).asDouble()).as(name + " model " + (m + 1))
                        .isCloseTo((double) kept[m] / d[m].length, within(1e-12));
            }
            assertThat(t.has("model_stock_t")).isFalse();
        }
    }

    @Test
    void dareTiesReportsTheShareKeptByTheSeededDrawsAndTheElection() throws Exception {
        double[] w = {0.6, 0.4}, density = {0.7, 0.5};
        StringBuilder yaml = new StringBuilder(header("dare_ties", null));
        for (int m = 1; m <= 2; m++) {
            yaml.append("  - model: ").append(model(m)).append("\n    parameters: {weight: ").append(w[m - 1])
                    .append(", density: ").append(density[m - 1]).append("}\n");
        }
        Path out = tmp.resolve("dare_ties");
        JsonNode r = merge(yaml.toString(), out);
        checkTaskVectors(r, "dare_ties", 1, 2);
        checkOutputDelta(r, out);
        for (JsonNode t : r.get("tensors")) {
            String name = t.get("name").asString();
            float[][] d = new float[2][];
            for (int m = 0; m < 2; m++) {
                // inputs are ft1, ft2, then the base: model m's draws are input m's stream
                float[] x = floatDelta(name, m + 1);
                long key = CounterRng.key(SEED, name, m);
                double before = 0, after = 0;
                for (int i = 0; i < x.length; i++) {
                    before += Math.abs(x[i]);
                    if (!(CounterRng.uniform(key, i) < density[m])) x[i] = 0;
                    after += Math.abs(x[i]);
                }
                // rescale (dare's default) scales the kept values by ‖δ‖₁ / ‖kept δ‖₁, which the election sees
                for (int i = 0; i < x.length; i++) x[i] = (float) (x[i] * (before / after));
                d[m] = weighted(x, w[m]);
            }
            long[] kept = elected(d);
            for (int m = 0; m < 2; m++) {
                double share = t.get("kept_fraction").get(model(m + 1)).asDouble();
                assertThat(share).as(name).isCloseTo((double) kept[m] / d[m].length, within(1e-12));
            }
        }
    }

    /**
     * Methods hand their tiles to the report (and ties counts and sparsifies in another order with a report): the
     * merged bytes are those of a merge without one, and a bf16 output's change is that of the rounded values
     * stored.
     */
    @Test
    void aReportChangesNoMergedByteAndMeasuresTheStoredOutput() throws Exception {
        String ties = header("ties", null).replace("dtype: float32\n", "dtype: float32\nout_dtype: bfloat16\n")
                + "  - model: " + model(1) + "\n    parameters: {weight: 0.5, density: 0.5}\n"
                + "  - model: " + model(2) + "\n    parameters: {weight: 0.3, density: 0.7}\n"
                + "  - model: " + model(3) + "\n    parameters: {weight: 0.2, density: 0.4}\n";
        String stock = header("model_stock", "{filter_wise: true}") + "  - model: " + model(1) + "\n  - model: "
                + model(2) + "\n  - model: " + model(3) + "\n";
        String linear = "merge_method: linear\nbase_model: " + models.resolve("base") + "\ndtype: float32\n"
                + "out_dtype: bfloat16\nmodels:\n  - model: " + models.resolve("base") + "\n    parameters: {weight: 0.5}\n"
                + "  - model: " + model(1) + "\n    parameters: {weight: 0.3}\n"
                + "  - model: " + model(3) + "\n    parameters: {weight: 0.2}\n";
        int n = 0;
        for (String yaml : List.of(ties, stock, linear)) {
            Path with = tmp.resolve("with" + n), without = tmp.resolve("without" + n++);
            JsonNode r = merge(yaml, with);
            checkOutputDelta(r, with);
            Path cfg = tmp.resolve("plain.yml");
            Files.writeString(cfg, yaml);
            Cli plain = Cli.run(cfg.toString(), without.toString(), "--quiet", "-j", "2", "--random-seed", Long.toString(SEED));
            assertThat(plain.exitCode()).as(plain.err()).isZero();
            try (var files = Files.list(without)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".safetensors")).toList()) {
                    assertThat(Files.mismatch(f, with.resolve(f.getFileName()))).as(yaml + f).isEqualTo(-1L);
                }
            }
        }
    }

    @Test
    void slerpReportsNormsAndTheMergedChange() throws Exception {
        String yaml = header("slerp", "{t: 0.3}") + "  - model: " + models.resolve("base") + "\n  - model: "
                + model(2) + "\n";
        Path out = tmp.resolve("slerp");
        JsonNode r = merge(yaml, out);
        checkTaskVectors(r, "slerp", 2);
        checkOutputDelta(r, out);
        for (JsonNode t : r.get("tensors")) {
            assertThat(t.has("model_stock_t") || t.has("kept_fraction")).isFalse();
            // slerp at t = 0.3 moves less than the whole task vector, and more than nothing
            double change = t.get("output_delta_norm").asDouble();
            assertThat(change).isPositive().isLessThan(t.get("task_vector_norm").get(model(2)).asDouble());
        }
    }

    @Test
    void linearWithoutABaseReportsTheWeightsThemselves() throws Exception {
        String yaml = "merge_method: linear\ndtype: float32\nmodels:\n"
                + "  - model: " + model(1) + "\n    parameters: {weight: 0.7}\n"
                + "  - model: " + model(2) + "\n    parameters: {weight: 0.3}\n";
        Path out = tmp.resolve("linear");
        JsonNode r = merge(yaml, out);
        assertThat(r.get("base").isNull()).isTrue();
        Map<String, ModelFiles.Tensor> merged = ModelFiles.read(out);
        for (JsonNode t : r.get("tensors")) {
            String name = t.get("name").asString();
            assertThat(t.has("task_vector_norm") || t.has("cosine") || t.has("output_delta_norm")).isFalse();
            float[] a = fts.get(0).get(name).values(), b = fts.get(1).get(name).values(), o = merged.get(name).values();
            double aa = 0, bb = 0, ab = 0, oo = 0;
            for (int i = 0; i < a.length; i++) {
                aa += (double) a[i] * a[i];
                bb += (double) b[i] * b[i];
                ab += (double) a[i] * b[i];
                oo += (double) o[i] * o[i];
            }
            assertThat(t.get("weight_norm").get(model(1)).asDouble()).isCloseTo(Math.sqrt(aa), within(NORM * Math.sqrt(aa)));
            assertThat(t.get("weight_norm").get(model(2)).asDouble()).isCloseTo(Math.sqrt(bb), within(NORM * Math.sqrt(bb)));
            assertThat(t.get("weight_cosine").get(model(1) + "|" + model(2)).asDouble()).as(name)
                    .isCloseTo(ab / Math.sqrt(aa * bb), within(COSINE));
            assertThat(t.get("output_norm").asDouble()).isCloseTo(Math.sqrt(oo), within(NORM * Math.sqrt(oo)));
        }
    }

    @Test
    void reportOptionsThatCannotBeHonouredAreUsageErrors() throws Exception {
        Path cfg = tmp.resolve("c.yml");
        Files.writeString(cfg, header("model_stock", null) + "  - model: " + model(1) + "\n  - model: " + model(2) + "\n");
        Cli noDir = Cli.run(cfg.toString(), "--dry-run", "--report");
        assertThat(noDir.exitCode()).isEqualTo(2);
        assertThat(noDir.err()).contains("--report with --dry-run needs --report-dir");
        Path out = tmp.resolve("never");
        Cli notDry = Cli.run(cfg.toString(), out.toString(), "--report-dir", tmp.resolve("r").toString());
        assertThat(notDry.exitCode()).isEqualTo(2);
        assertThat(notDry.err()).contains("--report-dir is for --dry-run");
        assertThat(out).doesNotExist();
    }

    @Test
    void aDryRunReportsTheSameInputNumbersAndNoOutput() throws Exception {
        String yaml = header("model_stock", null) + "  - model: " + model(1) + "\n  - model: " + model(3) + "\n";
        Path cfg = tmp.resolve("dry.yml");
        Files.writeString(cfg, yaml);
        Path dir = tmp.resolve("dry-report");
        Cli r = Cli.run(cfg.toString(), "--dry-run", "--report-dir", dir.toString(), "--quiet");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("report: " + dir.resolve("report.html"));
        JsonNode dry = JsonMapper.shared().readTree(Files.readString(dir.resolve("report.json")));
        checkTaskVectors(dry, "model_stock", 1, 3);
        for (JsonNode t : dry.get("tensors")) {
            assertThat(t.has("output_delta_norm") || t.has("model_stock_t")).as("dry run, nothing merged").isFalse();
        }
        assertThat(Files.readString(dir.resolve("report.html"))).contains("dry run");
    }

    static float[] floatDelta(String tensor, int ft) {
        float[] x = fts.get(ft - 1).get(tensor).values(), b = base.get(tensor).values();
        float[] d = new float[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i] - b[i];
        return d;
    }

    /** The floor(density·n) largest magnitudes kept, the rest zeroed (no two magnitudes tie at the cut here). */
    static float[] topK(float[] d, double density) {
        int k = (int) (density * d.length);
        Integer[] order = new Integer[d.length];
        for (int i = 0; i < d.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> Math.abs(d[i])).reversed());
        if (k < d.length) assertThat(Math.abs(d[order[k - 1]])).isNotEqualTo(Math.abs(d[order[k]]));
        float[] out = new float[d.length];
        for (int j = 0; j < k; j++) out[order[j]] = d[order[j]];
        return out;
    }

    static float[] weighted(float[] d, double w) {
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) out[i] = d[i] * (float) w;
        return out;
    }

    /** Per model, the elements whose (masked, weighted) delta has the sign of the elements' sum (a zero sum elects +). */
    static long[] elected(float[][] d) {
        long[] kept = new long[d.length];
        for (int i = 0; i < d[0].length; i++) {
            double s = 0;
            for (float[] x : d) s += x[i];
            for (int m = 0; m < d.length; m++) if (s >= 0 ? d[m][i] > 0 : d[m][i] < 0) kept[m]++;
        }
        return kept;
    }
}
