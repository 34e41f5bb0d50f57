package dev.jmerge.moe;

import dev.jmerge.arch.ArchitectureRegistry;
import dev.jmerge.arch.ArchitectureSpec;
import dev.jmerge.arch.WeightSpec;
import dev.jmerge.config.ModelReference;
import dev.jmerge.config.MoeConfig;
import dev.jmerge.config.SourcePos;
import dev.jmerge.error.ConfigException;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.io.TensorInfo;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.plan.LoadedModels;
import dev.jmerge.source.ModelLocator;
import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;

/**
 * Decides a MoE build (compat §5.3) from the config and the models' config.json files and weight headers: the
 * checks of {@link MoeRules}, the output architecture as mergekit-moe picks it, and every output tensor in the
 * order mergekit-moe writes them, each expert tensor checked for presence and shape.
 */
public final class MoePlanner {

    /**
     * @param allowIdenticalExperts {@code --i-understand-this-is-not-useful-without-training}
     * @param shardBytes            {@code --out-shard-size}
     */
    public record Options(boolean allowIdenticalExperts, long shardBytes) {}

    private static final List<String> MLP = List.of("gate_proj", "up_proj", "down_proj");

    private final MoeConfig c;
    private final LoadedModel base;
    private final List<LoadedModel> experts;
    private final LoadedModel shared;
    private final OutputArchitecture arch;
    private final int layers;
    private final int hidden;
    private final int intermediate;
    private final DType dtype;
    private final List<String> warnings = new ArrayList<>();
    private final Set<String> baseUsed = new LinkedHashSet<>();
    private final Map<LoadedModel, Set<String>> expertUsed = new LinkedHashMap<>();

    private MoePlanner(MoeConfig c, LoadedModel base, List<LoadedModel> experts, LoadedModel shared,
                       OutputArchitecture arch) {
        this.c = c;
        this.base = base;
        this.experts = experts;
        this.shared = shared;
        this.arch = arch;
        this.layers = positive(base, "num_hidden_layers");
        this.hidden = positive(base, "hidden_size");
        this.intermediate = positive(base, "intermediate_size");
        this.dtype = dtype(c, base);
    }

    /** Every check, no tensor data read; the caller closes the plan (its models). */
    public static MoePlan plan(MoeConfig c, ModelLocator locator, Options o) {
        MoeRules.check(c, o.allowIdenticalExperts());
        Map<ModelReference, LoadedModel> open = new LinkedHashMap<>();
        try {
            LoadedModel base = open(open, c.baseModel(), c.baseModelPos(), locator);
            List<LoadedModel> experts = new ArrayList<>();
            for (MoeConfig.Expert e : c.experts()) experts.add(open(open, e.sourceModel(), e.sourcePos(), locator));
            List<LoadedModel> shared = new ArrayList<>();
            for (MoeConfig.Expert e : c.shared()) shared.add(open(open, e.sourceModel(), e.sourcePos(), locator));
            OutputArchitecture.InputTypes types = new OutputArchitecture.InputTypes(modelType(base),
                    experts.stream().map(MoePlanner::modelType).toList(),
                    shared.stream().map(MoePlanner::modelType).toList());
            Map<OutputArchitecture, String> refusals = new LinkedHashMap<>();
            List<String> warnings = new ArrayList<>();
            OutputArchitecture arch = choose(c, types, refusals, warnings);
            MoePlanner p = new MoePlanner(c, base, experts, shared.isEmpty() ? null : shared.getFirst(), arch);
            p.warnings.addAll(warnings);
            List<MoeTensor> tensors = p.tensors();
            p.warnLeftOut(open.values());
            if (arch != OutputArchitecture.DEEPSEEK && Integer.bitCount(c.experts().size()) != 1) {
                p.warnings.add("the model has " + c.experts().size() + " experts, not a power of two: llama.cpp cannot"
                        + " run it");
            }
            ShardLayout shards = ShardLayout.of(tensors.stream().map(MoeTensor::spec).toList(), o.shardBytes());
            String configJson = MoeConfigJson.render(arch, base.config(), c.experts().size(), c.expertsPerToken(),
                    c.shared().size(), p.dtype);
            return new MoePlan(c, arch, refusals, List.copyOf(open.values()), base, gateExperts(c), p.layers,
                    p.hidden, p.dtype, tensors, shards, configJson, p.warnings);
        } catch (RuntimeException e) {
            open.values().forEach(LoadedModel::close);
            throw e;
        }
    }

    /** mergekit draws a gate row for the shared expert when it has prompts or the gates are random. */
    static List<MoeConfig.Expert> gateExperts(MoeConfig c) {
        List<MoeConfig.Expert> rows = new ArrayList<>(c.experts());
        boolean sharedPrompts = c.shared().stream().anyMatch(MoeConfig.Expert::hasPositivePrompts);
        if (sharedPrompts || c.gateMode().isRandom()) rows.addAll(c.shared());
        return rows;
    }

    private static LoadedModel open(Map<ModelReference, LoadedModel> open, ModelReference ref, SourcePos pos,
                                    ModelLocator locator) {
        LoadedModel m = open.get(ref);
        if (m == null) {
            m = LoadedModels.open(ref, pos, locator);
            open.put(ref, m);
        }
        return m;
    }

    private static String modelType(LoadedModel m) {
        String t = m.config().path("model_type").asString("");
        if (t.isEmpty()) {
            throw new ConfigException(m.folder().resolve("config.json") + ": no 'model_type' (model '" + m.label()
                    + "'); expected llama, mistral, qwen2 or qwen3");
        }
        return t;
    }

    /** mergekit's choice: the named (else every) architecture that takes the config, Mixtral first. */
    static OutputArchitecture choose(MoeConfig c, OutputArchitecture.InputTypes types,
                                     Map<OutputArchitecture, String> refusals, List<String> warnings) {
        List<OutputArchitecture> named = OutputArchitecture.matching(c.architecture());
        if (named.isEmpty()) {
            throw new ConfigException(c.architecturePos() + ": 'architecture' \"" + c.architecture() + "\" names no"
                    + " output architecture; expected the start of one of " + labels(List.of(OutputArchitecture.values())));
        }
        List<OutputArchitecture> fit = new ArrayList<>();
        for (OutputArchitecture a : named) {
            String why = a.refusal(c, types);
            if (why == null) fit.add(a);
            else refusals.put(a, why);
        }
        if (fit.isEmpty()) {
            List<String> reasons = new ArrayList<>();
            refusals.forEach((a, why) -> reasons.add(a.label() + ": " + why));
            SourcePos at = c.architecture() != null ? c.architecturePos() : c.baseModelPos();
            throw new ConfigException(at + ": no MoE architecture" + (c.architecture() != null ? " named '"
                    + c.architecture() + "'" : "") + " can be built from these models (" + String.join("; ", reasons) + ")");
        }
        OutputArchitecture chosen = fit.contains(OutputArchitecture.MIXTRAL) ? OutputArchitecture.MIXTRAL : fit.getFirst();
        for (OutputArchitecture a : fit) if (a != chosen) refusals.put(a, "it fits too; " + chosen.label() + " comes first");
        if (chosen != OutputArchitecture.MIXTRAL && fit.size() > 1) {
            warnings.add("several output architectures fit (" + labels(fit) + "); writing " + chosen.label()
                    + ", as mergekit does (set 'architecture:' to choose)");
        }
        return chosen;
    }

    private static String labels(List<OutputArchitecture> archs) {
        return String.join(", ", archs.stream().map(OutputArchitecture::label).toList());
    }

    /** The output tensors in mergekit-moe's order. */
    private List<MoeTensor> tensors() {
        ArchitectureSpec spec = ArchitectureRegistry.builtIn().byId(switch (arch) {
            case MIXTRAL -> "mistral";
            case DEEPSEEK -> modelType(base);
            case QWEN2_MOE -> "qwen2";
            case QWEN3_MOE -> "qwen3";
        }).orElseThrow();
        List<WeightSpec> weights = new ArrayList<>(spec.preWeights(layers));
        for (int l = 0; l < layers; l++) weights.addAll(spec.layerWeights(l, layers));
        weights.addAll(spec.postWeights(layers));
        List<MoeTensor> out = new ArrayList<>();
        for (WeightSpec w : weights) {
            if (!w.name().contains(".mlp.")) {
                baseTensor(w, out);
            } else if (!arch.fused()) {
                for (int e = 0; e < experts.size(); e++) {
                    String name = w.name().replace(".mlp.", ".mlp.experts." + e + ".");
                    out.add(expertTensor(name, w, e, name));
                }
                if (shared != null) {
                    String name = w.name().replace(".mlp.", arch == OutputArchitecture.DEEPSEEK ? ".mlp.shared_experts."
                            : ".mlp.shared_expert.");
                    out.add(expertTensor(name, w, -1, w.name().replace(".mlp.", ".mlp.shared_expert.")));
                }
            }
        }
        if (arch.fused()) {
            for (int l = 0; l < layers; l++) out.addAll(fused(l));
        }
        int routed = c.experts().size();
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".mlp.";
            out.add(new MoeTensor(p + "gate.weight", dtype, Shape.of(routed, hidden), new MoeTensor.Gate(l, 0, routed)));
            if (arch == OutputArchitecture.QWEN2_MOE) {
                out.add(new MoeTensor(p + "shared_expert_gate.weight", dtype, Shape.of(1, hidden),
                        new MoeTensor.Gate(l, routed, 1)));
            }
        }
        return out;
    }

    /** A tensor of the base model copied as it is; Qwen2-MoE's missing q/k/v biases are zeros. */
    private void baseTensor(WeightSpec w, List<MoeTensor> out) {
        String stored = find(base, w);
        if (stored != null) {
            TensorInfo info = base.info(stored);
            checkFloating(base, stored, "the base model");
            baseUsed.add(stored);
            out.add(new MoeTensor(w.name(), dtype, info.shape(), new MoeTensor.Pieces(List.of(new MoeTensor.Piece(base,
                    stored, 0, info.numel(), info.dtype(), null, null, w.name())))));
            return;
        }
        if (arch == OutputArchitecture.QWEN2_MOE && w.name().endsWith("_proj.bias")) {
            // sized from the projection it biases (mergekit takes hidden / heads, wrong when head_dim is set)
            String weight = w.name().substring(0, w.name().length() - ".bias".length()) + ".weight";
            if (!base.weights().has(weight)) {
                throw new ConfigException("base model '" + base.label() + "' has no tensor '" + weight + "'; expected"
                        + " a " + modelType(base) + " checkpoint");
            }
            out.add(new MoeTensor(w.name(), dtype, Shape.of(base.info(weight).shape().dim(0)), new MoeTensor.Zeros()));
            return;
        }
        if (w.optional()) return;
        throw new ConfigException("base model '" + base.label() + "' has no tensor '" + w.name() + "'; the "
                + arch.label() + " output takes its attention, norms and embeddings from the base model");
    }

    /** One expert's (or with {@code e} -1, the shared expert's) copy of an MLP tensor. */
    private MoeTensor expertTensor(String name, WeightSpec w, int e, String stream) {
        MoeTensor.Piece p = piece(w, e, 0, stream);
        return new MoeTensor(name, dtype, expectedShape(w.name(), p), new MoeTensor.Pieces(List.of(p)));
    }

    /** Layer {@code l}'s stacked experts: {@code gate_up_proj [E, 2I, H]} and {@code down_proj [E, H, I]}. */
    private List<MoeTensor> fused(int l) {
        String p = "model.layers." + l + ".mlp.";
        long block = (long) intermediate * hidden;
        List<MoeTensor.Piece> gateUp = new ArrayList<>(), down = new ArrayList<>();
        for (int e = 0; e < experts.size(); e++) {
            String stream = p + "experts." + e + ".";
            gateUp.add(piece(WeightSpec.plain(p + "gate_proj.weight"), e, 2 * e * block, stream + "gate_proj.weight"));
            gateUp.add(piece(WeightSpec.plain(p + "up_proj.weight"), e, (2L * e + 1) * block, stream + "up_proj.weight"));
            down.add(piece(WeightSpec.plain(p + "down_proj.weight"), e, e * block, stream + "down_proj.weight"));
        }
        long n = experts.size();
        return List.of(
                new MoeTensor(p + "experts.gate_up_proj", dtype, Shape.of(n, 2L * intermediate, hidden),
                        new MoeTensor.Pieces(gateUp)),
                new MoeTensor(p + "experts.down_proj", dtype, Shape.of(n, hidden, intermediate),
                        new MoeTensor.Pieces(down)));
    }

    private MoeTensor.Piece piece(WeightSpec w, int e, long offset, String stream) {
        MoeConfig.Expert def = e >= 0 ? c.experts().get(e) : c.shared().getFirst();
        LoadedModel m = e >= 0 ? experts.get(e) : shared;
        String who = (e >= 0 ? "expert " + e : "shared expert") + " ('" + def.sourceModel() + "', " + def.pos() + ")";
        String stored = find(m, w);
        if (stored == null) {
            throw new ConfigException(who + ": model has no tensor '" + w.name() + "'; each expert needs its MLP"
                    + " weights for every one of the base model's " + layers + " layers");
        }
        checkFloating(m, stored, who);
        TensorInfo info = m.info(stored);
        Shape expected = expectedShape(w.name(), null);
        if (expected != null && !info.shape().equals(expected)) {
            throw new ConfigException(who + ": tensor '" + stored + "' is " + info.shape()
                    + ", expected " + expected + " (intermediate_size " + intermediate
                    + " and hidden_size " + hidden + " of the base model '" + base.label() + "')");
        }
        expertUsed.computeIfAbsent(m, k -> new LinkedHashSet<>()).add(stored);
        Double scale = w.name().contains("down_proj") ? def.residualScale() : null;
        return new MoeTensor.Piece(m, stored, offset, info.numel(), info.dtype(), def.noiseScale(), scale, stream);
    }

    /** The shape an expert's MLP tensor must have: from the base's sizes, or the piece's own for other tensors. */
    private Shape expectedShape(String name, MoeTensor.Piece p) {
        for (String proj : MLP) {
            if (name.endsWith(".mlp." + proj + ".weight")) {
                return proj.equals("down_proj") ? Shape.of(hidden, intermediate) : Shape.of(intermediate, hidden);
            }
        }
        return p == null ? null : p.model().info(p.tensor()).shape();
    }

    /** The name a model stores a weight under (its own or an alias; a tied stand-in only for required ones). */
    private static String find(LoadedModel m, WeightSpec w) {
        Set<String> names = m.weights().names();
        if (w.presentIn(names)) return w.resolve(names).orElseThrow();
        if (w.optional()) return null;
        return w.resolve(names).orElse(null);
    }

    private static void checkFloating(LoadedModel m, String tensor, String who) {
        DType t = m.info(tensor).dtype();
        if (!t.isFloating()) {
            throw new ConfigException(who + ": tensor '" + tensor + "' is " + t.torchName() + "; expected a"
                    + " floating-point type");
        }
    }

    /** Tensors that no output tensor takes (attention biases Mixtral has no place for, MLP biases) are named. */
    private void warnLeftOut(java.util.Collection<LoadedModel> models) {
        TreeSet<String> left = new TreeSet<>();
        for (String n : base.weights().names()) {
            if (!n.contains(".mlp.") && !baseUsed.contains(n) && !n.endsWith("rotary_emb.inv_freq")) left.add(n);
        }
        if (!left.isEmpty()) {
            warnings.add(left.size() + " tensor" + (left.size() == 1 ? "" : "s") + " of the base model '" + base.label()
                    + "' ha" + (left.size() == 1 ? "s" : "ve") + " no place in the " + arch.label() + " layout and"
                    + " " + (left.size() == 1 ? "is" : "are") + " left out: " + sample(left));
        }
        for (LoadedModel m : models) {
            Set<String> used = expertUsed.get(m);
            if (used == null) continue;
            TreeSet<String> mlp = new TreeSet<>();
            for (String n : m.weights().names()) {
                if (n.contains(".mlp.") && !used.contains(n) && layerOf(n) < layers) mlp.add(n);
            }
            if (!mlp.isEmpty()) {
                warnings.add("expert model '" + m.label() + "' has MLP tensors the " + arch.label() + " layout has no"
                        + " place for, left out: " + sample(mlp));
            }
        }
    }

    private static int layerOf(String name) {
        java.util.regex.Matcher x = java.util.regex.Pattern.compile("\\.layers\\.(\\d+)\\.").matcher(name);
        return x.find() ? Integer.parseInt(x.group(1)) : -1;
    }

    private static String sample(TreeSet<String> names) {
        List<String> first = names.stream().limit(3).toList();
        return String.join(", ", first) + (names.size() > 3 ? ", …" : "");
    }

    private static int positive(LoadedModel m, String key) {
        JsonNode n = m.config().get(key);
        if (n == null || !n.isIntegralNumber() || n.asInt() <= 0) {
            throw new ConfigException(m.folder().resolve("config.json") + ": '" + key + "' is "
                    + (n == null ? "missing" : n.toString()) + "; expected a positive integer (base model '"
                    + m.label() + "')");
        }
        return n.asInt();
    }

    /** The config's dtype, else the base config's {@code torch_dtype} (or v5 {@code dtype}), else its embedding's. */
    static DType dtype(MoeConfig c, LoadedModel base) {
        if (c.dtype() != null) return c.dtype();
        for (String key : List.of("torch_dtype", "dtype")) {
            JsonNode n = base.config().get(key);
            if (n != null && n.isString()) {
                var d = DType.fromConfigName(n.asString().replace("torch.", "")).filter(DType::isFloating);
                if (d.isPresent()) return d.get();
            }
        }
        String embed = "model.embed_tokens.weight";
        return base.weights().has(embed) ? base.info(embed).dtype() : DType.F32;
    }
}
