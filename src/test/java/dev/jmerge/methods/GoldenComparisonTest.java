package dev.jmerge.methods;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our methods against what mergekit itself wrote for the same configs (see the goldens' README): the
 * deterministic ones element by element, the random ones by per-tensor statistics.
 */
class GoldenComparisonTest {

    private static final double[] WEIGHTS = {0.5, 0.3, 0.2};
    private static Map<String, GoldenTensors.Tensor> base;
    private static List<Map<String, GoldenTensors.Tensor>> fts;

    @BeforeAll
    static void load() throws IOException {
        base = GoldenTensors.model("base-fp32");
        fts = List.of(GoldenTensors.model("ft1-fp32"), GoldenTensors.model("ft2-fp32"), GoldenTensors.model("ft3-fp32"));
    }

    /** Per-model params of the goldens' configs: weights 0.5/0.3/0.2, density 0.5, plus {@code extra}. */
    private static Params[] perModel(Object... extra) {
        Params[] p = new Params[4];
        p[0] = Params.empty();
        for (int i = 0; i < 3; i++) {
            Object[] kv = new Object[4 + extra.length];
            kv[0] = "weight";
            kv[1] = WEIGHTS[i];
            kv[2] = "density";
            kv[3] = 0.5;
            System.arraycopy(extra, 0, kv, 4, extra.length);
            p[i + 1] = Params.of(kv);
        }
        return p;
    }

    private static Map<String, float[]> runAll(MergeMethod method, Params global, Params[] perModel,
                                               Function<ArrayInput, ArrayInput> tweak) {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        for (var e : base.entrySet()) {
            String name = e.getKey();
            float[][] inputs = {e.getValue().data(), fts.get(0).get(name).data(), fts.get(1).get(name).data(),
                    fts.get(2).get(name).data()};
            ArrayInput in = new ArrayInput(name, e.getValue().shape(), inputs, 0, global, perModel).chunk(1000);
            out.put(name, tweak.apply(in).run(method));
        }
        return out;
    }

    private static void assertMatchesGolden(String caseName, MergeMethod method, Params global, Params[] perModel)
            throws IOException {
        Map<String, GoldenTensors.Tensor> golden = GoldenTensors.golden(caseName);
        Map<String, float[]> ours = runAll(method, global, perModel, in -> in);
        assertThat(ours.keySet()).containsExactlyInAnyOrderElementsOf(golden.keySet());
        for (var e : ours.entrySet()) {
            GoldenTensors.Tensor g = golden.get(e.getKey());
            float[] a = e.getValue();
            assertThat(a).hasSize(g.data().length);
            for (int i = 0; i < a.length; i++) {
                double b = g.data()[i];
                double tol = 1e-5 * Math.max(1, Math.abs(b));
                if (!(Math.abs(a[i] - b) <= tol)) {
                    throw new AssertionError(caseName + ": " + e.getKey() + "[" + i + "] = " + a[i]
                            + ", mergekit wrote " + b);
                }
            }
        }
    }

    @Test
    void ties() throws IOException {
        assertMatchesGolden("ties", new Ties(), Params.empty(), perModel());
    }

    @Test
    void tiesWithoutNormalizeAndInt8Mask() throws IOException {
        assertMatchesGolden("ties_nonorm_int8", new Ties(), Params.of("normalize", false, "int8_mask", true), perModel());
    }

    @Test
    void taskArithmetic() throws IOException {
        assertMatchesGolden("task_arithmetic", new TaskArithmetic(), Params.empty(), perModel());
    }

    @Test
    void taskArithmeticNormalizedWithLambda() throws IOException {
        assertMatchesGolden("task_arithmetic_norm_lambda", new TaskArithmetic(),
                Params.of("normalize", true, "lambda", 0.8), perModel());
    }

    @Test
    void breadcrumbs() throws IOException {
        assertMatchesGolden("breadcrumbs", new Breadcrumbs(), Params.empty(), perModel("gamma", 0.01));
    }

    @Test
    void breadcrumbsTies() throws IOException {
        assertMatchesGolden("breadcrumbs_ties", new BreadcrumbsTies(), Params.empty(), perModel("gamma", 0.01));
    }

    @Test
    void sce() throws IOException {
        Params[] none = {Params.empty(), Params.empty(), Params.empty(), Params.empty()};
        assertMatchesGolden("sce", new Sce(), Params.of("select_topk", 0.5), none);
    }

    @Test
    void dareTiesStatistics() throws IOException {
        assertSameStatistics("dare_ties", new DareTies(), Params.empty(), perModel());
    }

    @Test
    void dareLinearStatistics() throws IOException {
        assertSameStatistics("dare_linear", new DareLinear(), Params.empty(), perModel());
    }

    @Test
    void dellaStatistics() throws IOException {
        assertSameStatistics("della", new Della(), Params.of("lambda", 1.0), perModel("epsilon", 0.1));
    }

    @Test
    void dellaLinearStatistics() throws IOException {
        assertSameStatistics("della_linear", new DellaLinear(), Params.of("lambda", 1.0), perModel("epsilon", 0.1));
    }

    /**
     * Random masks cannot match another generator, so compare what they should share: per tensor with enough
     * elements for the statistics to settle, the share of elements left at the base value and the mean and
     * standard deviation of {@code out − base}.
     */
    private static void assertSameStatistics(String caseName, MergeMethod method, Params global, Params[] perModel)
            throws IOException {
        Map<String, GoldenTensors.Tensor> golden = GoldenTensors.golden(caseName);
        Map<String, float[]> ours = runAll(method, global, perModel, in -> in.seed(7));
        List<String> checked = new ArrayList<>();
        for (var e : ours.entrySet()) {
            float[] b = base.get(e.getKey()).data();
            float[] g = golden.get(e.getKey()).data();
            float[] a = e.getValue();
            if (a.length < 3000) continue; // norms (32 elements) are too small for a few-percent comparison
            double[] sa = stats(a, b);
            double[] sg = stats(g, b);
            String at = caseName + ": " + e.getKey();
            assertThat(sa[0]).as(at + " share equal to base").isCloseTo(sg[0], org.assertj.core.api.Assertions.within(0.03));
            assertThat(sa[2]).as(at + " std of out-base").isCloseTo(sg[2], org.assertj.core.api.Assertions.within(0.05 * sg[2]));
            // the mean is near zero, so compare it on the scale of the spread
            assertThat(sa[1]).as(at + " mean of out-base").isCloseTo(sg[1], org.assertj.core.api.Assertions.within(0.05 * sg[2]));
            checked.add(e.getKey());
        }
        assertThat(checked).hasSizeGreaterThan(10);
    }

    private static double[] stats(float[] out, float[] base) {
        long same = 0;
        double sum = 0;
        double sq = 0;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == base[i]) same++;
            double d = (double) out[i] - base[i];
            sum += d;
            sq += d * d;
        }
        double mean = sum / out.length;
        return new double[] {(double) same / out.length, mean, Math.sqrt(sq / out.length - mean * mean)};
    }
}
