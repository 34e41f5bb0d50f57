package dev.jmerge.plan;

import dev.jmerge.arch.ArchitectureSpec;
import dev.jmerge.arch.ModularArchitectureSpec;
import dev.jmerge.arch.ModuleSpec;
import dev.jmerge.config.InputModel;
import dev.jmerge.config.MergeConfig;
import dev.jmerge.config.ModelReference;
import dev.jmerge.config.ModuleConfig;
import dev.jmerge.config.OutputSlice;
import dev.jmerge.config.Parameters;
import dev.jmerge.config.SliceSource;
import dev.jmerge.config.SourcePos;
import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.error.ConfigException;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.methods.BaseModelRule;
import dev.jmerge.methods.MergeMethod;
import dev.jmerge.methods.MethodRegistry;
import dev.jmerge.source.ModelLocator;
import dev.jmerge.tokenizer.TokenizerPlan;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * config × models × architecture → {@link Plan}. Everything a user can get wrong is checked here, before
 * a byte of tensor data is read.
 */
public final class Planner {

    /** @param maxShardBytes mergekit's --out-shard-size (bytes of tensor data per shard; ≤ 0 = one shard) */
    public record Options(boolean allowCrimes, long maxShardBytes) {}

    private final ModelLocator locator;

    public Planner(ModelLocator locator) { this.locator = locator; }

    public ModelLocator locator() { return locator; }

    /** One output slice with its sources located and ranges checked. */
    record Slice(List<Source> sources, LoadedModel base, Parameters params, SourcePos pos) {
        int length() { return sources.getFirst().length(); }

        /** Positions in {@link #sources()} of each distinct model, in order of first listing (compat §1.3). */
        List<List<Integer>> listings() {
            Map<LoadedModel, List<Integer>> at = new LinkedHashMap<>();
            for (int j = 0; j < sources.size(); j++) at.computeIfAbsent(sources.get(j).model(), m -> new ArrayList<>()).add(j);
            return List.copyOf(at.values());
        }
    }

    record Source(LoadedModel model, int start, int end, Parameters params, SourcePos pos) {
        int length() { return end - start; }
    }

    public Plan plan(MergeConfig config, Options options) {
        MergeMethod method = MethodRegistry.find(config.mergeMethod()).orElseThrow(() -> new ConfigException(
                config.mergeMethodPos() + ": merge_method '" + config.mergeMethod() + "' is not a known method;"
                        + " known methods: " + MethodRegistry.names()));

        Map<ModelReference, SourcePos> refs = referencedModels(config);
        ModelSet set = ModelSet.load(refs, locator);
        try {
            List<LoadedModel> loaded = set.all();
            var modular = ArchitectureChoice.resolveModular(loaded, options.allowCrimes());
            if (modular.isPresent()) return planModular(config, method, options, set, modular.get());

            Parameters moduleParams = Parameters.NONE;
            List<InputModel> models = config.models();
            List<OutputSlice> slices = config.slices();
            if (config.modules() != null) {
                if (config.modules().size() != 1) {
                    throw new ConfigException(config.fileName() + ": 'modules' with " + config.modules().size()
                            + " modules needs a multi-module architecture, and the models' architecture has a single"
                            + " module; single-module models take 'models' or 'slices'");
                }
                ModuleConfig module = config.modules().values().iterator().next();
                models = module.models();
                slices = module.slices();
                moduleParams = module.parameters();
            }
            ArchitectureSpec arch = ArchitectureChoice.resolve(loaded, options.allowCrimes());
            List<Slice> planned = models != null
                    ? List.of(sliceOfModels(config, models, set, arch))
                    : slicesOf(config, slices, set, arch, null);
            checkBase(config, method, planned);
            LoadedModel donor = config.baseModel() != null ? set.get(config.baseModel()) : loaded.getFirst();
            List<Diagnostic> found = new ArrayList<>(ParameterNames.review(config, method));
            warnRepeated(planned, found);
            TokenizerPlan tokenizer = TokenizerPlanning.plan(config, loaded, donor, arch, locator, found);
            var filters = new ParameterResolver.Filters();
            var tensors = new TensorEnumerator(config, method, arch, moduleParams, filters, found).enumerate(planned);
            if (tokenizer.vocabulary() != null) {
                tensors = new EmbeddingGather(config.tokenizer(), tokenizer, loaded, donor, found).apply(tensors);
            }
            found.addAll(filters.unmatched());
            var shards = ShardLayout.of(tensors.stream().map(PlannedTensor::spec).toList(), options.maxShardBytes());
            int outputLayers = models != null ? -1 : planned.stream().mapToInt(Slice::length).sum();
            return new Plan(config, method, loaded, arch, tensors, shards, donor, outputLayers, found, tokenizer);
        } catch (RuntimeException e) {
            set.close();
            throw e;
        }
    }

    /** What one module of a multi-module merge is planned from. */
    private record ModuleWork(ModuleSpec module, List<InputModel> models, List<OutputSlice> slices,
                              Parameters params) {}

    /**
     * Each module planned on its own with its prefixed names, outputs concatenated in module order (compat §1.5).
     * {@code modules:} plans the modules it names; {@code models:} applies to every module of the architecture,
     * and {@code slices:} is refused (compat §1.4: slices need a single-module architecture).
     */
    private Plan planModular(MergeConfig config, MergeMethod method, Options options, ModelSet set,
                             ModularArchitectureSpec arch) {
        if (config.tokenizer() != null) {
            throw new ConfigException(config.tokenizer().pos() + ": merging vocabularies ('tokenizer') is not"
                    + " supported for the multi-module architecture " + arch.id() + "; leave it out to copy the donor's"
                    + " tokenizer");
        }
        List<ModuleWork> work = new ArrayList<>();
        List<Diagnostic> found = new ArrayList<>(ParameterNames.review(config, method));
        if (config.modules() != null) {
            for (ModuleConfig m : config.modules().values()) {
                work.add(new ModuleWork(arch.module(m.name(), String.valueOf(m.pos())), m.models(), m.slices(),
                        m.parameters()));
            }
            List<String> left = arch.moduleNames().stream().filter(n -> !config.modules().containsKey(n)).toList();
            if (!left.isEmpty()) {
                found.add(new Diagnostic.Finding("modules " + left + " of architecture " + arch.id()
                        + " are not listed under 'modules', so the output has none of their tensors"));
            }
        } else if (config.slices() != null) {
            // Layer ranges belong to one module's layers: mergekit requires 'modules' here too.
            throw new ConfigException(config.slices().getFirst().pos() + ": 'slices' needs a single-module"
                    + " architecture, but " + arch.id() + " has the modules " + arch.moduleNames()
                    + "; put the slices under 'modules: {<module>: {slices: ...}}'");
        } else {
            for (ModuleSpec m : arch.modules()) work.add(new ModuleWork(m, config.models(), null, Parameters.NONE));
        }
        List<LoadedModel> loaded = set.all();
        LoadedModel donor = config.baseModel() != null ? set.get(config.baseModel()) : loaded.getFirst();
        List<PlannedTensor> tensors = new ArrayList<>();
        Map<String, Integer> layerCounts = new LinkedHashMap<>();
        var filters = new ParameterResolver.Filters();
        for (ModuleWork w : work) {
            ArchitectureSpec spec = w.module().prefixed();
            List<Slice> planned = w.models() != null
                    ? List.of(sliceOfModels(config, w.models(), set, spec))
                    : slicesOf(config, w.slices(), set, spec, w.module().name());
            checkBase(config, method, planned);
            warnRepeated(planned, found);
            tensors.addAll(new TensorEnumerator(config, method, spec, w.params(), filters, found).enumerate(planned));
            if (w.slices() != null) {
                if (spec.numLayersKey() != null) {
                    layerCounts.put(spec.numLayersKey(), planned.stream().mapToInt(Slice::length).sum());
                } else {
                    found.add(new Diagnostic.Finding("module '" + w.module().name() + "' has a fixed layer count,"
                            + " so config.json records no layer count for it"));
                }
            }
        }
        ArchitectureSpec summary = new ArchitectureSpec(arch.id(), arch.modelType(), arch.architectures(),
                List.of(), List.of(), List.of(), null, arch.vocabSizeKey(), 0, false);
        found.addAll(filters.unmatched());
        TokenizerPlan tokenizer = TokenizerPlanning.plan(config, loaded, donor, summary, locator, found);
        var shards = ShardLayout.of(tensors.stream().map(PlannedTensor::spec).toList(), options.maxShardBytes());
        int outputLayers = layerCounts.isEmpty() ? -1 : layerCounts.values().iterator().next();
        return new Plan(config, method, loaded, summary, tensors, shards, donor, outputLayers, found, tokenizer,
                layerCounts, arch.tagalongFiles());
    }

    /** Base first (it is the donor), then every model in the order the config mentions it. */
    private static Map<ModelReference, SourcePos> referencedModels(MergeConfig config) {
        Map<ModelReference, SourcePos> refs = new LinkedHashMap<>();
        if (config.baseModel() != null) refs.put(config.baseModel(), config.baseModelPos());
        if (config.modules() == null) {
            addReferences(refs, config.models(), config.slices());
        } else {
            for (ModuleConfig m : config.modules().values()) addReferences(refs, m.models(), m.slices());
        }
        return refs;
    }

    private static void addReferences(Map<ModelReference, SourcePos> refs, List<InputModel> models,
                                      List<OutputSlice> slices) {
        if (models != null) {
            for (InputModel m : models) refs.putIfAbsent(m.model(), m.pos());
        } else {
            for (OutputSlice s : slices) {
                if (s.baseModel() != null) refs.putIfAbsent(s.baseModel(), s.pos());
                for (SliceSource src : s.sources()) refs.putIfAbsent(src.model(), src.pos());
            }
        }
    }

    /** mergekit turns {@code models:} into one slice over every model's layers, the base appended if unlisted. */
    private static Slice sliceOfModels(MergeConfig config, List<InputModel> models, ModelSet set,
                                       ArchitectureSpec arch) {
        List<Source> sources = new ArrayList<>();
        for (InputModel m : models) {
            LoadedModel lm = set.get(m.model());
            sources.add(new Source(lm, 0, arch.numLayers(lm.config()), m.parameters(), m.pos()));
        }
        LoadedModel base = config.baseModel() == null ? null : set.get(config.baseModel());
        if (base != null && sources.stream().noneMatch(s -> s.model() == base)) {
            sources.add(new Source(base, 0, arch.numLayers(base.config()), Parameters.NONE, config.baseModelPos()));
        }
        Source first = sources.getFirst();
        for (Source s : sources) {
            if (s.length() != first.length()) {
                throw new ConfigException(s.pos() + ": model '" + s.model().label() + "' has " + s.length()
                        + " layers but '" + first.model().label() + "' has " + first.length()
                        + "; models of different depth need 'slices' with matching layer_range lengths");
            }
        }
        return new Slice(sources, base, Parameters.NONE, config.mergeMethodPos());
    }

    /** @param module the module being planned, named in range errors; null for single-module architectures */
    private static List<Slice> slicesOf(MergeConfig config, List<OutputSlice> slices, ModelSet set,
                                        ArchitectureSpec arch, String module) {
        List<Slice> out = new ArrayList<>();
        for (OutputSlice s : slices) {
            List<Source> sources = new ArrayList<>();
            for (SliceSource src : s.sources()) {
                LoadedModel lm = set.get(src.model());
                int layers = arch.numLayers(lm.config());
                int start = 0, end = layers;
                if (src.layerRange() != null) {
                    start = src.layerRange().start();
                    end = src.layerRange().end();
                    if (end > layers) {
                        String where = module == null ? "model '" + lm.label() + "'"
                                : "module '" + module + "' of model '" + lm.label() + "'";
                        throw new ConfigException(src.layerRange().pos() + ": layer_range [" + start + ", " + end
                                + "] goes beyond " + where + ", which has " + layers
                                + " layers (the range is half-open: at most [" + start + ", " + layers + "])");
                    }
                }
                sources.add(new Source(lm, start, end, src.parameters(), src.pos()));
            }
            for (Source src : sources) {
                if (src.length() != sources.getFirst().length()) {
                    throw new ConfigException(s.pos() + ": the sources of this slice cover different numbers of"
                            + " layers (" + sources.getFirst().length() + " and " + src.length()
                            + "); every source of a slice needs a layer_range of the same length");
                }
            }
            ModelReference baseRef = s.baseModel() != null ? s.baseModel() : config.baseModel();
            LoadedModel base = baseRef == null ? null : set.get(baseRef);
            out.add(new Slice(sources, base, s.parameters(), s.pos()));
        }
        return out;
    }

    /** One warning per model a slice lists more than once (compat §1.3: mergekit merges it once per tensor). */
    private static void warnRepeated(List<Slice> slices, List<Diagnostic> found) {
        for (Slice s : slices) {
            for (List<Integer> at : s.listings()) {
                if (at.size() < 2) continue;
                Source first = s.sources().get(at.getFirst());
                StringBuilder where = new StringBuilder();
                for (int j : at) where.append(where.isEmpty() ? "" : ", ").append(s.sources().get(j).pos());
                String w = "model '" + first.model().label() + "' is listed " + at.size() + " times (" + where
                        + "); like mergekit, jmerge merges it once: in its first place, with the parameters of its"
                        + " first listing, reading the tensors of its last";
                Diagnostic d = new Diagnostic.Finding(w);
                if (!found.contains(d)) found.add(d);
            }
        }
    }

    private static void checkBase(MergeConfig config, MergeMethod method, List<Slice> slices) {
        for (Slice s : slices) {
            boolean hasBase = s.base() != null && s.sources().stream().anyMatch(src -> src.model() == s.base());
            if (method.baseModel() == BaseModelRule.REQUIRED) {
                if (s.base() == null) {
                    throw new ConfigException(config.mergeMethodPos() + ": merge_method '" + method.name()
                            + "' needs a base_model");
                }
                if (!hasBase) {
                    throw new ConfigException(s.pos() + ": base model '" + s.base().label()
                            + "' is not one of this slice's sources; merge_method '" + method.name()
                            + "' reads the base model's layers, so list it under sources with a layer_range");
                }
            }
            boolean baseCounts = hasBase && method.baseModel() != BaseModelRule.IGNORED;
            int others = s.listings().size() - (baseCounts ? 1 : 0);
            String problem = method.checkInputs(others, baseCounts);
            if (problem != null) {
                throw new ConfigException(s.pos() + ": merge_method '" + method.name() + "': " + problem);
            }
        }
    }
}
