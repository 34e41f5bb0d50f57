package dev.jmerge.arch;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Substitutes the template variables of tensor names: {@code ${layer_index}}, {@code ${num_layers}} and their
 * {@code +1}/{@code -1} forms. Layer-relative variables are offered only when a layer index is given, so a
 * pre/post weight that mentions one fails loudly instead of silently naming layer 0.
 */
final class NameTemplate {

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([a-z_]+)([+-]1)?}");

    static final int NO_LAYER = Integer.MIN_VALUE;

    private NameTemplate() {}

    /** @param layerIndex the layer to name, or {@link #NO_LAYER} outside the layer templates */
    static String substitute(String template, int layerIndex, int numLayers) {
        if (!template.contains("${")) return template;
        Matcher m = VARIABLE.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            int base = switch (m.group(1)) {
                case "layer_index" -> {
                    if (layerIndex == NO_LAYER) {
                        throw new IllegalArgumentException(
                                "'" + template + "' names a layer outside the layer templates");
                    }
                    yield layerIndex;
                }
                case "num_layers" -> numLayers;
                default -> throw new IllegalArgumentException(
                        "unknown variable ${" + m.group(1) + "} in '" + template + "'");
            };
            int offset = m.group(2) == null ? 0 : (m.group(2).charAt(0) == '+' ? 1 : -1);
            m.appendReplacement(out, Integer.toString(base + offset));
        }
        m.appendTail(out);
        String result = out.toString();
        if (result.contains("${")) throw new IllegalArgumentException("malformed variable in '" + template + "'");
        return result;
    }

    /** True when the name contains a layer-relative variable. */
    static boolean mentionsLayer(String template) {
        Matcher m = VARIABLE.matcher(template);
        while (m.find()) {
            if (m.group(1).equals("layer_index")) return true;
        }
        return false;
    }

    /** Fails if the name holds anything that {@link #substitute} would not accept. */
    static void validate(String template, boolean layerAllowed) {
        substitute(template, layerAllowed ? 0 : NO_LAYER, 1);
    }
}
