package dev.jmerge.config;

import dev.jmerge.error.ConfigException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/** The {@code tokenizer:} block and the legacy {@code tokenizer_source} key (compat §6). */
final class TokenizerBinder {

    private final YamlNodes y;
    private final ConfigBinder refs;

    TokenizerBinder(YamlNodes nodes, ConfigBinder refs) {
        this.y = nodes;
        this.refs = refs;
    }

    TokenizerConfig legacy(Node n) {
        Source s = source(n, "tokenizer_source");
        return new TokenizerConfig(s.name(), s.model(), Map.of(), null, true, y.pos(n));
    }

    TokenizerConfig modern(Node n) {
        YamlNodes.Fields f = y.mapping(n, "tokenizer", "a mapping {source, tokens, pad_to_multiple_of}");
        y.warnUnknown(f, Set.of("source", "tokens", "pad_to_multiple_of"), " in 'tokenizer'");
        Source s = f.has("source") ? source(f.get("source"), "tokenizer.source") : new Source("union", null);
        Map<String, TokenizerConfig.TokenSpec> tokens = f.has("tokens") ? tokens(f.get("tokens")) : Map.of();
        Integer pad = null;
        if (f.has("pad_to_multiple_of")) {
            Node p = f.get("pad_to_multiple_of");
            long v = y.integer(p, "tokenizer.pad_to_multiple_of", "a positive integer");
            if (v <= 0 || v > Integer.MAX_VALUE) throw y.expected(p, "tokenizer.pad_to_multiple_of", "a positive integer");
            pad = (int) v;
        }
        return new TokenizerConfig(s.name(), s.model(), tokens, pad, false, y.pos(n));
    }

    private record Source(String name, ModelReference model) {}

    private Source source(Node n, String key) {
        if (n instanceof ScalarNode s && YamlNodes.kindOf(s) == Yaml11Scalars.Kind.STR
                && (s.getValue().equals("base") || s.getValue().equals("union"))) {
            return new Source(s.getValue(), null);
        }
        if (!(n instanceof ScalarNode || n instanceof MappingNode)) {
            throw y.expected(n, key, "\"base\", \"union\" or a model reference");
        }
        // Older mergekit spelled a named tokenizer "model:<ref>"; published configs still carry it.
        if (n instanceof ScalarNode s && s.getValue().startsWith("model:") && s.getValue().length() > 6) {
            ModelReference ref = ModelReferences.parse(s.getValue().substring(6).strip(), y.pos(n), key);
            return new Source(ref.toString(), ref);
        }
        ModelReference ref = refs.reference(n, key);
        return new Source(ref.toString(), ref);
    }

    private Map<String, TokenizerConfig.TokenSpec> tokens(Node n) {
        YamlNodes.Fields f = y.mapping(n, "tokenizer.tokens", "a mapping of token string to {source, force}");
        Map<String, TokenizerConfig.TokenSpec> out = new LinkedHashMap<>();
        for (YamlNodes.Field field : f.byKey().values()) {
            out.put(field.key(), token(field.value(), "tokenizer.tokens." + field.key()));
        }
        return Collections.unmodifiableMap(out);
    }

    private TokenizerConfig.TokenSpec token(Node n, String key) {
        YamlNodes.Fields f = y.mapping(n, key, "a mapping {source, force}");
        y.warnUnknown(f, Set.of("source", "force"), " in '" + key + "'");
        boolean force = f.has("force") && y.bool(f.get("force"), key + ".force");
        if (!f.has("source")) return new TokenizerConfig.TokenSpec(null, null, null, null, force, y.pos(n));
        Node src = f.get("source");
        String srcKey = key + ".source";
        if (src instanceof MappingNode) {
            YamlNodes.Fields s = y.mapping(src, srcKey, "a model reference or {kind, ...}");
            if (s.get("kind") != null) return kinded(s, srcKey, force, n);
        }
        return new TokenizerConfig.TokenSpec("model", refs.reference(src, srcKey), null, null, force, y.pos(n));
    }

    private TokenizerConfig.TokenSpec kinded(YamlNodes.Fields s, String key, boolean force, Node at) {
        Node kindNode = s.get("kind");
        String kind = y.string(kindNode, key + ".kind");
        return switch (kind) {
            case "zero" -> {
                y.warnUnknown(s, Set.of("kind"), " in '" + key + "'");
                yield new TokenizerConfig.TokenSpec("zero", null, null, null, force, y.pos(at));
            }
            case "model_token" -> {
                y.warnUnknown(s, Set.of("kind", "model", "token", "token_id"), " in '" + key + "'");
                ModelReference model = refs.reference(refs.required(s, "model"), key + ".model");
                boolean hasToken = s.has("token");
                boolean hasId = s.has("token_id");
                if (hasToken == hasId) {
                    throw new ConfigException(y.pos(s.node()) + ": '" + key + "' of kind model_token needs exactly"
                            + " one of 'token' or 'token_id', " + (hasToken ? "both were given" : "neither was given"));
                }
                String token = hasToken ? y.string(s.get("token"), key + ".token") : null;
                Integer id = null;
                if (hasId) {
                    long v = y.integer(s.get("token_id"), key + ".token_id", "a non-negative integer");
                    if (v < 0 || v > Integer.MAX_VALUE) {
                        throw y.expected(s.get("token_id"), key + ".token_id", "a non-negative integer");
                    }
                    id = (int) v;
                }
                yield new TokenizerConfig.TokenSpec("model_token", model, token, id, force, y.pos(at));
            }
            default -> throw y.expected(kindNode, key + ".kind", "\"model_token\" or \"zero\"");
        };
    }
}
