package dev.jmerge.plan;

import dev.jmerge.config.InputModel;
import dev.jmerge.config.MergeConfig;
import dev.jmerge.config.ModuleConfig;
import dev.jmerge.config.OutputSlice;
import dev.jmerge.config.Parameters;
import dev.jmerge.config.SliceSource;
import dev.jmerge.config.SourcePos;
import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.diagnostic.Suggestions;
import dev.jmerge.methods.MergeMethod;
import dev.jmerge.methods.MethodRegistry;
import dev.jmerge.methods.ParamSpec;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What the config says that the chosen method will not read, found once the method is known: parameter names no
 * method knows (with the one the method has that is closest), names another method reads but this one does not,
 * method-level parameters given to a single model, and keys that are this method's parameters written beside
 * {@code model:} instead of under {@code parameters:}. mergekit ignores all of these silently.
 */
final class ParameterNames {

    private final MergeMethod method;
    private final Set<String> perModel = new LinkedHashSet<>();
    private final Set<String> global = new LinkedHashSet<>();
    private final Set<Diagnostic> found = new LinkedHashSet<>();
    private final java.util.TreeMap<SourcePos, Diagnostic> byPosition = new java.util.TreeMap<>(
            java.util.Comparator.comparingInt(SourcePos::line).thenComparingInt(SourcePos::column));

    private ParameterNames(MergeMethod method) {
        this.method = method;
        for (ParamSpec p : method.modelParameters()) perModel.add(p.name());
        for (ParamSpec p : method.globalParameters()) global.add(p.name());
    }

    /** The config's own diagnostics, refined with the method's names, then every parameter name it does not read. */
    static List<Diagnostic> review(MergeConfig config, MergeMethod method) {
        ParameterNames n = new ParameterNames(method);
        for (Diagnostic d : config.diagnostics()) n.found.add(n.refine(d));
        n.level(config.parameters(), false);
        n.inputs(config.models(), config.slices());
        if (config.modules() != null) {
            for (ModuleConfig m : config.modules().values()) {
                n.level(m.parameters(), false);
                n.inputs(m.models(), m.slices());
            }
        }
        n.found.addAll(n.byPosition.values());
        return List.copyOf(n.found);
    }

    /** A key of this method's parameters beside {@code model:} (or in any mapping with a parameters block). */
    private Diagnostic refine(Diagnostic d) {
        if (d instanceof Diagnostic.UnknownKey k && k.parametersBeside()
                && (perModel.contains(k.key()) || global.contains(k.key()))) {
            return k.suggesting("'parameters: {" + k.key() + ": ...}'");
        }
        return d;
    }

    private void inputs(List<InputModel> models, List<OutputSlice> slices) {
        if (models != null) for (InputModel m : models) level(m.parameters(), true);
        if (slices != null) {
            for (OutputSlice s : slices) {
                level(s.parameters(), false);
                for (SliceSource src : s.sources()) level(src.parameters(), true);
            }
        }
    }

    /** @param ofOneModel a model entry's or slice source's parameters, where only per-model parameters are read */
    private void level(Parameters params, boolean ofOneModel) {
        if (params == null) return;
        for (var e : params.values().entrySet()) {
            String name = e.getKey();
            SourcePos pos = e.getValue().pos();
            String at = pos.toString();
            if (perModel.contains(name) || (!ofOneModel && global.contains(name))) continue;
            if (global.contains(name)) {
                byPosition.putIfAbsent(pos, new Diagnostic.IgnoredParameter(at, name, method.name(), "merge_method '"
                        + method.name() + "' reads it once for all models, from the slice, module or top-level"
                        + " parameters, not from a model's"));
            } else if (knownToSomeMethod(name)) {
                byPosition.putIfAbsent(pos, new Diagnostic.IgnoredParameter(at, name, method.name(), "merge_method '"
                        + method.name() + "' does not use it"));
            } else {
                Set<String> own = new LinkedHashSet<>(perModel);
                if (!ofOneModel) own.addAll(global);
                String close = Suggestions.closest(name, own);
                byPosition.putIfAbsent(pos, new Diagnostic.UnknownParameter(at, name, method.name(),
                        close == null ? null : "'" + close + "'"));
            }
        }
    }

    private static boolean knownToSomeMethod(String name) {
        for (MergeMethod m : MethodRegistry.all()) {
            List<ParamSpec> all = new ArrayList<>(m.globalParameters());
            all.addAll(m.modelParameters());
            for (ParamSpec p : all) if (p.name().equals(name)) return true;
        }
        return false;
    }
}
