package dev.jmerge.methods;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.MergeException;
import dev.jmerge.methods.random.CounterRng;
import dev.jmerge.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The family against {@link GtaReference} over awkward shapes, tile sizes and tie-heavy data. */
class TaskArithmeticFamilyTest {

    private static final double[] WEIGHTS = {0.6, -0.25, 0.9};
    private static final double[] DENSITIES = {0.7, 0.4, 0.55};
    private static final long SEED = 1234;

    static final List<long[]> SHAPES = List.of(
            new long[] {1}, new long[] {7}, new long[] {129}, new long[] {4099},
            new long[] {7, 1}, new long[] {3, 43}, new long[] {33, 129}, new long[] {2, 5, 7}, new long[] {3, 1500});

    static Stream<Arguments> cases() {
        List<Arguments> l = new ArrayList<>();
        for (String method : List.of("task_arithmetic", "ties", "dare_ties", "dare_linear", "breadcrumbs",
                "breadcrumbs_ties", "della", "della_linear")) {
            for (long[] shape : SHAPES) {
                for (boolean ties : new boolean[] {false, true}) l.add(Arguments.of(method, shape, ties));
            }
        }
        return l.stream();
    }

    static MergeMethod method(String name) {
        return switch (name) {
            case "task_arithmetic" -> new TaskArithmetic();
            case "ties" -> new Ties();
            case "dare_ties" -> new DareTies();
            case "dare_linear" -> new DareLinear();
            case "breadcrumbs" -> new Breadcrumbs();
            case "breadcrumbs_ties" -> new BreadcrumbsTies();
            case "della" -> new Della();
            case "della_linear" -> new DellaLinear();
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** Base plus three fine-tunes; with {@code ties} the deltas take few distinct magnitudes. */
    static float[][] inputs(int n, boolean ties, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] x = new float[4][n];
        for (int i = 0; i < n; i++) x[0][i] = (float) (r.nextDouble(-1, 1));
        for (int m = 1; m < 4; m++) {
            for (int i = 0; i < n; i++) {
                double d = ties ? (r.nextInt(7) - 3) * 0.125 : r.nextGaussian() * 0.1;
                // tied cases use a zero base so that x − b keeps the few magnitudes exactly
                x[m][i] = ties ? (float) d : (float) (x[0][i] + d);
            }
        }
        if (ties) java.util.Arrays.fill(x[0], 0f);
        return x;
    }

    static Params[] perModel(String method, double[] densities) {
        Params[] p = new Params[4];
        p[0] = Params.empty();
        for (int m = 0; m < 3; m++) {
            p[m + 1] = Params.of("weight", WEIGHTS[m], "density", densities[m], "gamma", 0.02, "epsilon", 0.1);
        }
        return p;
    }

    static float[] reference(String method, long[] shape, float[][] x, Params global, Params[] per, String name) {
        MergeMethod mm = method(method);
        TaskArithmeticFamily f = (TaskArithmeticFamily) mm;
        boolean normalize = global.flag(spec(f.globalParameters(), "normalize"));
        boolean rescale = global.flag(spec(f.globalParameters(), "rescale"));
        double lambda = global.get(spec(f.globalParameters(), "lambda"));
        float[][] deltas = new float[3][];
        double[] w = new double[3];
        for (int m = 0; m < 3; m++) {
            float[] d = GtaReference.delta(x[m + 1], x[0]);
            double density = per[m + 1].get(spec(f.modelParameters(), "density"));
            long key = CounterRng.key(SEED, name, m + 1);
            float[] s = switch (f.sparsification() == null ? "none" : f.sparsification().name()) {
                case "none" -> d;
                case "MAGNITUDE" -> GtaReference.magnitude(d, density);
                case "RANDOM" -> GtaReference.random(d, density, key);
                case "MAGNITUDE_OUTLIERS" -> GtaReference.outliers(d, density, per[m + 1].get(spec(f.modelParameters(), "gamma")));
                case "DELLA_MAGPRUNE" -> GtaReference.della(d, shape, density, per[m + 1].get(spec(f.modelParameters(), "epsilon")), key);
                default -> throw new IllegalStateException();
            };
            if (f.sparsification() != null && rescale && density < 1) s = GtaReference.rescaleL1(d, s);
            deltas[m] = s;
            w[m] = per[m + 1].get(spec(f.modelParameters(), "weight"));
        }
        return GtaReference.combine(x[0], deltas, w, f.usesConsensus(), normalize, lambda);
    }

    static ParamSpec spec(java.util.List<ParamSpec> specs, String name) {
        return specs.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    static double defaultOf(MergeMethod m, String param) {
        return m.globalParameters().stream().filter(p -> p.name().equals(param)).findFirst().orElseThrow()
                .defaultValue();
    }

    static int numel(long[] shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        return n;
    }

    @ParameterizedTest(name = "{0} {1} ties={2}")
    @MethodSource("cases")
    void matchesTheReferenceAndIgnoresTileSize(String method, long[] shape, boolean ties) {
        int n = numel(shape);
        float[][] x = inputs(n, ties, n * 31L + (ties ? 1 : 0));
        double[] densities = n == 1 ? new double[] {1.0, 1.0, 1.0} : DENSITIES;
        Params[] per = perModel(method, densities);
        String name = "t." + method;
        float[] small = new ArrayInput(name, shape, x, 0, Params.empty(), per).chunk(64).seed(SEED).run(method(method));
        float[] big = new ArrayInput(name, shape, x, 0, Params.empty(), per).chunk(1 << 20).seed(SEED).run(method(method));
        assertThat(small).as("chunk 64 vs 1<<20").containsExactly(big);
        float[] ref = reference(method, shape, x, Params.empty(), per, name);
        assertClose(big, ref, method);
    }

    static void assertClose(float[] actual, float[] expected, String what) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            double tol = 1e-6 * Math.max(1, Math.abs(expected[i]));
            if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("globalVariants")
    void globalParametersAreHonoured(String method, Params global) {
        long[] shape = {17, 31};
        float[][] x = inputs(17 * 31, false, 99);
        Params[] per = perModel(method, DENSITIES);
        float[] got = new ArrayInput("g", shape, x, 0, global, per).seed(SEED).chunk(100).run(method(method));
        assertClose(got, reference(method, shape, x, global, per, "g"), method + " " + global);
    }

    static Stream<Arguments> globalVariants() {
        List<Arguments> l = new ArrayList<>();
        for (String m : List.of("task_arithmetic", "ties", "dare_ties", "dare_linear", "breadcrumbs", "della_linear")) {
            l.add(Arguments.of(m, Params.of("normalize", true, "rescale", false, "lambda", 0.7)));
            l.add(Arguments.of(m, Params.of("normalize", false, "rescale", true, "lambda", 1.3, "int8_mask", true)));
        }
        return l.stream();
    }

    @Test
    void densityOneIsTaskArithmeticAndTiesWithoutTrim() {
        long[] shape = {5, 40};
        float[][] x = inputs(200, false, 5);
        Params[] per = perModel("x", new double[] {1, 1, 1});
        float[] ta = new ArrayInput("d1", shape, x, 0, Params.empty(), per).run(new TaskArithmetic());
        for (String m : List.of("dare_linear", "breadcrumbs", "della_linear")) {
            float[] got = new ArrayInput("d1", shape, x, 0, Params.empty(), per).run(method(m));
            assertThat(got).as(m).containsExactly(ta);
        }
        float[] ties = new ArrayInput("d1", shape, x, 0, Params.empty(), per).run(new Ties());
        float[][] deltas = {GtaReference.delta(x[1], x[0]), GtaReference.delta(x[2], x[0]), GtaReference.delta(x[3], x[0])};
        assertClose(ties, GtaReference.combine(x[0], deltas, WEIGHTS, true, true, 1), "ties density 1");
        float[] dareTies = new ArrayInput("d1", shape, x, 0, Params.of("normalize", true), per).run(new DareTies());
        assertThat(dareTies).containsExactly(ties);
    }

    @Test
    void oneModelAddsItsScaledTaskVector() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 1000;
        float[] b = new float[n];
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            b[i] = (float) r.nextGaussian();
            x[i] = (float) (b[i] + r.nextGaussian() * 0.1);
        }
        Params global = Params.of("lambda", 0.5);
        float[] got = new ArrayInput("one", new long[] {n}, new float[][] {b, x}, 0, global,
                Params.empty(), Params.of("weight", 0.8)).run(new TaskArithmetic());
        // normalize on (ties): the weight cancels
        float[] tiesOut = new ArrayInput("one", new long[] {n}, new float[][] {b, x}, 0, global,
                Params.empty(), Params.of("weight", 0.8)).run(new Ties());
        for (int i = 0; i < n; i++) {
            float d = x[i] - b[i];
            assertThat((double) got[i]).isCloseTo(b[i] + 0.5 * (float) (d * 0.8f), org.assertj.core.api.Assertions.within(1e-6));
            assertThat((double) tiesOut[i]).isCloseTo(b[i] + 0.5 * d, org.assertj.core.api.Assertions.within(1e-6));
        }
    }

    @Test
    void equalInputsGiveTheBaseAndNoModelsGiveTheBase() {
        float[] b = {1.5f, -2f, 0f, 3.25f, 7f};
        float[][] same = {b, b.clone(), b.clone()};
        Params p = Params.of("weight", 1.0, "density", 0.5);
        for (String m : List.of("task_arithmetic", "ties", "dare_ties", "dare_linear", "breadcrumbs", "della")) {
            float[] got = new ArrayInput("eq", new long[] {5}, same, 0, Params.empty(), Params.empty(), p, p).run(method(m));
            assertThat(got).as(m).containsExactly(b);
            float[] alone = new ArrayInput("eq", new long[] {5}, new float[][] {b}, 0, Params.empty()).run(method(m));
            assertThat(alone).as(m + " base only").containsExactly(b);
        }
    }

    @Test
    void tiesKeepsExactlyTheKEqualMagnitudesTorchsArgsortPutsFirst() {
        int n = 4099;
        float[] b = new float[n];
        float[] x = new float[n];
        float[] mag = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (i % 3 == 0 ? -1f : 1f) * (i % 5 == 0 ? 2 : 1); // magnitudes 1 and 2 only
            mag[i] = Math.abs(x[i]);
        }
        double density = 0.37;
        int k = (int) (density * n);
        float[] got = new ArrayInput("eqmag", new long[] {n}, new float[][] {b, x}, 0, Params.empty(),
                Params.empty(), Params.of("weight", 1.0, "density", density)).chunk(64).run(new Ties());
        boolean[] torch = new boolean[n];
        int[] order = dev.jmerge.methods.sparsify.LibstdcxxSort.argsort(mag, true);
        for (int r = 0; r < k; r++) torch[order[r]] = true;
        int kept = 0, notFirstOnes = 0, onesSeen = 0;
        for (int i = 0; i < n; i++) {
            assertThat(got[i]).as("element %d", i).isEqualTo(torch[i] ? x[i] : 0f);
            if (got[i] != 0) kept++;
            if (mag[i] == 1 && onesSeen++ < k - n / 5 - 1 && got[i] == 0) notFirstOnes++;
        }
        assertThat(kept).isEqualTo(k);
        // torch does not keep the first equal magnitudes in index order: the rule is not a simple one
        assertThat(notFirstOnes).isPositive();
    }

    @Test
    void defaultsFollowMergekit() {
        record D(String name, boolean normalize, boolean rescale, String extra, double extraDefault, boolean stochastic) {}
        List<D> expected = List.of(
                new D("task_arithmetic", false, false, null, 0, false), new D("ties", true, false, null, 0, false),
                new D("dare_ties", false, true, null, 0, true), new D("dare_linear", false, true, null, 0, true),
                new D("breadcrumbs", false, false, "gamma", 0.01, false),
                new D("breadcrumbs_ties", false, false, "gamma", 0.01, false),
                new D("della", true, true, "epsilon", 0.15, true), new D("della_linear", false, true, "epsilon", 0.15, true));
        for (D d : expected) {
            MergeMethod m = method(d.name());
            assertThat(m.name()).isEqualTo(d.name());
            assertThat(m.baseModel()).isEqualTo(BaseModelRule.REQUIRED);
            assertThat(defaultOf(m, "normalize")).as(d.name()).isEqualTo(d.normalize() ? 1.0 : 0.0);
            assertThat(defaultOf(m, "rescale")).as(d.name()).isEqualTo(d.rescale() ? 1.0 : 0.0);
            assertThat(defaultOf(m, "lambda")).isEqualTo(1.0);
            assertThat(defaultOf(m, "int8_mask")).isEqualTo(0.0);
            assertThat(m.isStochastic()).as(d.name()).isEqualTo(d.stochastic());
            List<ParamSpec> per = m.modelParameters();
            assertThat(per.get(0)).isEqualTo(ParamSpec.required("weight", per.get(0).help()));
            assertThat(per.get(1).name()).isEqualTo("density");
            assertThat(per.get(1).defaultValue()).isEqualTo(1.0);
            if (d.extra() == null) {
                assertThat(per).hasSize(2);
            } else {
                assertThat(per).hasSize(3);
                assertThat(per.get(2).name()).isEqualTo(d.extra());
                assertThat(per.get(2).defaultValue()).isEqualTo(d.extraDefault());
            }
            assertThat(m.checkInputs(2, false)).contains("base_model");
            assertThat(m.checkInputs(2, true)).isNull();
        }
    }

    @Test
    void breadcrumbsWithoutOutliersDropsTheTensorAndWarnsOnce() {
        float[][] x = inputs(40, false, 8); // floor(0.02·40) = 0 outliers
        Params[] per = perModel("breadcrumbs", DENSITIES);
        ArrayInput in = new ArrayInput("layers.0.norm.weight", new long[] {40}, x, 0, Params.empty(), per);
        float[] got = in.run(new Breadcrumbs());
        assertThat(got).containsExactly(x[0]);
        assertThat(in.warnings).hasSize(1);
        assertThat(in.warnings.get(0)).contains("layers.0.norm.weight").contains("keeps nothing");
        ArrayInput big = new ArrayInput("big", new long[] {500}, inputs(500, false, 9), 0, Params.empty(), per);
        big.run(new Breadcrumbs());
        assertThat(big.warnings).isEmpty();
    }

    private static MergeMethod.Invalid validate(MergeMethod m, long numel, Params... perModel) {
        return m.validate(new MergeMethod.TensorParams(Shape.of(numel), 0, Params.empty(), List.of(perModel)));
    }

    /** mergekit's own refusals, now found when the merge is planned: input 0 is the base, never sparsified. */
    @Test
    void validateRefusesTheValuesMergekitRefuses() {
        Params base = Params.of("density", 0.0);
        // ties keeps floor(density·numel) elements (mergekit asserts at least one)
        MergeMethod.Invalid sparse = validate(new Ties(), 10, base, Params.of("weight", 1, "density", 0.5),
                Params.of("weight", 1, "density", 0.05));
        assertThat(sparse.parameter().name()).isEqualTo("density");
        assertThat(sparse.input()).isEqualTo(2);
        assertThat(sparse.why()).contains("keeps no element of its 10");
        assertThat(validate(new Ties(), 10, base, Params.of("weight", 1, "density", 0.1))).isNull();
        assertThat(validate(new Ties(), 10, base, Params.of("weight", 1, "density", 1.0))).isNull();
        assertThat(validate(new Ties(), 1000, base, Params.of("weight", 1, "density", 0.001))).isNull();
        assertThat(validate(new BreadcrumbsTies(), 10, base, Params.of("weight", 1, "density", 0.05))).isNull();
        // DARE's density is a keep probability (torch.bernoulli refuses below 0; 1 and above leave it whole)
        assertThat(validate(new DareTies(), 10, base, Params.of("weight", 1, "density", -0.1)).parameter().name())
                .isEqualTo("density");
        assertThat(validate(new DareLinear(), 10, base, Params.of("weight", 1, "density", 0.0))).isNull();
        assertThat(validate(new DareLinear(), 10, base, Params.of("weight", 1, "density", 1.5))).isNull();
        // della: density ± epsilon strictly inside (0, 1), unless density drops everything or keeps everything
        MergeMethod.Invalid eps = validate(new Della(), 10, base, Params.of("weight", 1, "density", 0.9));
        assertThat(eps.parameter().name()).isEqualTo("epsilon");
        assertThat(eps.why()).contains("density 0.9 ± epsilon 0.15");
        assertThat(validate(new DellaLinear(), 10, base, Params.of("weight", 1, "density", 0.1))).isNotNull();
        assertThat(validate(new DellaLinear(), 10, base, Params.of("weight", 1, "density", 0.1, "epsilon", 0.05)))
                .isNull();
        assertThat(validate(new Della(), 10, base, Params.of("weight", 1, "density", 0.0))).isNull();
        assertThat(validate(new Della(), 10, base, Params.of("weight", 1, "density", 1.0, "epsilon", 0.9))).isNull();
        // breadcrumbs: a negative gamma is no share of elements
        assertThat(validate(new Breadcrumbs(), 10, base, Params.of("weight", 1, "density", 0.5, "gamma", -0.1))
                .parameter().name()).isEqualTo("gamma");
        assertThat(validate(new Breadcrumbs(), 10, base, Params.of("weight", 1, "density", 0.5, "gamma", 0))).isNull();
        // task_arithmetic has no sparsifier: density is never used
        assertThat(validate(new TaskArithmetic(), 10, base, Params.of("weight", 1, "density", 0.0))).isNull();
    }

    @Test
    void aMissingBaseNamesTheTensor() {
        float[][] x = inputs(10, false, 4);
        assertThatThrownBy(() -> new ArrayInput("nobase", new long[] {10}, x, -1, Params.empty(), perModel("ties", DENSITIES))
                .run(new Ties())).isInstanceOf(MergeException.class).hasMessageContaining("base_model");
    }

    @Test
    void dellaWithDensityZeroDropsEverything() {
        float[][] x = inputs(64, false, 12);
        Params[] per = perModel("della", new double[] {0, 0, 0});
        float[] got = new ArrayInput("z", new long[] {8, 8}, x, 0, Params.empty(), per).run(new DellaLinear());
        assertThat(got).containsExactly(x[0]);
    }
}
