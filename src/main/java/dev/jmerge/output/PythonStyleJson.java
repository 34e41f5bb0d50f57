package dev.jmerge.output;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * Writes JSON the way Python's {@code json.dumps(obj, indent=2, sort_keys=...)} does, so the config.json
 * and index files we write read like the ones transformers and mergekit write (key order, ": " separators,
 * one list element per line, Python's float spelling such as {@code 1e-05} and {@code 10000.0}).
 */
public final class PythonStyleJson {

    private PythonStyleJson() {}

    public static String write(JsonNode node, boolean sortKeys) {
        StringBuilder sb = new StringBuilder();
        write(node, sortKeys, "  ", 0, sb);
        return sb.append('\n').toString();
    }

    /** Python's {@code json.dump(obj, f, indent=N)}: keys in the node's order and no newline at the end. */
    public static String dump(JsonNode node, int indent) {
        StringBuilder sb = new StringBuilder();
        write(node, false, " ".repeat(indent), 0, sb);
        return sb.toString();
    }

    private static void write(JsonNode node, boolean sortKeys, String unit, int depth, StringBuilder sb) {
        if (node.isObject()) {
            List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(node.properties());
            if (fields.isEmpty()) {
                sb.append("{}");
                return;
            }
            if (sortKeys) fields.sort(Map.Entry.comparingByKey());
            sb.append("{\n");
            for (int i = 0; i < fields.size(); i++) {
                indent(sb, unit, depth + 1);
                string(fields.get(i).getKey(), sb);
                sb.append(": ");
                write(fields.get(i).getValue(), sortKeys, unit, depth + 1, sb);
                sb.append(i + 1 < fields.size() ? ",\n" : "\n");
            }
            indent(sb, unit, depth);
            sb.append('}');
        } else if (node.isArray()) {
            if (node.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append("[\n");
            for (int i = 0; i < node.size(); i++) {
                indent(sb, unit, depth + 1);
                write(node.get(i), sortKeys, unit, depth + 1, sb);
                sb.append(i + 1 < node.size() ? ",\n" : "\n");
            }
            indent(sb, unit, depth);
            sb.append(']');
        } else if (node.isString()) {
            string(node.asString(), sb);
        } else if (node.isFloatingPointNumber()) {
            sb.append(pythonFloat(node.asDouble()));
        } else if (node.isNumber()) {
            sb.append(node.bigIntegerValue());
        } else if (node.isBoolean()) {
            sb.append(node.asBoolean() ? "true" : "false");
        } else {
            sb.append("null");
        }
    }

    private static void indent(StringBuilder sb, String unit, int depth) {
        sb.append(unit.repeat(depth));
    }

    /** Python's {@code repr(float)}: shortest digits, exponent form below 1e-4 and from 1e16 on. */
    static String pythonFloat(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        BigDecimal bd = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = bd.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - bd.scale(); // decimal exponent of the first digit
        String sign = d < 0 ? "-" : "";
        if (exp < -4 || exp >= 16) {
            String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mant + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
        }
        String plain = bd.abs().toPlainString();
        if (!plain.contains(".")) plain += ".0";
        return sign + plain;
    }

    /** JSON string with Python's default {@code ensure_ascii=True} escaping. */
    private static void string(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7E) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
