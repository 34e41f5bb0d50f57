package dev.jmerge.config;

import static dev.jmerge.config.ConfigLoaderTestSupport.lines;
import static dev.jmerge.config.ConfigLoaderTestSupport.one;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Gradient evaluation, condition matching and the four-level precedence of compat §1.6. */
class ParameterResolverTest {

    private static double at(List<Double> points, double t) {
        return new ParameterValue.Gradient(points).evaluate("any", t).orElseThrow();
    }

    /** Piecewise-linear interpolation written out independently: find the segment, lerp inside it. */
    private static double reference(double[] p, double t) {
        if (p.length == 1) return p[0];
        double pos = t * (p.length - 1);
        int seg = Math.min((int) pos, p.length - 2);
        double local = pos - seg;
        return p[seg] + (p[seg + 1] - p[seg]) * local;
    }

    @ParameterizedTest
    @CsvSource({"0,0", "0.25,0.25", "0.5,0.5", "0.75,0.75", "1,1"})
    void risingGradient(double t, double expected) {
        assertThat(at(List.of(0.0, 0.5, 1.0), t)).isCloseTo(expected, within(1e-15));
    }

    @ParameterizedTest
    @CsvSource({"0,1", "0.25,0.75", "0.5,0.5", "0.75,0.25", "1,0"})
    void fallingGradient(double t, double expected) {
        assertThat(at(List.of(1.0, 0.5, 0.0), t)).isCloseTo(expected, within(1e-15));
    }

    @Test
    void unevenGradientMatchesTheReference() {
        double[] p = {0.2, 0.9, -0.3, 0.4, 0.4};
        List<Double> points = java.util.Arrays.stream(p).boxed().toList();
        for (int i = 0; i <= 40; i++) {
            double t = i / 40.0;
            assertThat(at(points, t)).as("t=%s", t).isCloseTo(reference(p, t), within(1e-12));
        }
        // at the knots the value is the point itself
        for (int k = 0; k < p.length; k++) assertThat(at(points, k / 4.0)).isCloseTo(p[k], within(1e-15));
        assertThat(at(List.of(0.7), 0.3)).isEqualTo(0.7);
    }

    @Test
    void layerPositions() {
        assertThat(ParameterResolver.layerT(0, 1)).isEqualTo(1.0);
        assertThat(ParameterResolver.layerT(0, 3)).isEqualTo(0.0);
        assertThat(ParameterResolver.layerT(1, 3)).isEqualTo(0.5);
        assertThat(ParameterResolver.layerT(2, 3)).isEqualTo(1.0);
        assertThat(ParameterResolver.layerT(3, 5)).isEqualTo(0.75);
        assertThatThrownBy(() -> ParameterResolver.layerT(3, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ParameterResolver.layerT(0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    /** The slerp_gradient golden: self_attn rises, mlp falls, everything else 0.5. */
    @Test
    void conditionsPickTheFirstMatchingFilter() {
        MergeConfig c = one(lines("merge_method: slerp", "models: [{model: a}]", "parameters:", "  t:",
                "    - filter: self_attn", "      value: [0, 0.5, 1]", "    - filter: mlp", "      value: [1, 0.5, 0]",
                "    - value: 0.5"));
        ParameterResolver r = new ParameterResolver(null, null, null, c.parameters());
        String attn = "model.layers.1.self_attn.q_proj.weight";
        String mlp = "model.layers.1.mlp.up_proj.weight";
        String norm = "model.layers.1.input_layernorm.weight";
        for (int k = 0; k < 3; k++) {
            double t = ParameterResolver.layerT(k, 3);
            assertThat(r.global("t", attn, t).orElseThrow()).isCloseTo(t, within(1e-15));
            assertThat(r.global("t", mlp, t).orElseThrow()).isCloseTo(1 - t, within(1e-15));
            assertThat(r.global("t", norm, t).orElseThrow()).isEqualTo(0.5);
        }
    }

    private static Parameters params(String name, ParameterValue v) {
        return new Parameters(Map.of(name, new Parameters.Setting(v, SourcePos.UNKNOWN)), SourcePos.UNKNOWN);
    }

    private static ParameterValue only(String filter, double v) {
        return new ParameterValue.Conditions(List.of(new ParameterValue.Condition(filter,
                new ParameterValue.Scalar(v))));
    }

    @Test
    void precedenceSourceSliceModuleTop() {
        Parameters source = params("w", new ParameterValue.Scalar(1));
        Parameters slice = params("w", new ParameterValue.Scalar(2));
        Parameters module = params("w", new ParameterValue.Scalar(3));
        Parameters top = params("w", new ParameterValue.Scalar(4));
        assertThat(new ParameterResolver(source, slice, module, top).perModel("w", "in", "out", 0))
                .isEqualTo(OptionalDouble.of(1));
        assertThat(new ParameterResolver(null, slice, module, top).perModel("w", "in", "out", 0))
                .isEqualTo(OptionalDouble.of(2));
        assertThat(new ParameterResolver(null, null, module, top).perModel("w", "in", "out", 0))
                .isEqualTo(OptionalDouble.of(3));
        assertThat(new ParameterResolver(null, null, null, top).perModel("w", "in", "out", 0))
                .isEqualTo(OptionalDouble.of(4));
        assertThat(new ParameterResolver(null, null, null, null).perModel("w", "in", "out", 0)).isEmpty();
        // global parameters never read the source level
        assertThat(new ParameterResolver(source, null, null, top).global("w", "out", 0))
                .isEqualTo(OptionalDouble.of(4));
        assertThat(new ParameterResolver(source, null, null, null).global("w", "out", 0)).isEmpty();
        // another name is not confused with this one
        assertThat(new ParameterResolver(source, slice, module, top).perModel("x", "in", "out", 0)).isEmpty();
    }

    @Test
    void unmatchedConditionsFallThroughToTheNextLevel() {
        ParameterResolver r = new ParameterResolver(params("w", only("mlp", 1)), params("w", only("attn", 2)),
                params("w", only("norm", 3)), params("w", new ParameterValue.Scalar(4)));
        assertThat(r.perModel("w", "layers.0.mlp.up", "layers.5.attn", 0)).isEqualTo(OptionalDouble.of(1));
        assertThat(r.perModel("w", "layers.0.self_attn.q", "layers.5.self_attn.q", 0))
                .isEqualTo(OptionalDouble.of(2));
        assertThat(r.perModel("w", "x.norm", "layers.5.post_norm", 0)).isEqualTo(OptionalDouble.of(3));
        assertThat(r.perModel("w", "embed", "embed", 0)).isEqualTo(OptionalDouble.of(4));
    }

    @Test
    void sourceLevelFiltersSeeTheInputNameOthersTheOutputName() {
        // layer 7 of the input becomes layer 2 of the output
        ParameterResolver r = new ParameterResolver(params("w", only("layers.7.", 1)),
                params("w", only("layers.2.", 2)), null, null);
        assertThat(r.perModel("w", "layers.7.mlp", "layers.2.mlp", 0)).isEqualTo(OptionalDouble.of(1));
        ParameterResolver bySlice = new ParameterResolver(params("w", only("layers.2.", 1)),
                params("w", only("layers.7.", 2)), null, params("w", new ParameterValue.Scalar(9)));
        assertThat(bySlice.perModel("w", "layers.7.mlp", "layers.2.mlp", 0)).isEqualTo(OptionalDouble.of(9));
    }

    @Test
    void wildcardAndMissingFilterMatchEverything() {
        assertThat(only("*", 5).evaluate("anything", 0)).isEqualTo(OptionalDouble.of(5));
        assertThat(only(null, 6).evaluate("anything", 0)).isEqualTo(OptionalDouble.of(6));
        assertThat(only("mlp", 7).evaluate("self_attn", 0)).isEmpty();
    }

    @Test
    void configLevelsFeedTheResolver() {
        MergeConfig c = one(lines(
                "merge_method: ties",
                "modules:",
                "  text_decoder:",
                "    slices:",
                "      - sources:",
                "          - model: a",
                "            layer_range: [0, 2]",
                "            parameters: {density: 0.1}",
                "          - model: b",
                "            layer_range: [2, 4]",
                "        parameters: {weight: [0, 1]}",
                "    parameters: {density: 0.3, lambda: 0.9}",
                "parameters: {lambda: 2, normalize: off}"));
        ModuleConfig m = c.modules().get("text_decoder");
        OutputSlice s = m.slices().getFirst();
        ParameterResolver a = new ParameterResolver(s.sources().get(0).parameters(), s.parameters(),
                m.parameters(), c.parameters());
        ParameterResolver b = new ParameterResolver(s.sources().get(1).parameters(), s.parameters(),
                m.parameters(), c.parameters());
        double t1 = ParameterResolver.layerT(1, 2);
        assertThat(a.perModel("density", "x", "x", t1)).isEqualTo(OptionalDouble.of(0.1));
        assertThat(b.perModel("density", "x", "x", t1)).isEqualTo(OptionalDouble.of(0.3));
        assertThat(a.perModel("weight", "x", "x", t1)).isEqualTo(OptionalDouble.of(1.0));
        assertThat(a.perModel("weight", "x", "x", 0)).isEqualTo(OptionalDouble.of(0.0));
        assertThat(a.global("lambda", "x", 0)).isEqualTo(OptionalDouble.of(0.9));
        assertThat(a.global("normalize", "x", 0)).isEqualTo(OptionalDouble.of(0.0));
        assertThat(a.global("rescale", "x", 0)).isEmpty();
    }
}
