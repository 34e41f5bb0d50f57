package dev.jmerge.config;

import dev.jmerge.error.ConfigException;
import dev.jmerge.tensor.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.Node;

/** Binds a mergekit-moe document to a {@link MoeConfig}, with mergekit's defaults (compat §5.3). */
final class MoeConfigBinder {

    private static final Set<String> TOP_KEYS = Set.of("base_model", "experts", "gate_mode", "dtype",
            "experts_per_token", "shared_experts", "architecture");
    private static final Set<String> EXPERT_KEYS = Set.of("source_model", "positive_prompts", "negative_prompts",
            "noise_scale", "residual_scale");
    private static final String PROMPTS = "a list of strings";

    private final YamlNodes y;
    private final ConfigBinder references;

    MoeConfigBinder(YamlNodes nodes) {
        this.y = nodes;
        this.references = new ConfigBinder(nodes);
    }

    MoeConfig bind(Node root, String yamlText) {
        YamlNodes.Fields top = y.mapping(root, "config", "a mapping of MoE settings");
        y.warnUnknown(top, TOP_KEYS, " in a mergekit-moe config");
        Node baseNode = references.required(top, "base_model");
        ModelReference base = references.reference(baseNode, "base_model");

        String architecture = top.has("architecture") ? y.string(top.get("architecture"), "architecture") : null;
        MoeConfig.GateMode mode = MoeConfig.GateMode.HIDDEN;
        if (top.has("gate_mode")) {
            String m = y.string(top.get("gate_mode"), "gate_mode");
            mode = MoeConfig.GateMode.of(m).orElseThrow(() -> y.error(top.get("gate_mode"), "gate_mode",
                    "must be one of " + MoeConfig.GateMode.names() + ", got \"" + m + "\""));
        }
        DType dtype = null;
        if (top.has("dtype")) {
            String s = y.string(top.get("dtype"), "dtype");
            dtype = DType.fromConfigName(s).filter(DType::isFloating)
                    .orElseThrow(() -> y.expected(top.get("dtype"), "dtype", "one of bfloat16, float16, float32"));
        }
        int perToken = 2;
        if (top.has("experts_per_token")) {
            long n = y.integer(top.get("experts_per_token"), "experts_per_token", "an integer");
            if (n > Integer.MAX_VALUE || n < Integer.MIN_VALUE) {
                throw y.expected(top.get("experts_per_token"), "experts_per_token", "an integer of a sensible size");
            }
            perToken = (int) n;
        }
        Node expertsNode = references.required(top, "experts");
        List<MoeConfig.Expert> experts = experts(expertsNode, "experts");
        List<MoeConfig.Expert> shared = top.has("shared_experts") ? experts(top.get("shared_experts"), "shared_experts")
                : null;
        return new MoeConfig(base, y.pos(baseNode), architecture, pos(top, "architecture"), mode,
                pos(top, "gate_mode"), dtype, perToken, pos(top, "experts_per_token"), experts, y.pos(expertsNode),
                shared, pos(top, "shared_experts"), yamlText, y.file());
    }

    private SourcePos pos(YamlNodes.Fields f, String key) {
        Node n = f.get(key);
        return n == null ? y.pos(f.node()) : y.pos(n);
    }

    private List<MoeConfig.Expert> experts(Node n, String key) {
        List<Node> items = y.list(n, key, "a list of {source_model, positive_prompts, ...} entries");
        List<MoeConfig.Expert> out = new ArrayList<>(items.size());
        for (Node item : items) {
            YamlNodes.Fields f = y.mapping(item, key, "a list of {source_model, positive_prompts, ...} entries");
            y.warnUnknown(f, EXPERT_KEYS, " in an entry of '" + key + "'");
            Node source = references.required(f, "source_model");
            out.add(new MoeConfig.Expert(references.reference(source, "source_model"), y.pos(item), y.pos(source),
                    prompts(f, "positive_prompts"), prompts(f, "negative_prompts"), scale(f, "noise_scale"),
                    scale(f, "residual_scale")));
        }
        return out;
    }

    /** pydantic's {@code Optional[List[str]]}: a list of strings (a bare string is refused), or null. */
    private List<String> prompts(YamlNodes.Fields f, String key) {
        if (!f.has(key)) return null;
        Node n = f.get(key);
        List<String> out = new ArrayList<>();
        for (Node item : y.list(n, key, PROMPTS)) {
            try {
                out.add(y.string(item, key));
            } catch (ConfigException e) {
                throw y.expected(item, key, "a string (each prompt of " + PROMPTS + ")");
            }
        }
        return out;
    }

    private Double scale(YamlNodes.Fields f, String key) {
        if (!f.has(key)) return null;
        double v = y.number(f.get(key), key, "a number");
        if (!Double.isFinite(v)) throw y.expected(f.get(key), key, "a finite number");
        return v;
    }
}
