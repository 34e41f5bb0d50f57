package dev.jmerge.arch;

import dev.jmerge.tensor.DType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * Reads jmerge's own architecture definition format (one JSON object per file):
 * <pre>
 * { "id": "llama", "modelType": "llama", "architectures": ["LlamaForCausalLM"],
 *   "numLayersKey": "num_hidden_layers", "vocabSizeKey": "vocab_size",
 *   "pre":   [weight...], "layer": [weight...], "post": [weight...] }
 * </pre>
 * A weight is either its name as a string (required, not an embedding) or an object
 * {@code {"name", "embed", "optional", "aliases", "tiedTo", "dtype"}}. Layer names must mention
 * {@code ${layer_index}} (or ±1); pre and post names may use only {@code ${num_layers}} (±1).
 * Unknown keys are rejected so a typo cannot silently drop a flag.
 */
final class SpecReader {

    private static final Set<String> SPEC_KEYS =
            Set.of("id", "modelType", "architectures", "numLayersKey", "vocabSizeKey", "pre", "layer", "post");
    private static final Set<String> MODULAR_KEYS =
            Set.of("id", "modelType", "architectures", "vocabSizeKey", "tagalongFiles", "modules");
    private static final Set<String> MODULE_KEYS =
            Set.of("name", "weightPrefix", "numLayersKey", "fixedNumLayers", "pre", "layer", "post");
    private static final Set<String> WEIGHT_KEYS = Set.of("name", "embed", "optional", "aliases", "tiedTo", "dtype");

    private SpecReader() {}

    /** @throws IllegalArgumentException naming {@code source} and the offending key when the definition is malformed */
    static ArchitectureSpec read(String source, JsonNode root) {
        if (!root.isObject()) throw bad(source, "top level is not an object");
        checkKeys(source, root, SPEC_KEYS, "definition");
        List<String> architectures = strings(source, root, "architectures", true);
        if (architectures.isEmpty()) throw bad(source, "'architectures' is empty");
        List<WeightSpec> pre = weights(source, root, "pre", false);
        List<WeightSpec> layer = weights(source, root, "layer", true);
        List<WeightSpec> post = weights(source, root, "post", false);
        Set<String> seen = new HashSet<>();
        for (List<WeightSpec> section : List.of(pre, layer, post)) {
            for (WeightSpec w : section) {
                if (!seen.add(w.name())) throw bad(source, "weight '" + w.name() + "' is listed twice");
            }
        }
        String vocabKey = root.has("vocabSizeKey") ? text(source, root, "vocabSizeKey") : "vocab_size";
        return new ArchitectureSpec(text(source, root, "id"), text(source, root, "modelType"), architectures,
                pre, layer, post, text(source, root, "numLayersKey"), vocabKey, null, false);
    }

    /**
     * A multi-module definition: the top-level keys above minus the weights, plus {@code tagalongFiles} and
     * {@code modules}, a list of {@code {"name", "weightPrefix", "numLayersKey" | "fixedNumLayers",
     * "pre", "layer", "post"}} (a projector without repeated layers has {@code "fixedNumLayers": 0}).
     */
    static ModularArchitectureSpec readModular(String source, JsonNode root) {
        if (!root.isObject()) throw bad(source, "top level is not an object");
        checkKeys(source, root, MODULAR_KEYS, "definition");
        String id = text(source, root, "id");
        String modelType = text(source, root, "modelType");
        List<String> architectures = strings(source, root, "architectures", true);
        if (architectures.isEmpty()) throw bad(source, "'architectures' is empty");
        String vocabKey = root.has("vocabSizeKey") ? text(source, root, "vocabSizeKey") : "vocab_size";
        JsonNode array = root.get("modules");
        if (array == null || !array.isArray() || array.isEmpty()) throw bad(source, "'modules' must be a non-empty array");
        List<ModuleSpec> modules = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (JsonNode m : array.values()) {
            if (!m.isObject()) throw bad(source, "a module must be an object, found " + m);
            checkKeys(source, m, MODULE_KEYS, "module " + m.path("name"));
            String name = text(source, m, "name");
            String where = source + " module '" + name + "'";
            JsonNode p = m.get("weightPrefix");
            if (p != null && !p.isString()) throw bad(where, "'weightPrefix' must be a string");
            String prefix = p == null ? "" : p.stringValue();
            List<WeightSpec> pre = weights(where, m, "pre", false);
            List<WeightSpec> layer = weights(where, m, "layer", true);
            List<WeightSpec> post = weights(where, m, "post", false);
            for (List<WeightSpec> section : List.of(pre, layer, post)) {
                for (WeightSpec w : section) {
                    if (!seen.add(prefix + w.name())) throw bad(where, "weight '" + prefix + w.name() + "' is listed twice");
                }
            }
            String layersKey = m.has("numLayersKey") ? text(where, m, "numLayersKey") : null;
            Integer fixed = null;
            if (m.has("fixedNumLayers")) {
                JsonNode f = m.get("fixedNumLayers");
                if (!f.isIntegralNumber() || f.intValue() < 0) throw bad(where, "'fixedNumLayers' must be an integer ≥ 0");
                fixed = f.intValue();
            }
            if ((layersKey == null) == (fixed == null)) {
                throw bad(where, "needs exactly one of 'numLayersKey' and 'fixedNumLayers'");
            }
            ArchitectureSpec body = new ArchitectureSpec(id + "." + name, modelType, List.of(), pre, layer, post,
                    layersKey, vocabKey, fixed, false);
            modules.add(new ModuleSpec(name, prefix, body));
        }
        return new ModularArchitectureSpec(id, modelType, architectures, modules,
                strings(source, root, "tagalongFiles", false), vocabKey);
    }

    private static List<WeightSpec> weights(String source, JsonNode root, String section, boolean layer) {
        JsonNode array = root.get(section);
        if (array == null || !array.isArray()) throw bad(source, "'" + section + "' must be an array");
        List<WeightSpec> out = new ArrayList<>();
        for (JsonNode item : array.values()) {
            WeightSpec w = weight(source, item);
            String where = section + " weight '" + w.name() + "'";
            for (String name : allNames(w)) {
                try {
                    NameTemplate.validate(name, layer);
                } catch (IllegalArgumentException e) {
                    throw bad(source, where + ": " + e.getMessage());
                }
            }
            if (layer && !NameTemplate.mentionsLayer(w.name())) {
                throw bad(source, where + " does not mention ${layer_index}");
            }
            out.add(w);
        }
        return out;
    }

    private static WeightSpec weight(String source, JsonNode item) {
        if (item.isString()) return WeightSpec.plain(item.stringValue());
        if (!item.isObject()) throw bad(source, "a weight must be a name or an object, found " + item);
        checkKeys(source, item, WEIGHT_KEYS, "weight " + item.path("name"));
        String name = text(source, item, "name");
        DType dtype = null;
        if (item.has("dtype")) {
            String d = text(source, item, "dtype");
            dtype = DType.fromConfigName(d).orElseThrow(() -> bad(source, "weight '" + name + "': unknown dtype '"
                    + d + "', expected one of " + DType.configNames()));
        }
        return new WeightSpec(name, flag(source, item, "embed"), flag(source, item, "optional"),
                strings(source, item, "aliases", false), strings(source, item, "tiedTo", false), dtype);
    }

    private static List<String> allNames(WeightSpec w) {
        List<String> names = new ArrayList<>();
        names.add(w.name());
        names.addAll(w.aliases());
        names.addAll(w.tiedNames());
        return names;
    }

    private static void checkKeys(String source, JsonNode node, Set<String> allowed, String what) {
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!allowed.contains(e.getKey())) {
                throw bad(source, what + ": unknown key '" + e.getKey() + "', expected one of " + allowed);
            }
        }
    }

    private static String text(String source, JsonNode node, String key) {
        JsonNode v = node.get(key);
        if (v == null || !v.isString() || v.stringValue().isBlank()) {
            throw bad(source, "'" + key + "' must be a non-empty string");
        }
        return v.stringValue();
    }

    private static boolean flag(String source, JsonNode node, String key) {
        JsonNode v = node.get(key);
        if (v == null) return false;
        if (!v.isBoolean()) throw bad(source, "'" + key + "' must be true or false, found " + v);
        return v.booleanValue();
    }

    private static List<String> strings(String source, JsonNode node, String key, boolean required) {
        JsonNode v = node.get(key);
        if (v == null && !required) return List.of();
        if (v == null || !v.isArray()) throw bad(source, "'" + key + "' must be an array of strings");
        List<String> out = new ArrayList<>();
        for (JsonNode s : v.values()) {
            if (!s.isString()) throw bad(source, "'" + key + "' must be an array of strings, found " + s);
            out.add(s.stringValue());
        }
        return out;
    }

    private static IllegalArgumentException bad(String source, String message) {
        return new IllegalArgumentException(source + ": " + message);
    }
}
