package dev.jmerge.report;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The layer a tensor name belongs to, and its name within the layer. */
public final class TensorNames {

    /** {@code model.layers.12.}, {@code h.3.}, {@code blocks.0.}, {@code encoder.layer.5.}: the layer index. */
    private static final Pattern LAYER = Pattern.compile("(?:^|\\.)(?:layers|layer|h|blocks|block)\\.(\\d+)\\.");

    private TensorNames() {}

    /** The layer index in {@code name}, or null for tensors outside the layers (embeddings, final norm). */
    public static Integer layer(String name) {
        Matcher m = LAYER.matcher(name);
        return m.find() ? Integer.valueOf(m.group(1)) : null;
    }

    /**
     * The tensor's name within its layer ({@code self_attn.q_proj.weight} for {@code model.layers.3.self_attn.q_proj.weight}),
     * or the whole name outside the layers.
     */
    public static String role(String name) {
        Matcher m = LAYER.matcher(name);
        return m.find() ? name.substring(m.end()) : name;
    }
}
