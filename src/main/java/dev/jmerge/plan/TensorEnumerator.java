package dev.jmerge.plan;

import dev.jmerge.arch.ArchitectureSpec;
import dev.jmerge.arch.WeightSpec;
import dev.jmerge.config.MergeConfig;
import dev.jmerge.config.Parameters;
import dev.jmerge.config.SourcePos;
import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.error.ConfigException;
import dev.jmerge.methods.BaseModelRule;
import dev.jmerge.methods.MergeMethod;
import dev.jmerge.methods.Params;
import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Walks the slices in output order and decides every output tensor (compat §1.4, §1.6, §2.1, §2.14). */
final class TensorEnumerator {

    private final MergeConfig config;
    private final MergeMethod method;
    private final ArchitectureSpec arch;
    private final ParameterResolver parameters;
    private final List<Diagnostic> diagnostics;

    /**
     * @param moduleParams the module's {@code parameters} (NONE for single-module configs)
     * @param filters where the filters' matches of the whole plan are noted
     */
    TensorEnumerator(MergeConfig config, MergeMethod method, ArchitectureSpec arch, Parameters moduleParams,
                     ParameterResolver.Filters filters, List<Diagnostic> diagnostics) {
        this.config = config;
        this.method = method;
        this.arch = arch;
        this.parameters = new ParameterResolver(config, method, moduleParams, filters);
        this.diagnostics = diagnostics;
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
            Set<String> present = src.model().weights().names();
            boolean direct = in.presentIn(present);
            String name = in.resolve(present).orElse(null);
            if (name == null) {
                if (in.optional()) continue;
                throw new ConfigException("model '" + src.model().label() + "' (" + src.model().folder()
                        + ") lacks tensor '" + in.name() + "', which the " + arch.id()
                        + " architecture requires");
            }
            anyDirect |= direct;
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
        ParameterResolver.Resolved global = parameters.global(outSpec.name(), slice, t);
        List<ParameterResolver.Resolved> perModel = new ArrayList<>();
        for (int i = 0; i < used.size(); i++) {
            perModel.add(parameters.model(inputs.get(i).tensorName(), outSpec.name(), slice, listings.get(i), t,
                    i == baseIndex));
        }
        List<Params> perModelParams = perModel.stream().map(ParameterResolver.Resolved::params).toList();
        MergeMethod.Invalid bad = method.validate(new MergeMethod.TensorParams(shape, baseIndex, global.params(),
                perModelParams));
        if (bad != null) throw invalid(bad, outSpec.name(), global, perModel, used);
        DType outDtype = outSpec.forceDtype() != null ? outSpec.forceDtype()
                : config.outDtype() != null ? config.outDtype()
                : config.dtype() != null ? config.dtype()
                : inputs.get(baseIndex >= 0 ? baseIndex : 0).info().dtype();
        out.add(new PlannedTensor(outSpec.name(), shape, outDtype, config.dtype(), method, List.copyOf(inputs),
                baseIndex, global.params(), perModelParams, outSpec.isEmbed()));
    }

    /** A value the method cannot use, named where the config set it (else where the model or method is named). */
    private ConfigException invalid(MergeMethod.Invalid bad, String tensor, ParameterResolver.Resolved global,
                                    List<ParameterResolver.Resolved> perModel, List<Planner.Source> used) {
        String name = bad.parameter().name();
        SourcePos at;
        String whose = "";
        if (bad.input() >= 0) {
            Planner.Source src = used.get(bad.input());
            at = perModel.get(bad.input()).setAt().getOrDefault(name, src.pos());
            whose = " of model '" + src.model().label() + "'";
        } else {
            at = global.setAt().getOrDefault(name, config.mergeMethodPos());
        }
        return new ConfigException(at + ": merge_method '" + method.name() + "': parameter '" + name + "'" + whose
                + " for tensor '" + tensor + "': " + bad.why());
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
        diagnostics.add(new Diagnostic.VocabCut(spec.name(), rows, cols, sizes.toString()));
        return Shape.of(rows, cols);
    }
}
