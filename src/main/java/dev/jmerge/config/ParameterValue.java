package dev.jmerge.config;

import java.util.List;
import java.util.OptionalDouble;

/**
 * A parameter's value as written in YAML: a scalar, a gradient (piecewise linear over the layer position
 * {@code t}), or a list of conditions where the first whose filter is a substring of the tensor name wins.
 */
public sealed interface ParameterValue {

    /**
     * The value for a tensor at layer position {@code t} in [0, 1]; empty when no condition matches (the
     * lookup then falls through to the next precedence level).
     */
    OptionalDouble evaluate(String tensorName, double t);

    record Scalar(double value) implements ParameterValue {
        @Override
        public OptionalDouble evaluate(String tensorName, double t) { return OptionalDouble.of(value); }
    }

    /** mergekit's rule: s = t·(n−1), i0 = floor(s), i1 = min(n−1, i0+1), value = lerp by s − i0. */
    record Gradient(List<Double> points) implements ParameterValue {
        @Override
        public OptionalDouble evaluate(String tensorName, double t) {
            int n = points.size();
            if (n == 1) return OptionalDouble.of(points.getFirst());
            double s = t * (n - 1);
            int i0 = (int) Math.floor(s);
            i0 = Math.max(0, Math.min(n - 1, i0));
            int i1 = Math.min(n - 1, i0 + 1);
            double f = s - i0;
            return OptionalDouble.of((1 - f) * points.get(i0) + f * points.get(i1));
        }
    }

    /** @param filter null or "*" match every tensor; otherwise a plain substring of the name */
    record Condition(String filter, ParameterValue value) {
        public boolean matches(String tensorName) {
            return filter == null || filter.equals("*") || tensorName.contains(filter);
        }
    }

    record Conditions(List<Condition> conditions) implements ParameterValue {
        @Override
        public OptionalDouble evaluate(String tensorName, double t) {
            for (Condition c : conditions) {
                if (c.matches(tensorName)) return c.value().evaluate(tensorName, t);
            }
            return OptionalDouble.empty();
        }
    }
}
