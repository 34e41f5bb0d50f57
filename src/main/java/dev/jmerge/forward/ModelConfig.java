package dev.jmerge.forward;

import dev.jmerge.error.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the forward pass needs from a model's config.json, with the defaults transformers uses for the
 * supported families.
 *
 * @param headDim         {@code head_dim} when config.json gives it (Mistral-Nemo, Qwen3), else hidden / heads
 * @param slidingWindow   per layer, the number of positions a query sees (itself included), or 0 for full attention
 * @param tiedEmbeddings  the output head is the input embedding ({@code tie_word_embeddings})
 * @param moe             the mixture-of-experts MLP of Mixtral and Qwen3-MoE, or null for a dense model
 */
public record ModelConfig(Path file, String architecture, int hidden, int intermediate, int layers, int heads,
                          int kvHeads, int headDim, int vocab, double rmsEps, int maxPositions, RopeScaling rope,
                          int[] slidingWindow, boolean tiedEmbeddings, int bosTokenId, Moe moe) {

    /** The architectures the forward pass implements. */
    public static final List<String> SUPPORTED = List.of("LlamaForCausalLM", "MistralForCausalLM",
            "Qwen2ForCausalLM", "Qwen3ForCausalLM", "MixtralForCausalLM", "Qwen3MoeForCausalLM");

    /**
     * A sparse MLP: each token goes through the {@code topK} experts its router scores highest (softmax over all
     * experts), weighted by those scores, renormalised to sum to 1 when {@code normTopK}.
     *
     * @param intermediate  each expert's MLP width
     * @param sparseLayers  per layer, whether it has the sparse MLP (Qwen3-MoE may keep some layers dense)
     */
    public record Moe(int experts, int topK, boolean normTopK, int intermediate, boolean[] sparseLayers) {}

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Reads {@code folder/config.json}; an architecture the forward pass does not implement is a config error. */
    public static ModelConfig read(Path folder) {
        Path file = folder.resolve("config.json");
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (JacksonException e) {
            throw new ConfigException(file + ": not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read (" + e.getMessage() + "); expected a model folder");
        }
        if (root == null || !root.isObject()) throw new ConfigException(file + ": expected a JSON object");
        return parse(file, root);
    }

    static ModelConfig parse(Path file, JsonNode c) {
        String arch = c.path("architectures").path(0).asString("");
        if (!SUPPORTED.contains(arch)) {
            throw new ConfigException(file + ": architecture '" + (arch.isEmpty() ? "(none)" : arch)
                    + "' is not supported by the forward pass (supported: " + String.join(", ", SUPPORTED) + ")");
        }
        String act = c.path("hidden_act").asString("silu");
        if (!act.equals("silu")) {
            throw new ConfigException(file + ": hidden_act '" + act + "' is not supported (the forward pass implements silu)");
        }
        int hidden = positive(file, c, "hidden_size");
        int heads = positive(file, c, "num_attention_heads");
        int kvHeads = c.has("num_key_value_heads") && !c.get("num_key_value_heads").isNull()
                ? positive(file, c, "num_key_value_heads") : heads;
        if (heads % kvHeads != 0) {
            throw new ConfigException(file + ": num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        int headDim = c.hasNonNull("head_dim") ? positive(file, c, "head_dim") : hidden / heads;
        if (!c.hasNonNull("head_dim") && hidden % heads != 0) {
            throw new ConfigException(file + ": hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads);
        }
        int layers = positive(file, c, "num_hidden_layers");
        int maxPos = c.hasNonNull("max_position_embeddings") ? positive(file, c, "max_position_embeddings") : 2048;
        // transformers' defaults: MixtralConfig 1e-5, Llama/Mistral/Qwen2/Qwen3(-MoE) configs 1e-6
        double eps = c.path("rms_norm_eps").asDouble(arch.startsWith("Mixtral") ? 1e-5 : 1e-6);
        return new ModelConfig(file, arch, hidden, positive(file, c, "intermediate_size"), layers, heads, kvHeads,
                headDim, positive(file, c, "vocab_size"), eps, maxPos, RopeScaling.parse(file, c, headDim, maxPos),
                slidingWindows(file, c, arch, layers), c.path("tie_word_embeddings").asBoolean(false),
                c.path("bos_token_id").asInt(-1), moe(file, c, arch, layers));
    }

    /**
     * Mixtral: {@code num_local_experts}, top-k weights always renormalised, every layer sparse. Qwen3-MoE:
     * {@code num_experts}, {@code norm_topk_prob}, {@code moe_intermediate_size}, and a layer is sparse unless
     * listed in {@code mlp_only_layers} or skipped by {@code decoder_sparse_step}, as transformers decides.
     */
    private static Moe moe(Path file, JsonNode c, String arch, int layers) {
        boolean[] sparse = new boolean[layers];
        if (arch.equals("MixtralForCausalLM")) {
            java.util.Arrays.fill(sparse, true);
            int experts = positive(file, c, "num_local_experts");
            int k = c.hasNonNull("num_experts_per_tok") ? positive(file, c, "num_experts_per_tok") : 2;
            return checked(file, new Moe(experts, k, true, positive(file, c, "intermediate_size"), sparse));
        }
        if (!arch.equals("Qwen3MoeForCausalLM")) return null;
        int experts = positive(file, c, "num_experts");
        int k = c.hasNonNull("num_experts_per_tok") ? positive(file, c, "num_experts_per_tok") : 8;
        int width = c.hasNonNull("moe_intermediate_size") ? positive(file, c, "moe_intermediate_size") : 768;
        int step = c.hasNonNull("decoder_sparse_step") ? positive(file, c, "decoder_sparse_step") : 1;
        java.util.Set<Integer> dense = new java.util.HashSet<>();
        for (JsonNode n : c.path("mlp_only_layers")) dense.add(n.asInt());
        for (int i = 0; i < layers; i++) sparse[i] = !dense.contains(i) && (i + 1) % step == 0;
        return checked(file, new Moe(experts, k, c.path("norm_topk_prob").asBoolean(false), width, sparse));
    }

    private static Moe checked(Path file, Moe m) {
        if (m.topK() > m.experts()) {
            throw new ConfigException(file + ": num_experts_per_tok " + m.topK() + " is more than the " + m.experts()
                    + " experts");
        }
        return m;
    }

    /**
     * Mistral slides every layer when {@code sliding_window} is set; Qwen2/Qwen3 only with
     * {@code use_sliding_window}, from layer {@code max_window_layers} on; an explicit {@code layer_types} list
     * (newer configs) says it per layer.
     */
    private static int[] slidingWindows(Path file, JsonNode c, String arch, int layers) {
        int[] w = new int[layers];
        int window = c.hasNonNull("sliding_window") ? positive(file, c, "sliding_window") : 0;
        JsonNode types = c.get("layer_types");
        if (types != null && types.isArray()) {
            if (types.size() != layers) {
                throw new ConfigException(file + ": layer_types has " + types.size() + " entries, expected num_hidden_layers = " + layers);
            }
            for (int i = 0; i < layers; i++) {
                String t = types.get(i).asString("");
                if (t.equals("sliding_attention")) {
                    if (window == 0) throw new ConfigException(file + ": layer_types[" + i + "] is sliding_attention but sliding_window is not set");
                    w[i] = window;
                } else if (!t.equals("full_attention")) {
                    throw new ConfigException(file + ": layer_types[" + i + "] is '" + t + "', expected full_attention or sliding_attention");
                }
            }
            return w;
        }
        if (window == 0) return w;
        if (arch.equals("MistralForCausalLM") || arch.equals("MixtralForCausalLM")) {
            java.util.Arrays.fill(w, window);
        } else if (arch.startsWith("Qwen") && c.path("use_sliding_window").asBoolean(false)) {
            int from = c.path("max_window_layers").asInt(layers);
            for (int i = Math.max(0, from); i < layers; i++) w[i] = window;
        }
        return w;
    }

    static int positive(Path file, JsonNode c, String key) {
        JsonNode n = c.get(key);
        if (n == null || n.isNull()) throw new ConfigException(file + ": '" + key + "' is missing");
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() <= 0) {
            throw new ConfigException(file + ": '" + key + "' must be a positive integer, got " + n);
        }
        return n.intValue();
    }

    /** One line for logs: "LlamaForCausalLM, 2 layers, hidden 64, heads 4/2 x 16, vocab 256". */
    public String summary() {
        return String.format(Locale.ROOT, "%s, %d layers, hidden %d, heads %d/%d x %d, vocab %d%s", architecture, layers,
                hidden, heads, kvHeads, headDim, vocab,
                moe == null ? "" : ", " + moe.experts() + " experts (" + moe.topK() + " per token)");
    }
}
