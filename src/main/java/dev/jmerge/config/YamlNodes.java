package dev.jmerge.config;

import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.diagnostic.Suggestions;
import dev.jmerge.error.ConfigException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Typed reads of YAML nodes for one file, each failure a {@link ConfigException} naming file, line and key.
 * Scalars are typed with PyYAML's rules ({@link Yaml11Scalars}), not the node's YAML 1.2 tag.
 */
final class YamlNodes {

    /** One key of a mapping with its nodes (key node for "unknown key" warnings, value node for errors). */
    record Field(String key, Node keyNode, Node value) {}

    /** A mapping's fields in file order, keys unique; merge keys ({@code <<}) already applied. */
    record Fields(Node node, String key, Map<String, Field> byKey) {
        Node get(String name) {
            Field f = byKey.get(name);
            return f == null ? null : f.value();
        }

        /** Present and not null: PyYAML's {@code key: ~} means "not given" for every optional field here. */
        boolean has(String name) {
            Node n = get(name);
            return n != null && !isNull(n);
        }
    }

    private record Found(SourcePos pos, Diagnostic diagnostic) {}

    private final String file;
    private final List<Found> found = new ArrayList<>();

    YamlNodes(String file) {
        this.file = file;
    }

    /** What reading found, in file order (the binder meets nested keys before later top-level ones). */
    List<Diagnostic> diagnostics() {
        return found.stream()
                .sorted(java.util.Comparator.comparingInt((Found w) -> w.pos().line())
                        .thenComparingInt(w -> w.pos().column()))
                .map(Found::diagnostic).toList();
    }

    String file() { return file; }

    SourcePos pos(Node n) {
        return n.getStartMark().map(m -> new SourcePos(file, m.getLine() + 1, m.getColumn() + 1))
                .orElse(new SourcePos(file, 0, 0));
    }

    ConfigException error(Node at, String key, String message) {
        return new ConfigException(pos(at) + ": '" + key + "' " + message);
    }

    ConfigException expected(Node at, String key, String what) {
        return error(at, key, "must be " + what + ", got " + describe(at));
    }

    /** Records each key of {@code fields} not in {@code known}, with the known key it most likely misspells. */
    void warnUnknown(Fields fields, Set<String> known, String where) {
        for (Field f : fields.byKey().values()) {
            if (!known.contains(f.key())) {
                SourcePos at = pos(f.keyNode());
                String close = Suggestions.closest(f.key(), known);
                found.add(new Found(at, new Diagnostic.UnknownKey(at.toString(), f.key(), where,
                        close == null ? null : "'" + close + "'", known.contains("parameters"))));
            }
        }
    }

    /** A short, quoted rendering of what the file holds, for "got ..." in messages. */
    static String describe(Node n) {
        return switch (n) {
            case ScalarNode s when isNull(s) -> "null";
            case ScalarNode s -> {
                String v = s.getValue();
                if (v.length() > 60) v = v.substring(0, 57) + "...";
                yield "\"" + v.replace("\n", "\\n") + "\"";
            }
            case SequenceNode seq -> "a list of " + seq.getValue().size() + " item" + (seq.getValue().size() == 1 ? "" : "s");
            case MappingNode m -> "a mapping";
            default -> "an unsupported node";
        };
    }

    static boolean isNull(Node n) {
        return n instanceof ScalarNode s && kindOf(s) == Yaml11Scalars.Kind.NULL;
    }

    static Yaml11Scalars.Kind kindOf(ScalarNode s) {
        if (!s.isResolved()) {
            // explicit tag (!!str 5): the writer said what they meant
            Tag t = s.getTag();
            if (t.equals(Tag.STR)) return Yaml11Scalars.Kind.STR;
            if (t.equals(Tag.INT)) return Yaml11Scalars.Kind.INT;
            if (t.equals(Tag.FLOAT)) return Yaml11Scalars.Kind.FLOAT;
            if (t.equals(Tag.BOOL)) return Yaml11Scalars.Kind.BOOL;
            if (t.equals(Tag.NULL)) return Yaml11Scalars.Kind.NULL;
            return Yaml11Scalars.Kind.STR;
        }
        return s.getScalarStyle() == ScalarStyle.PLAIN ? Yaml11Scalars.kindOfPlain(s.getValue())
                : Yaml11Scalars.Kind.STR;
    }

    private void checkTag(Node n, String key) {
        if (n instanceof ScalarNode s && !s.isResolved()) {
            Tag t = s.getTag();
            if (!(t.equals(Tag.STR) || t.equals(Tag.INT) || t.equals(Tag.FLOAT) || t.equals(Tag.BOOL)
                    || t.equals(Tag.NULL))) {
                throw error(n, key, "has an unsupported tag " + t.getValue());
            }
        }
    }

    Fields mapping(Node n, String key, String what) {
        if (!(n instanceof MappingNode map)) throw expected(n, key, what);
        Map<String, Field> explicit = new LinkedHashMap<>();
        List<MappingNode> merged = new ArrayList<>();
        for (NodeTuple t : map.getValue()) {
            Node k = t.getKeyNode();
            if (!(k instanceof ScalarNode ks)) throw error(k, key, "has a key that is not a plain string");
            if (ks.getScalarStyle() == ScalarStyle.PLAIN && ks.getValue().equals("<<") && ks.isResolved()) {
                collectMergeSources(t.getValueNode(), key, merged);
                continue;
            }
            Field previous = explicit.putIfAbsent(ks.getValue(), new Field(ks.getValue(), k, t.getValueNode()));
            if (previous != null) {
                throw new ConfigException(pos(k) + ": duplicate key '" + ks.getValue() + "' in '" + key
                        + "' (first at line " + pos(previous.keyNode()).line() + ")");
            }
        }
        if (merged.isEmpty()) return new Fields(n, key, explicit);
        Map<String, Field> all = new LinkedHashMap<>(explicit);
        for (MappingNode source : merged) {
            for (Field f : mapping(source, key, "a mapping to merge with '<<'").byKey().values()) {
                all.putIfAbsent(f.key(), f);
            }
        }
        return new Fields(n, key, all);
    }

    private void collectMergeSources(Node v, String key, List<MappingNode> into) {
        switch (v) {
            case MappingNode m -> into.add(m);
            case SequenceNode seq -> {
                for (Node item : seq.getValue()) {
                    if (!(item instanceof MappingNode m)) throw expected(item, key + ".<<", "a mapping");
                    into.add(m);
                }
            }
            default -> throw expected(v, key + ".<<", "a mapping or a list of mappings");
        }
    }

    List<Node> list(Node n, String key, String what) {
        if (!(n instanceof SequenceNode seq)) throw expected(n, key, what);
        return seq.getValue();
    }

    String string(Node n, String key) {
        checkTag(n, key);
        if (n instanceof ScalarNode s && kindOf(s) == Yaml11Scalars.Kind.STR) return s.getValue();
        throw expected(n, key, "a string");
    }

    long integer(Node n, String key, String what) {
        checkTag(n, key);
        if (n instanceof ScalarNode s) {
            try {
                switch (kindOf(s)) {
                    case INT -> { return Yaml11Scalars.parseInt(s.getValue()); }
                    case FLOAT -> {
                        // pydantic takes 3.0 for an int, not 3.5
                        double d = Yaml11Scalars.parseFloat(s.getValue());
                        if (d == Math.rint(d) && Math.abs(d) < 1e15) return (long) d;
                    }
                    default -> { }
                }
            } catch (NumberFormatException e) {
                throw expected(n, key, what);
            }
        }
        throw expected(n, key, what);
    }

    /** A number the way mergekit coerces parameter values: numbers, booleans (1/0) and numeric strings. */
    double number(Node n, String key, String what) {
        checkTag(n, key);
        if (n instanceof ScalarNode s) {
            try {
                switch (kindOf(s)) {
                    case INT -> { return Yaml11Scalars.parseInt(s.getValue()); }
                    case FLOAT -> { return Yaml11Scalars.parseFloat(s.getValue()); }
                    case BOOL -> { return Yaml11Scalars.parseBool(s.getValue()) ? 1.0 : 0.0; }
                    case STR -> {
                        Double d = Yaml11Scalars.parseNumericString(s.getValue());
                        if (d != null) return d;
                    }
                    case NULL -> { }
                }
            } catch (NumberFormatException e) {
                throw expected(n, key, what);
            }
        }
        throw expected(n, key, what);
    }

    boolean bool(Node n, String key) {
        checkTag(n, key);
        if (n instanceof ScalarNode s && kindOf(s) == Yaml11Scalars.Kind.BOOL) {
            try {
                return Yaml11Scalars.parseBool(s.getValue());
            } catch (NumberFormatException e) {
                throw expected(n, key, "true or false");
            }
        }
        throw expected(n, key, "true or false");
    }
}
