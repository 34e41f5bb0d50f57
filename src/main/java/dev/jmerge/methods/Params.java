package dev.jmerge.methods;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parameter values already resolved for one tensor (gradients evaluated, filters matched, defaults applied). Methods
 * read them through their {@link ParamSpec}s, which hold the defaults: a value the planner did not resolve (inputs
 * built by hand in tests) is the spec's default.
 */
public final class Params {

    private static final Params EMPTY = new Params(Map.of());
    private final Map<String, Double> values;

    public Params(Map<String, Double> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public static Params empty() { return EMPTY; }

    public static Params of(Object... nameValuePairs) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < nameValuePairs.length; i += 2) {
            Object v = nameValuePairs[i + 1];
            double d = v instanceof Boolean b ? (b ? 1.0 : 0.0) : ((Number) v).doubleValue();
            m.put((String) nameValuePairs[i], d);
        }
        return new Params(m);
    }

    /** Whether the parameter has a value: set by the config or by its default. */
    public boolean has(ParamSpec p) { return values.get(p.name()) != null || p.defaultValue() != null; }

    /** The value, else the spec's default; a required parameter without one here is a planner bug. */
    public double get(ParamSpec p) {
        Double v = values.get(p.name());
        if (v == null) v = p.defaultValue();
        if (v == null) throw new IllegalStateException("parameter '" + p.name() + "' was not resolved");
        return v;
    }

    /** A flag's value (mergekit's booleans are numbers: 0 is false). */
    public boolean flag(ParamSpec p) { return get(p) != 0.0; }

    public Map<String, Double> asMap() { return values; }

    @Override
    public String toString() { return values.toString(); }

    @Override
    public boolean equals(Object o) { return o instanceof Params p && p.values.equals(values); }

    @Override
    public int hashCode() { return values.hashCode(); }
}
