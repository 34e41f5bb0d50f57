package dev.jmerge.config;

import dev.jmerge.error.ConfigException;
import dev.jmerge.tensor.DType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/** Binds one YAML document's node tree to a {@link MergeConfig}, checking shapes and types (compat §1, §6). */
final class ConfigBinder {

    private static final Set<String> TOP_KEYS = Set.of("merge_method", "models", "slices", "modules", "base_model",
            "parameters", "dtype", "out_dtype", "tokenizer_source", "tokenizer", "chat_template", "name");
    private static final String PARAMETER_FORMS =
            "a number, a list of numbers (gradient) or a list of {filter, value} conditions";
    private static final String REFERENCE_FORMS = "a model path or {model: {path, revision}, lora, override_architecture}";

    private final YamlNodes y;
    private final TokenizerBinder tokenizers;

    ConfigBinder(YamlNodes nodes) {
        this.y = nodes;
        this.tokenizers = new TokenizerBinder(nodes, this);
    }

    MergeConfig bind(Node root, String yamlText) {
        YamlNodes.Fields top = y.mapping(root, "config", "a mapping of merge settings");
        if (isMoe(top)) {
            throw new ConfigException(y.pos(root) + ": this document is a mergekit-moe config (it has 'experts:');"
                    + " a MoE model is built from a config file of its own, with 'jmerge moe CONFIG OUT'");
        }
        y.warnUnknown(top, TOP_KEYS, "");

        Node methodNode = top.get("merge_method");
        if (methodNode == null || YamlNodes.isNull(methodNode)) {
            throw new ConfigException(y.pos(root) + ": 'merge_method' is required");
        }
        String method = y.string(methodNode, "merge_method");

        Inputs inputs = inputs(top, "config", root);

        ModelReference base = null;
        SourcePos basePos = null;
        if (top.has("base_model")) {
            base = reference(top.get("base_model"), "base_model");
            basePos = y.pos(top.get("base_model"));
        }
        DType dtype = top.has("dtype") ? dtype(top.get("dtype"), "dtype") : null;
        DType outDtype = top.has("out_dtype") ? dtype(top.get("out_dtype"), "out_dtype") : null;

        if (top.has("tokenizer") && top.has("tokenizer_source")) {
            throw new ConfigException(y.pos(top.get("tokenizer_source"))
                    + ": 'tokenizer_source' and 'tokenizer' cannot both be given; use 'tokenizer: {source: ...}'");
        }
        TokenizerConfig tokenizer = null;
        if (top.has("tokenizer")) tokenizer = tokenizers.modern(top.get("tokenizer"));
        if (top.has("tokenizer_source")) tokenizer = tokenizers.legacy(top.get("tokenizer_source"));

        String chatTemplate = top.has("chat_template") ? chatTemplate(top.get("chat_template")) : null;
        String name = top.has("name") ? y.string(top.get("name"), "name") : null;

        return new MergeConfig(method, y.pos(methodNode), inputs.models(), inputs.slices(), inputs.modules(), base,
                basePos, parameters(top.get("parameters"), "parameters"), dtype, outDtype, tokenizer, chatTemplate,
                name, yamlText, y.file(), y.diagnostics());
    }

    /** mergekit-moe's shape (compat §5.3): experts and no merge method. */
    static boolean isMoe(YamlNodes.Fields top) {
        return top.has("experts") && !top.has("merge_method");
    }

    private String chatTemplate(Node n) {
        String t = y.string(n, "chat_template");
        if (t.equals("auto") || MergeConfig.CHAT_TEMPLATE_NAMES.contains(t)) return t;
        if (t.length() < 20 || !t.contains("{")) {
            throw new ConfigException(y.pos(n) + ": 'chat_template' is neither \"auto\", a built-in name "
                    + MergeConfig.CHAT_TEMPLATE_NAMES + " nor a Jinja template (a template has at least 20 characters and a"
                    + " '{'): '" + t + "'");
        }
        return t;
    }

    private record Inputs(List<InputModel> models, List<OutputSlice> slices, Map<String, ModuleConfig> modules) {}

    /** Exactly one of models / slices (/ modules at the top level); {@code owner} names the mapping for errors. */
    private Inputs inputs(YamlNodes.Fields f, String owner, Node at) {
        boolean top = owner.equals("config");
        List<String> given = new ArrayList<>();
        for (String k : top ? List.of("models", "slices", "modules") : List.of("models", "slices")) {
            if (f.has(k)) given.add("'" + k + "'");
        }
        String choices = top ? "'models', 'slices' or 'modules'" : "'models' or 'slices'";
        if (given.size() != 1) {
            String what = given.isEmpty() ? "none was given" : String.join(" and ", given) + " were given";
            throw new ConfigException(y.pos(at) + ": '" + owner + "' needs exactly one of " + choices + ", but "
                    + what);
        }
        List<InputModel> models = f.has("models") ? models(f.get("models")) : null;
        List<OutputSlice> slices = f.has("slices") ? slices(f.get("slices")) : null;
        Map<String, ModuleConfig> modules = top && f.has("modules") ? modules(f.get("modules")) : null;
        return new Inputs(models, slices, modules);
    }

    private List<InputModel> models(Node n) {
        List<Node> items = nonEmptyList(n, "models", "a list of {model, parameters} entries");
        List<InputModel> out = new ArrayList<>(items.size());
        for (Node item : items) {
            YamlNodes.Fields f = y.mapping(item, "models", "a list of {model, parameters} entries");
            y.warnUnknown(f, Set.of("model", "parameters"), " in a 'models' entry");
            out.add(new InputModel(reference(required(f, "model"), "model"),
                    parameters(f.get("parameters"), "parameters"), y.pos(item)));
        }
        return List.copyOf(out);
    }

    private List<OutputSlice> slices(Node n) {
        List<Node> items = nonEmptyList(n, "slices", "a list of {sources, parameters} entries");
        List<OutputSlice> out = new ArrayList<>(items.size());
        for (Node item : items) {
            YamlNodes.Fields f = y.mapping(item, "slices", "a list of {sources, parameters} entries");
            y.warnUnknown(f, Set.of("sources", "base_model", "parameters", "residual_weight"), " in a slice");
            if (f.has("residual_weight")) {
                // mergekit accepts it and never reads it; only its type is checked
                y.number(f.get("residual_weight"), "residual_weight", "a number");
            }
            List<SliceSource> sources = sources(required(f, "sources"));
            checkEqualLengths(item, sources);
            ModelReference base = f.has("base_model") ? reference(f.get("base_model"), "base_model") : null;
            out.add(new OutputSlice(sources, base, parameters(f.get("parameters"), "parameters"), y.pos(item)));
        }
        return List.copyOf(out);
    }

    private List<SliceSource> sources(Node n) {
        List<Node> items = nonEmptyList(n, "sources", "a non-empty list of {model, layer_range} entries");
        List<SliceSource> out = new ArrayList<>(items.size());
        for (Node item : items) {
            YamlNodes.Fields f = y.mapping(item, "sources", "a list of {model, layer_range} entries");
            y.warnUnknown(f, Set.of("model", "layer_range", "parameters"), " in a slice source");
            out.add(new SliceSource(reference(required(f, "model"), "model"), layerRange(required(f, "layer_range")),
                    parameters(f.get("parameters"), "parameters"), y.pos(item)));
        }
        return List.copyOf(out);
    }

    private LayerRange layerRange(Node n) {
        String what = "a list of two integers [start, end]";
        if (!(n instanceof SequenceNode seq) || seq.getValue().size() != 2) throw y.expected(n, "layer_range", what);
        long start = y.integer(seq.getValue().get(0), "layer_range", what);
        long end = y.integer(seq.getValue().get(1), "layer_range", what);
        if (start < 0 || start >= end || end > Integer.MAX_VALUE) {
            throw y.error(n, "layer_range", "must satisfy 0 <= start < end, got [" + start + ", " + end + "]");
        }
        return new LayerRange((int) start, (int) end, y.pos(n));
    }

    private void checkEqualLengths(Node slice, List<SliceSource> sources) {
        int first = sources.getFirst().layerRange().length();
        if (sources.stream().allMatch(s -> s.layerRange().length() == first)) return;
        List<String> lengths = sources.stream()
                .map(s -> s.layerRange().length() + " (line " + s.layerRange().pos().line() + ")").toList();
        throw new ConfigException(y.pos(slice) + ": 'sources' of one slice must all span the same number of layers,"
                + " got " + String.join(", ", lengths));
    }

    private Map<String, ModuleConfig> modules(Node n) {
        YamlNodes.Fields f = y.mapping(n, "modules", "a mapping of module name to {models | slices, parameters}");
        if (f.byKey().isEmpty()) throw y.expected(n, "modules", "a non-empty mapping of module name to settings");
        Map<String, ModuleConfig> out = new LinkedHashMap<>();
        for (YamlNodes.Field field : f.byKey().values()) {
            String owner = "modules." + field.key();
            YamlNodes.Fields m = y.mapping(field.value(), owner, "a mapping with 'models' or 'slices'");
            y.warnUnknown(m, Set.of("models", "slices", "parameters"), " in module '" + field.key() + "'");
            Inputs inputs = inputs(m, owner, field.value());
            out.put(field.key(), new ModuleConfig(field.key(), inputs.models(), inputs.slices(),
                    parameters(m.get("parameters"), "parameters"), y.pos(field.keyNode())));
        }
        return Collections.unmodifiableMap(out);
    }

    private DType dtype(Node n, String key) {
        String s = y.string(n, key);
        return DType.fromConfigName(s)
                .orElseThrow(() -> y.expected(n, key, "one of " + DType.configNames()));
    }

    // ---- parameters (compat §1.6)

    Parameters parameters(Node n, String key) {
        if (n == null || YamlNodes.isNull(n)) return Parameters.NONE;
        YamlNodes.Fields f = y.mapping(n, key, "a mapping of parameter name to value");
        Map<String, Parameters.Setting> values = new LinkedHashMap<>();
        for (YamlNodes.Field field : f.byKey().values()) {
            String name = key + "." + field.key();
            values.put(field.key(), new Parameters.Setting(parameterValue(field.value(), name), y.pos(field.value())));
        }
        return new Parameters(values, y.pos(n));
    }

    private ParameterValue parameterValue(Node n, String key) {
        return switch (n) {
            case ScalarNode s -> new ParameterValue.Scalar(y.number(s, key, PARAMETER_FORMS));
            case MappingNode m -> new ParameterValue.Conditions(List.of(condition(m, key)));
            case SequenceNode seq -> {
                List<Node> items = seq.getValue();
                if (items.isEmpty()) throw y.expected(n, key, PARAMETER_FORMS + " (not an empty list)");
                if (items.stream().allMatch(i -> i instanceof ScalarNode)) yield gradient(items, key);
                if (items.stream().allMatch(i -> i instanceof MappingNode)) {
                    yield new ParameterValue.Conditions(items.stream().map(i -> condition(i, key)).toList());
                }
                throw y.error(n, key, "mixes numbers and conditions; use a list of numbers (gradient) or a list of"
                        + " {filter, value} conditions");
            }
            default -> throw y.expected(n, key, PARAMETER_FORMS);
        };
    }

    private ParameterValue.Condition condition(Node n, String key) {
        YamlNodes.Fields f = y.mapping(n, key, "a {filter, value} condition");
        y.warnUnknown(f, Set.of("filter", "value"), " in a condition of '" + key + "'");
        String filter = f.has("filter") ? y.string(f.get("filter"), key + ".filter") : null;
        Node v = f.get("value");
        if (v == null) throw new ConfigException(y.pos(n) + ": '" + key + "' condition needs a 'value'");
        String what = "a number or a list of numbers (gradient)";
        ParameterValue value = switch (v) {
            case ScalarNode s -> new ParameterValue.Scalar(y.number(s, key + ".value", what));
            case SequenceNode seq when !seq.getValue().isEmpty() -> gradient(seq.getValue(), key + ".value");
            default -> throw y.expected(v, key + ".value", what);
        };
        return new ParameterValue.Condition(filter, value);
    }

    private ParameterValue.Gradient gradient(List<Node> items, String key) {
        List<Double> points = new ArrayList<>(items.size());
        for (Node i : items) points.add(y.number(i, key, "a list of numbers (gradient)"));
        return new ParameterValue.Gradient(List.copyOf(points));
    }

    // ---- model references (compat §1.2)

    ModelReference reference(Node n, String key) {
        if (n instanceof ScalarNode s && YamlNodes.kindOf(s) == Yaml11Scalars.Kind.STR) {
            return ModelReferences.parse(s.getValue(), y.pos(n), key);
        }
        if (!(n instanceof MappingNode)) throw y.expected(n, key, REFERENCE_FORMS);
        YamlNodes.Fields f = y.mapping(n, key, REFERENCE_FORMS);
        y.warnUnknown(f, Set.of("model", "lora", "override_architecture"), " in model reference '" + key + "'");
        ModelPath model = modelPath(required(f, "model"), key + ".model");
        ModelPath lora = f.has("lora") ? modelPath(f.get("lora"), key + ".lora") : null;
        String arch = f.has("override_architecture")
                ? y.string(f.get("override_architecture"), key + ".override_architecture") : null;
        return new ModelReference(model, lora, arch);
    }

    private ModelPath modelPath(Node n, String key) {
        if (n instanceof ScalarNode) return ModelReferences.parsePath(y.string(n, key), y.pos(n), key);
        YamlNodes.Fields f = y.mapping(n, key, "a path string or {path, revision}");
        y.warnUnknown(f, Set.of("path", "revision"), " in '" + key + "'");
        String path = y.string(required(f, "path"), key + ".path");
        if (path.isEmpty()) throw y.error(f.get("path"), key + ".path", "must not be empty");
        String revision = f.has("revision") ? y.string(f.get("revision"), key + ".revision") : null;
        return new ModelPath(path, revision);
    }

    // ---- helpers

    Node required(YamlNodes.Fields f, String key) {
        Node n = f.get(key);
        if (n == null || YamlNodes.isNull(n)) {
            throw new ConfigException(y.pos(f.node()) + ": '" + key + "' is required in '" + f.key() + "'");
        }
        return n;
    }

    private List<Node> nonEmptyList(Node n, String key, String what) {
        List<Node> items = y.list(n, key, what);
        if (items.isEmpty()) throw y.expected(n, key, "a non-empty list");
        return items;
    }
}
