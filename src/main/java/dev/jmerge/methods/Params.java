package dev.jmerge.methods;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Parameter values already resolved for one tensor (gradients evaluated, filters matched, defaults applied). */
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

    public boolean has(String name) { return values.get(name) != null; }

    /** The value; a missing value here is a planner bug, since required parameters are checked before merging. */
    public double get(String name) {
        Double v = values.get(name);
        if (v == null) throw new IllegalStateException("parameter '" + name + "' was not resolved");
        return v;
    }

    public double get(String name, double fallback) {
        Double v = values.get(name);
        return v == null ? fallback : v;
    }

    public boolean flag(String name) { return get(name) != 0.0; }

    public Map<String, Double> asMap() { return values; }

    @Override
    public String toString() { return values.toString(); }

    @Override
    public boolean equals(Object o) { return o instanceof Params p && p.values.equals(values); }

    @Override
    public int hashCode() { return values.hashCode(); }
}
