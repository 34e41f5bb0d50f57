package dev.jmerge.plan;

import dev.jmerge.config.MergeConfig;
import dev.jmerge.config.ParameterValue;
import dev.jmerge.config.Parameters;
import dev.jmerge.config.SourcePos;
import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.diagnostic.Suggestions;
import dev.jmerge.error.ConfigException;
import dev.jmerge.methods.MergeMethod;
import dev.jmerge.methods.ParamSpec;
import dev.jmerge.methods.Params;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * mergekit's parameter precedence (compat §1.6), decided here and nowhere else. A per-model parameter comes from the
 * model's first listing in the slice that sets it, then the slice's, the module's and the top-level parameters, each
 * evaluated with that model's <em>input</em> tensor name (mergekit's {@code ConfigReader} looks them all up with the
 * input name; it differs from the output name in the layer index under {@code slices} and in a module's prefix); a
 * method-level parameter comes from the slice, the module and the top level, evaluated with the <em>output</em> name.
 * The first level that defines a value wins (a level whose conditions match nothing does not define it), then the
 * method's default; a required parameter left without one is a configuration error.
 *
 * <p>It also notes which conditions matched a tensor name they were evaluated with, at every level that sets a
 * parameter the method reads (shadowed levels included), so the plan can name the filters that match no tensor.
 */
final class ParameterResolver {

    /** A parameter's values for one tensor and where each was set (absent: the method's default). */
    record Resolved(Params params, Map<String, SourcePos> setAt) {}

    /** The filters of one plan: shared by the resolvers of its modules, since a top-level filter may match any. */
    static final class Filters {
        private record Use(String parameter, String filter, SourcePos pos) {}

        private final Map<ParameterValue.Condition, Use> seen = new IdentityHashMap<>();
        private final Set<ParameterValue.Condition> matched = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        private final Set<String> names = new LinkedHashSet<>();

        void evaluated(String parameter, Parameters.Setting setting, String tensorName) {
            names.add(tensorName);
            if (!(setting.value() instanceof ParameterValue.Conditions cs)) return;
            for (ParameterValue.Condition c : cs.conditions()) {
                if (c.filter() == null || c.filter().equals("*")) continue;
                seen.putIfAbsent(c, new Use(parameter, c.filter(), setting.pos()));
                if (c.matches(tensorName)) matched.add(c);
            }
        }

        /** One diagnostic per filter that was in no tensor name it met, with the closest name component. */
        List<Diagnostic> unmatched() {
            Set<String> parts = new LinkedHashSet<>();
            for (String n : names) parts.addAll(List.of(n.split("\\.")));
            List<Diagnostic> out = new ArrayList<>();
            Set<Use> reported = new LinkedHashSet<>();
            for (var e : seen.entrySet()) {
                Use u = e.getValue();
                if (matched.contains(e.getKey()) || !reported.add(u)) continue;
                String close = Suggestions.closest(u.filter(), parts);
                out.add(new Diagnostic.UnmatchedFilter(u.pos().toString(), u.parameter(), u.filter(),
                        close == null ? null : "'" + close + "'"));
            }
            return out;
        }
    }

    private final MergeConfig config;
    private final MergeMethod method;
    private final Parameters moduleParams;
    private final Filters filters;

    ParameterResolver(MergeConfig config, MergeMethod method, Parameters moduleParams, Filters filters) {
        this.config = config;
        this.method = method;
        this.moduleParams = moduleParams;
        this.filters = filters;
    }

    /** The method-level parameters of output tensor {@code outName} in {@code slice}, at layer position {@code t}. */
    Resolved global(String outName, Planner.Slice slice, double t) {
        Map<String, Double> values = new LinkedHashMap<>();
        Map<String, SourcePos> setAt = new LinkedHashMap<>();
        for (ParamSpec p : method.globalParameters()) {
            Found f = shared(p.name(), outName, slice, t);
            if (f != null) {
                values.put(p.name(), f.value());
                setAt.put(p.name(), f.pos());
            } else if (p.defaultValue() != null) {
                values.put(p.name(), p.defaultValue());
            } else if (p.required()) {
                throw new ConfigException(config.mergeMethodPos() + ": merge_method '" + method.name()
                        + "' needs parameter '" + p.name() + "' (" + p.help() + "); none is set for tensor '"
                        + outName + "'");
            }
        }
        return new Resolved(new Params(values), setAt);
    }

    /**
     * The per-model parameters of one input.
     *
     * @param inName the model's tensor (what every level's filters see)
     * @param outName the output tensor, for messages
     * @param listings the model's entries in the slice, in order: each parameter comes from the first that sets it
     *     (to a value that applies to this tensor), as mergekit's lookup returns the first source naming the model
     */
    Resolved model(String inName, String outName, Planner.Slice slice, List<Planner.Source> listings, double t,
                   boolean isBase) {
        Planner.Source src = listings.getFirst();
        Map<String, Double> values = new LinkedHashMap<>();
        Map<String, SourcePos> setAt = new LinkedHashMap<>();
        for (ParamSpec p : method.modelParameters()) {
            Found f = null;
            for (Planner.Source l : listings) {
                Found here = evaluate(p.name(), l.params(), inName, t);
                if (f == null) f = here;
            }
            Found shared = shared(p.name(), inName, slice, t);
            if (f == null) f = shared;
            if (f != null) {
                values.put(p.name(), f.value());
                setAt.put(p.name(), f.pos());
            } else if (p.defaultValue() != null) {
                values.put(p.name(), p.defaultValue());
            } else if (p.required() && !isBase) {
                String hint = src.model() == slice.base()
                        ? "; mergekit adds base_model to the inputs of '" + method.name()
                        + "' too, so give it a weight or drop base_model" : "";
                throw new ConfigException(src.pos() + ": merge_method '" + method.name() + "' needs parameter '"
                        + p.name() + "' for model '" + src.model().label() + "' (" + p.help()
                        + "); none is set for tensor '" + outName + "'" + hint);
            }
        }
        return new Resolved(new Params(values), setAt);
    }

    private record Found(double value, SourcePos pos) {}

    /** The slice's, the module's, then the top-level value; every level that sets it is evaluated (filters noted). */
    private Found shared(String name, String tensorName, Planner.Slice slice, double t) {
        Found first = null;
        for (Parameters level : List.of(slice.params(), moduleParams, config.parameters())) {
            Found f = evaluate(name, level, tensorName, t);
            if (first == null) first = f;
        }
        return first;
    }

    private Found evaluate(String name, Parameters level, String tensorName, double t) {
        Parameters.Setting s = level == null ? null : level.get(name);
        if (s == null) return null;
        filters.evaluated(name, s, tensorName);
        OptionalDouble d = s.value().evaluate(tensorName, t);
        return d.isPresent() ? new Found(d.getAsDouble(), s.pos()) : null;
    }
}
