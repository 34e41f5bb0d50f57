package dev.jmerge.config;

import dev.jmerge.error.ConfigException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * mergekit-multi recipes (compat §5.2): several documents, the named ones intermediates that later documents use
 * as models by writing the intermediate's name where a model path goes. At most one document is unnamed (the
 * final merge).
 */
public final class MultiMerge {

    private MultiMerge() {}

    /**
     * The documents in an order where every intermediate comes before the documents that reference it; documents
     * with no dependency between them keep their file order.
     *
     * @throws ConfigException for duplicate names, more than one unnamed document, or a dependency cycle
     */
    public static List<MergeConfig> orderByDependencies(List<MergeConfig> docs) {
        Map<String, MergeConfig> byName = new LinkedHashMap<>();
        MergeConfig unnamed = null;
        for (MergeConfig d : docs) {
            if (d.name() == null) {
                if (unnamed != null) {
                    throw new ConfigException(where(d) + ": more than one document has no 'name' (the other at line "
                            + unnamed.mergeMethodPos().line() + "); only the final merge may be unnamed");
                }
                unnamed = d;
            } else if (byName.putIfAbsent(d.name(), d) != null) {
                throw new ConfigException(where(d) + ": 'name' \"" + d.name() + "\" is used by two documents (the"
                        + " other at line " + byName.get(d.name()).mergeMethodPos().line() + ")");
            }
        }
        Map<MergeConfig, Set<String>> deps = new java.util.IdentityHashMap<>();
        for (MergeConfig d : docs) deps.put(d, dependencies(d, byName.keySet()));

        List<MergeConfig> ordered = new ArrayList<>(docs.size());
        Set<MergeConfig> done = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (MergeConfig d : docs) visit(d, byName, deps, done, new ArrayList<>(), ordered);
        return List.copyOf(ordered);
    }

    /**
     * The document whose merge is the recipe's result: the only one, else the unnamed one, else (every document
     * named) the one no other document uses. mergekit-multi would leave that last one among the intermediates;
     * a jmerge user who gave an output path wants it there.
     *
     * @throws ConfigException when every document is named and several are used by no other
     */
    public static MergeConfig finalDocument(List<MergeConfig> docs) {
        if (docs.size() == 1) return docs.getFirst();
        for (MergeConfig d : docs) if (d.name() == null) return d;
        Set<String> names = new LinkedHashSet<>();
        for (MergeConfig d : docs) names.add(d.name());
        Set<String> used = new LinkedHashSet<>();
        for (MergeConfig d : docs) used.addAll(dependencies(d, names));
        List<MergeConfig> leaves = docs.stream().filter(d -> !used.contains(d.name())).toList();
        if (leaves.size() == 1) return leaves.getFirst();
        List<String> described = new ArrayList<>();
        for (MergeConfig d : leaves) {
            described.add("'" + d.name() + "'" + (d.mergeMethodPos() == null ? "" : " (line " + d.mergeMethodPos().line() + ")"));
        }
        throw new ConfigException(docs.getFirst().fileName() + ": every document has a 'name' and "
                + String.join(", ", described) + " are used by no other document, so none of them is clearly the"
                + " final merge; leave the final one unnamed or merge them in one more document");
    }

    /** Names of other documents that {@code c} uses as a model (base, inputs, slice bases, tokenizer sources). */
    public static Set<String> dependencies(MergeConfig c, Set<String> names) {
        Set<String> used = new LinkedHashSet<>();
        mapReferences(c, r -> {
            if (names.contains(r.model().path())) used.add(r.model().path());
            return r;
        });
        return Collections.unmodifiableSet(used);
    }

    /**
     * A copy of {@code c} whose model references to an intermediate ({@code model.path} equal to a key) point to
     * its folder instead; revision, LoRA and override_architecture are kept. {@code yamlText} stays as written.
     */
    public static MergeConfig rewriteReferences(MergeConfig c, Map<String, String> nameToPath) {
        return mapReferences(c, r -> {
            String to = nameToPath.get(r.model().path());
            return to == null ? r
                    : new ModelReference(new ModelPath(to, r.model().revision()), r.lora(), r.overrideArchitecture());
        });
    }

    private static void visit(MergeConfig d, Map<String, MergeConfig> byName, Map<MergeConfig, Set<String>> deps,
                              Set<MergeConfig> done, List<MergeConfig> path, List<MergeConfig> out) {
        if (done.contains(d)) return;
        for (int i = 0; i < path.size(); i++) {
            if (path.get(i) == d) {
                List<String> cycle = new ArrayList<>();
                for (MergeConfig p : path.subList(i, path.size())) cycle.add(p.name());
                cycle.add(d.name());
                throw new ConfigException(where(d) + ": 'name' \"" + d.name() + "\" depends on itself: "
                        + String.join(" -> ", cycle));
            }
        }
        path.add(d);
        for (String dep : deps.get(d)) visit(byName.get(dep), byName, deps, done, path, out);
        path.removeLast();
        done.add(d);
        out.add(d);
    }

    private static String where(MergeConfig d) {
        return d.mergeMethodPos() == null ? d.fileName() : d.mergeMethodPos().toString();
    }

    static MergeConfig mapReferences(MergeConfig c, UnaryOperator<ModelReference> f) {
        Map<String, ModuleConfig> modules = null;
        if (c.modules() != null) {
            modules = new LinkedHashMap<>();
            for (var e : c.modules().entrySet()) {
                ModuleConfig m = e.getValue();
                modules.put(e.getKey(), new ModuleConfig(m.name(), models(m.models(), f), slices(m.slices(), f),
                        m.parameters(), m.pos()));
            }
            modules = Collections.unmodifiableMap(modules);
        }
        return new MergeConfig(c.mergeMethod(), c.mergeMethodPos(), models(c.models(), f), slices(c.slices(), f),
                modules, ref(c.baseModel(), f), c.baseModelPos(), c.parameters(), c.dtype(), c.outDtype(),
                tokenizer(c.tokenizer(), f), c.chatTemplate(), c.name(), c.yamlText(), c.fileName(), c.diagnostics());
    }

    private static ModelReference ref(ModelReference r, UnaryOperator<ModelReference> f) {
        return r == null ? null : f.apply(r);
    }

    private static List<InputModel> models(List<InputModel> models, UnaryOperator<ModelReference> f) {
        if (models == null) return null;
        return models.stream().map(m -> new InputModel(f.apply(m.model()), m.parameters(), m.pos())).toList();
    }

    private static List<OutputSlice> slices(List<OutputSlice> slices, UnaryOperator<ModelReference> f) {
        if (slices == null) return null;
        return slices.stream().map(s -> new OutputSlice(
                s.sources().stream().map(src -> new SliceSource(f.apply(src.model()), src.layerRange(),
                        src.parameters(), src.pos())).toList(),
                ref(s.baseModel(), f), s.parameters(), s.pos())).toList();
    }

    private static TokenizerConfig tokenizer(TokenizerConfig t, UnaryOperator<ModelReference> f) {
        if (t == null) return null;
        Map<String, TokenizerConfig.TokenSpec> tokens = new LinkedHashMap<>();
        for (var e : t.tokens().entrySet()) {
            TokenizerConfig.TokenSpec s = e.getValue();
            tokens.put(e.getKey(), new TokenizerConfig.TokenSpec(s.kind(), ref(s.model(), f), s.token(), s.tokenId(),
                    s.force(), s.pos()));
        }
        ModelReference source = ref(t.sourceModel(), f);
        return new TokenizerConfig(source == null ? t.source() : source.toString(), source,
                Collections.unmodifiableMap(tokens), t.padToMultipleOf(), t.legacy(), t.pos());
    }
}
