package dev.jmerge.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** A {@code parameters:} block: name → value with its position. Unknown names are kept (mergekit ignores them). */
public record Parameters(Map<String, Setting> values, SourcePos pos) {

    public record Setting(ParameterValue value, SourcePos pos) {}

    public static final Parameters NONE = new Parameters(Map.of(), SourcePos.UNKNOWN);

    public Parameters {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public Setting get(String name) { return values.get(name); }
}
