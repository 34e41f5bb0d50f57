package dev.jmerge.config;

import static dev.jmerge.config.ConfigLoaderTestSupport.lines;
import static dev.jmerge.config.ConfigLoaderTestSupport.one;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** One parameter value as written: gradients over the layer position, conditions matched against a tensor name. */
class ParameterValueTest {

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

    /** The slerp_gradient golden: self_attn rises, mlp falls, everything else 0.5. */
    @Test
    void conditionsPickTheFirstMatchingFilter() {
        MergeConfig c = one(lines("merge_method: slerp", "models: [{model: a}]", "parameters:", "  t:",
                "    - filter: self_attn", "      value: [0, 0.5, 1]", "    - filter: mlp", "      value: [1, 0.5, 0]",
                "    - value: 0.5"));
        ParameterValue t = c.parameters().get("t").value();
        for (double pos : new double[] {0, 0.5, 1}) {
            assertThat(t.evaluate("model.layers.1.self_attn.q_proj.weight", pos).orElseThrow()).isCloseTo(pos, within(1e-15));
            assertThat(t.evaluate("model.layers.1.mlp.up_proj.weight", pos).orElseThrow()).isCloseTo(1 - pos, within(1e-15));
            assertThat(t.evaluate("model.layers.1.input_layernorm.weight", pos).orElseThrow()).isEqualTo(0.5);
        }
    }

    private static ParameterValue only(String filter, double v) {
        return new ParameterValue.Conditions(List.of(new ParameterValue.Condition(filter, new ParameterValue.Scalar(v))));
    }

    @Test
    void wildcardAndMissingFilterMatchEverythingAndAnUnmatchedListDefinesNothing() {
        assertThat(only("*", 5).evaluate("anything", 0)).isEqualTo(OptionalDouble.of(5));
        assertThat(only(null, 6).evaluate("anything", 0)).isEqualTo(OptionalDouble.of(6));
        assertThat(only("mlp", 7).evaluate("self_attn", 0)).isEmpty();
    }
}
