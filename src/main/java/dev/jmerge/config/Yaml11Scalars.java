package dev.jmerge.config;

import java.util.regex.Pattern;

/**
 * Reads plain scalars the way PyYAML's {@code safe_load} does (YAML 1.1), because mergekit configs are written
 * for it: {@code yes/on/off} are booleans, {@code 010} is octal, {@code 1e-8} (no dot) is a string, {@code .5}
 * is a float. snakeyaml-engine only knows YAML 1.2, so the binder asks this class instead of the node's tag.
 */
final class Yaml11Scalars {

    enum Kind { NULL, BOOL, INT, FLOAT, STR }

    private static final Pattern BOOL =
            Pattern.compile("yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF");
    private static final Pattern NULL = Pattern.compile("~|null|Null|NULL|");
    private static final Pattern INT = Pattern.compile(
            "[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
                    + "|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+");
    private static final Pattern FLOAT = Pattern.compile(
            "[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?|\\.[0-9_]+(?:[eE][-+][0-9]+)?"
                    + "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN)");
    /** What Python's float() takes from a string (pydantic's lax str → float): exponent without dot, inf, nan. */
    private static final String DIGITS = "[0-9](?:_?[0-9])*";
    private static final Pattern NUMERIC_STRING = Pattern.compile(
            "[-+]?(?:(?:" + DIGITS + "(?:\\.(?:" + DIGITS + ")?)?|\\." + DIGITS + ")(?:[eE][-+]?" + DIGITS + ")?"
                    + "|(?i:inf|infinity|nan))");

    private Yaml11Scalars() {}

    static Kind kindOfPlain(String text) {
        if (NULL.matcher(text).matches()) return Kind.NULL;
        if (BOOL.matcher(text).matches()) return Kind.BOOL;
        if (INT.matcher(text).matches()) return Kind.INT;
        if (FLOAT.matcher(text).matches()) return Kind.FLOAT;
        return Kind.STR;
    }

    static boolean parseBool(String text) {
        return switch (text.toLowerCase(java.util.Locale.ROOT)) {
            case "yes", "true", "on" -> true;
            case "no", "false", "off" -> false;
            default -> throw new NumberFormatException("not a boolean: " + text);
        };
    }

    /** Value of a text that {@link #kindOfPlain} called INT; may exceed the long range (then it throws). */
    static long parseInt(String text) {
        String s = text.replace("_", "");
        int sign = 1;
        if (s.startsWith("-") || s.startsWith("+")) {
            if (s.charAt(0) == '-') sign = -1;
            s = s.substring(1);
        }
        if (s.equals("0")) return 0;
        if (s.startsWith("0b")) return sign * Long.parseLong(s.substring(2), 2);
        if (s.startsWith("0x")) return sign * Long.parseLong(s.substring(2), 16);
        if (s.startsWith("0")) return sign * Long.parseLong(s.substring(1), 8);
        if (s.contains(":")) return sign * (long) sexagesimal(s);
        return sign * Long.parseLong(s);
    }

    /** Value of a text that {@link #kindOfPlain} called FLOAT. */
    static double parseFloat(String text) {
        String s = text.replace("_", "").toLowerCase(java.util.Locale.ROOT);
        double sign = 1;
        if (s.startsWith("-") || s.startsWith("+")) {
            if (s.charAt(0) == '-') sign = -1;
            s = s.substring(1);
        }
        if (s.equals(".inf")) return sign * Double.POSITIVE_INFINITY;
        if (s.equals(".nan")) return Double.NaN;
        if (s.contains(":")) return sign * sexagesimal(s);
        return sign * Double.parseDouble(s);
    }

    /** Python float(str) for strings that carry a number PyYAML did not resolve (e.g. {@code 1e-8}); else null. */
    static Double parseNumericString(String text) {
        String s = text.strip();
        if (!NUMERIC_STRING.matcher(s).matches()) return null;
        String lower = s.replace("_", "").toLowerCase(java.util.Locale.ROOT);
        double sign = lower.startsWith("-") ? -1 : 1;
        String body = lower.startsWith("-") || lower.startsWith("+") ? lower.substring(1) : lower;
        try {
            return switch (body) {
                case "inf", "infinity" -> sign * Double.POSITIVE_INFINITY;
                case "nan" -> Double.NaN;
                default -> sign * Double.parseDouble(body);
            };
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static double sexagesimal(String s) {
        double value = 0;
        for (String part : s.split(":")) value = value * 60 + Double.parseDouble(part);
        return value;
    }
}
