package dev.jmerge.plan;

import dev.jmerge.arch.ArchitectureSpec;
import dev.jmerge.arch.WeightSpec;
import dev.jmerge.config.MergeConfig;
import dev.jmerge.config.ParameterValue;
import dev.jmerge.config.Parameters;
import dev.jmerge.error.ConfigException;
import dev.jmerge.methods.BaseModelRule;
import dev.jmerge.methods.MergeMethod;
import dev.jmerge.methods.ParamSpec;
import dev.jmerge.methods.Params;
import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/** Walks the slices in output order and decides every output tensor (compat §1.4, §1.6, §2.1, §2.14). */
final class TensorEnumerator {

    private final MergeConfig config;
    private final MergeMethod method;
    private final ArchitectureSpec arch;
    private final Parameters moduleParams;
    private final List<String> warnings;

    TensorEnumerator(MergeConfig config, MergeMethod method, ArchitectureSpec arch, Parameters moduleParams,
                     List<String> warnings) {
        this.config = config;
        this.method = method;
        this.arch = arch;
        this.moduleParams = moduleParams;
        this.warnings = warnings;
    }

    List<PlannedTensor> enumerate(List<Planner.Slice> slices) {
        int totalLayers = slices.stream().mapToInt(Planner.Slice::length).sum();
        List<PlannedTensor> out = new ArrayList<>();
        Planner.Slice first = slices.getFirst(), last = slices.getLast();
        // Embeddings come from the first slice's sources, final norm and head from the last; both at t = 0.
        for (WeightSpec w : arch.preWeights(totalLayers)) add(out, w, first, fixed(first, w), 0.0);
        int outLayer = 0;
        for (Planner.Slice s : slices) {
            int length = s.length();
            for (int k = 0; k < length; k++) {
                List<WeightSpec> outWeights = arch.layerWeights(outLayer + k, totalLayers);
                List<List<WeightSpec>> inWeights = new ArrayList<>();
                for (Planner.Source src : s.sources()) {
                    inWeights.add(arch.layerWeights(src.start() + k, arch.numLayers(src.model().config())));
                }
                double t = length == 1 ? 1.0 : (double) k / (length - 1);
                for (int i = 0; i < outWeights.size(); i++) {
                    List<WeightSpec> perSource = new ArrayList<>();
                    for (List<WeightSpec> in : inWeights) perSource.add(in.get(i));
                    add(out, outWeights.get(i), s, perSource, t);
                }
            }
            outLayer += length;
        }
        for (WeightSpec w : arch.postWeights(totalLayers)) add(out, w, last, fixed(last, w), 0.0);
        return out;
    }

    private static List<WeightSpec> fixed(Planner.Slice s, WeightSpec w) {
        List<WeightSpec> l = new ArrayList<>();
        for (int i = 0; i < s.sources().size(); i++) l.add(w);
        return l;
    }

    private void add(List<PlannedTensor> out, WeightSpec outSpec, Planner.Slice slice, List<WeightSpec> inSpecs,
                     double t) {
        List<PlannedInput> inputs = new ArrayList<>();
        List<Planner.Source> used = new ArrayList<>();
        List<List<Planner.Source>> listings = new ArrayList<>();
        boolean anyDirect = false;
        for (List<Integer> at : slice.listings()) {
            // mergekit keys a tensor's inputs by model: one input per model, at its first position, reading the
            // tensor of its last listing (which differs only when slices give that listing other layers)
            int j = at.getLast();
            Planner.Source src = slice.sources().get(j);
            WeightSpec in = inSpecs.get(j);
            String direct = firstPresent(src.model(), in.name(), in.aliases());
            String name = direct != null ? direct : firstPresent(src.model(), null, in.tiedNames());
            if (name == null) {
                if (in.optional()) continue;
                throw new ConfigException("model '" + src.model().label() + "' (" + src.model().folder()
                        + ") lacks tensor '" + in.name() + "', which the " + arch.id()
                        + " architecture requires");
            }
            anyDirect |= direct != null;
            inputs.add(new PlannedInput(src.model().index(), name, src.model().info(name)));
            used.add(slice.sources().get(at.getFirst()));
            listings.add(at.stream().map(slice.sources()::get).toList());
        }
        // An optional weight no model has under its own name stays absent (e.g. a tied lm_head).
        if (inputs.isEmpty() || !anyDirect) return;

        int baseIndex = -1;
        if (slice.base() != null && method.baseModel() != BaseModelRule.IGNORED) {
            for (int i = 0; i < used.size(); i++) if (used.get(i).model() == slice.base()) baseIndex = i;
            if (baseIndex < 0 && method.baseModel() == BaseModelRule.REQUIRED) {
                throw new ConfigException("tensor '" + outSpec.name() + "' is missing from base model '"
                        + slice.base().label() + "', which merge_method '" + method.name() + "' needs");
            }
        }
        String problem = method.checkInputs(inputs.size() - (baseIndex >= 0 ? 1 : 0), baseIndex >= 0);
        if (problem != null) {
            throw new ConfigException("tensor '" + outSpec.name() + "': merge_method '" + method.name() + "': "
                    + problem);
        }

        Shape shape = outputShape(outSpec, inputs, used);
        Params global = resolveGlobal(outSpec.name(), slice, t);
        List<Params> perModel = new ArrayList<>();
        for (int i = 0; i < used.size(); i++) {
            perModel.add(resolveModel(outSpec.name(), inputs.get(i).tensorName(), slice, listings.get(i), t,
                    i == baseIndex));
        }
        DType outDtype = outSpec.forceDtype() != null ? outSpec.forceDtype()
                : config.outDtype() != null ? config.outDtype()
                : config.dtype() != null ? config.dtype()
                : inputs.get(baseIndex >= 0 ? baseIndex : 0).info().dtype();
        out.add(new PlannedTensor(outSpec.name(), shape, outDtype, config.dtype(), method, List.copyOf(inputs),
                baseIndex, global, List.copyOf(perModel), outSpec.isEmbed()));
    }

    private static String firstPresent(LoadedModel m, String name, List<String> alternatives) {
        if (name != null && m.weights().has(name)) return name;
        for (String a : alternatives) if (m.weights().has(a)) return a;
        return null;
    }

    /** Equal shapes pass; vocabulary-indexed 2-D tensors are cut to the common top-left block (§2.1). */
    private Shape outputShape(WeightSpec spec, List<PlannedInput> inputs, List<Planner.Source> used) {
        Shape first = inputs.getFirst().info().shape();
        boolean same = inputs.stream().allMatch(in -> in.info().shape().equals(first));
        if (same) return first;
        // With a merged vocabulary the embedding's shape is decided later, from the vocabulary (EmbeddingGather).
        if (spec.isEmbed() && config.tokenizer() != null) return first;
        boolean all2d = inputs.stream().allMatch(in -> in.info().shape().rank() == 2);
        if (!spec.isEmbed() || !all2d) {
            for (int i = 1; i < inputs.size(); i++) {
                if (!inputs.get(i).info().shape().equals(first)) {
                    throw new ConfigException("tensor '" + spec.name() + "' has shape "
                            + first + " in model '" + used.getFirst().model().label() + "' but "
                            + inputs.get(i).info().shape() + " in model '"
                            + used.get(i).model().label() + "'; the models do not have the same architecture");
                }
            }
        }
        long rows = Long.MAX_VALUE, cols = Long.MAX_VALUE;
        for (PlannedInput in : inputs) {
            rows = Math.min(rows, in.info().shape().dim(0));
            cols = Math.min(cols, in.info().shape().dim(1));
        }
        StringBuilder sizes = new StringBuilder();
        for (int i = 0; i < inputs.size(); i++) {
            long r = inputs.get(i).info().shape().dim(0);
            if (r > rows) {
                sizes.append(sizes.isEmpty() ? "" : ", ").append("'").append(used.get(i).model().label())
                        .append("' loses ").append(r - rows).append(" of ").append(r).append(" rows");
            }
        }
        warnings.add("tensor '" + spec.name() + "': embedding sizes differ and no tokenizer setting is given, so"
                + " every input is cut to its first " + rows + " x " + cols
                + (sizes.isEmpty() ? "" : " (" + sizes + ")") + "; the output vocabulary size is " + rows
                + ". To keep every model's tokens, set 'tokenizer: {source: union}' (add 'pad_to_multiple_of: N'"
                + " to keep a padded size)");
        return Shape.of(rows, cols);
    }

    private Params resolveGlobal(String outName, Planner.Slice slice, double t) {
        Map<String, Double> values = new LinkedHashMap<>();
        for (ParamSpec p : method.globalParameters()) {
            OptionalDouble v = firstDefined(p.name(), t, outName, slice.params());
            if (v.isPresent()) values.put(p.name(), v.getAsDouble());
            else if (p.defaultValue() != null) values.put(p.name(), p.defaultValue());
            else if (p.required()) {
                throw new ConfigException(config.mergeMethodPos() + ": merge_method '" + method.name()
                        + "' needs parameter '" + p.name() + "' (" + p.help() + "); none is set for tensor '"
                        + outName + "'");
            }
        }
        return new Params(values);
    }

    /**
     * @param listings the model's entries in the slice, in order: as in mergekit's lookup, each parameter comes
     *     from the first entry that sets it (to a value that applies to this tensor)
     */
    private Params resolveModel(String outName, String inName, Planner.Slice slice, List<Planner.Source> listings,
                                double t, boolean isBase) {
        Planner.Source src = listings.getFirst();
        Map<String, Double> values = new LinkedHashMap<>();
        for (ParamSpec p : method.modelParameters()) {
            OptionalDouble v = OptionalDouble.empty();
            for (Planner.Source l : listings) {
                Parameters.Setting set = l.params().get(p.name());
                if (set != null) v = set.value().evaluate(inName, t);
                if (v.isPresent()) break;
            }
            if (v.isEmpty()) v = firstDefined(p.name(), t, outName, slice.params());
            if (v.isPresent()) values.put(p.name(), v.getAsDouble());
            else if (p.defaultValue() != null) values.put(p.name(), p.defaultValue());
            else if (p.required() && !isBase) {
                String hint = src.model() == slice.base()
                        ? "; mergekit adds base_model to the inputs of '" + method.name()
                        + "' too, so give it a weight or drop base_model" : "";
                throw new ConfigException(src.pos() + ": merge_method '" + method.name() + "' needs parameter '"
                        + p.name() + "' for model '" + src.model().label() + "' (" + p.help()
                        + "); none is set for tensor '" + outName + "'" + hint);
            }
        }
        return new Params(values);
    }

    /** Precedence after the per-source level: the slice, the module, the top-level parameters. */
    private OptionalDouble firstDefined(String name, double t, String tensorName, Parameters sliceParams) {
        for (Parameters level : List.of(sliceParams, moduleParams, config.parameters())) {
            Parameters.Setting s = level == null ? null : level.get(name);
            if (s == null) continue;
            ParameterValue v = s.value();
            OptionalDouble d = v.evaluate(tensorName, t);
            if (d.isPresent()) return d;
        }
        return OptionalDouble.empty();
    }
}
