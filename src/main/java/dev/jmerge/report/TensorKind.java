package dev.jmerge.report;

import java.util.Locale;

/** What part of a transformer a tensor belongs to, from its name: how a report groups its plots. */
public enum TensorKind {
    ATTENTION("Attention"),
    MLP("MLP"),
    NORM("Norms"),
    EMBEDDING("Embeddings"),
    OTHER("Other");

    private final String title;

    TensorKind(String title) { this.title = title; }

    /** The section title of this kind. */
    public String title() { return title; }

    /**
     * The kind of tensor {@code name}. Names are checked from the most specific hint to the least: a norm inside
     * an attention block ({@code self_attn.q_norm}) is a norm, an expert's projection is MLP.
     */
    public static TensorKind of(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        String last = lastComponent(n);
        if (has(n, "norm") || has(n, "ln_") || last.startsWith("ln") || n.contains(".ln.")) return NORM;
        if (has(n, "embed") || has(n, "lm_head") || has(n, "wte") || has(n, "wpe") || has(n, "output.weight")
                || has(n, "tok_embeddings")) {
            return EMBEDDING;
        }
        if (has(n, "attn") || has(n, "attention") || has(n, "q_proj") || has(n, "k_proj") || has(n, "v_proj")
                || has(n, "o_proj") || has(n, "qkv") || has(n, "query") || has(n, "key") || has(n, "value")) {
            return ATTENTION;
        }
        if (has(n, "mlp") || has(n, "gate_proj") || has(n, "up_proj") || has(n, "down_proj") || has(n, "fc1")
                || has(n, "fc2") || has(n, "expert") || has(n, "ffn") || has(n, "feed_forward") || has(n, "w1")
                || has(n, "w2") || has(n, "w3") || has(n, "c_fc") || has(n, "router") || has(n, ".gate.")) {
            return MLP;
        }
        return OTHER;
    }

    private static boolean has(String name, String part) { return name.contains(part); }

    /** The name less its {@code .weight}/{@code .bias} suffix, last component. */
    private static String lastComponent(String n) {
        String s = n.endsWith(".weight") || n.endsWith(".bias") ? n.substring(0, n.lastIndexOf('.')) : n;
        return s.substring(s.lastIndexOf('.') + 1);
    }
}
