package dev.jmerge.tokenizer;

import dev.jmerge.error.MergeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes the merged tokenizer: the source tokenizer's files with the vocabulary adjusted (padding tokens
 * removed, BPE merges that use them dropped, new tokens appended as added tokens) and the chat template set.
 * A SentencePiece-only source keeps its tokenizer.model; its added tokens go to tokenizer_config.json, which
 * is where transformers reads them from for such tokenizers.
 */
public final class TokenizerWriter {

    private TokenizerWriter() {}

    /** @param chatTemplate the template to set, or null to keep the source's */
    public static void write(OutputVocabulary vocab, String chatTemplate, Path dir) {
        ModelTokenizer src = vocab.source();
        try {
            if (src.tokenizerJson() != null) {
                Files.writeString(dir.resolve("tokenizer.json"), pretty(tokenizerJson(vocab)));
            } else {
                Files.copy(src.folder().resolve("tokenizer.model"), dir.resolve("tokenizer.model"));
            }
            ObjectNode config = src.tokenizerConfig() != null ? src.tokenizerConfig().deepCopy()
                    : JsonNodeFactory.instance.objectNode();
            ObjectNode decoder = JsonNodeFactory.instance.objectNode();
            for (AddedToken t : vocab.added()) decoder.set(Integer.toString(t.id()), t.toDecoderJson());
            config.set("added_tokens_decoder", decoder);
            Files.writeString(dir.resolve("tokenizer_config.json"), pretty(config));
            Path map = src.folder().resolve("special_tokens_map.json");
            if (Files.isRegularFile(map)) Files.copy(map, dir.resolve("special_tokens_map.json"));
            else Files.writeString(dir.resolve("special_tokens_map.json"), pretty(specialTokensMap(config)));
            if (chatTemplate != null) setChatTemplate(dir, chatTemplate);
        } catch (IOException e) {
            throw new MergeException(dir + ": cannot write the tokenizer (" + e.getMessage() + ")");
        }
    }

    /**
     * Sets the chat template of a tokenizer already in {@code dir}: tokenizer_config.json's {@code chat_template}
     * and chat_template.jinja (transformers v5 reads the file first, older versions the key).
     *
     * @return false when {@code dir} has no tokenizer_config.json to set it in
     */
    public static boolean setChatTemplate(Path dir, String template) {
        Path file = dir.resolve("tokenizer_config.json");
        ObjectNode config = TokenizerReader.readObject(file, false);
        if (config == null) return false;
        config.put("chat_template", template);
        try {
            Files.writeString(file, pretty(config));
            Files.writeString(dir.resolve("chat_template.jinja"), template);
            return true;
        } catch (IOException e) {
            throw new MergeException(dir + ": cannot write the chat template (" + e.getMessage() + ")");
        }
    }

    /**
     * Makes a tokenizer already in {@code dir} pad on the left with its BOS token (its EOS token when it has no
     * BOS), as mergekit-moe saves its output's tokenizer: tokenizer_config.json's {@code padding_side} and
     * {@code pad_token}, and special_tokens_map.json's {@code pad_token} when that file is there.
     *
     * @return the pad token's text, or null when there is no tokenizer_config.json or it names neither token
     */
    public static String padLeftWithBos(Path dir) {
        Path file = dir.resolve("tokenizer_config.json");
        ObjectNode config = TokenizerReader.readObject(file, false);
        if (config == null) return null;
        JsonNode pad = config.get("bos_token");
        if (pad == null || pad.isNull()) pad = config.get("eos_token");
        config.put("padding_side", "left");
        if (pad != null && !pad.isNull()) config.set("pad_token", pad.deepCopy());
        try {
            Files.writeString(file, pretty(config));
            Path map = dir.resolve("special_tokens_map.json");
            ObjectNode special = TokenizerReader.readObject(map, false);
            if (special != null && pad != null && !pad.isNull()) {
                special.set("pad_token", pad.deepCopy());
                Files.writeString(map, pretty(special));
            }
        } catch (IOException e) {
            throw new MergeException(dir + ": cannot write the tokenizer (" + e.getMessage() + ")");
        }
        if (pad == null || pad.isNull()) return null;
        return pad.isObject() ? pad.path("content").asString(null) : pad.asString(null);
    }

    static ObjectNode tokenizerJson(OutputVocabulary vocab) {
        ModelTokenizer src = vocab.source();
        ObjectNode root = src.tokenizerJson().deepCopy();
        ObjectNode model = (ObjectNode) root.get("model");
        Set<String> dropped = new HashSet<>(src.fullVocab().keySet());
        dropped.removeAll(src.vocab().keySet());
        if (!dropped.isEmpty()) {
            JsonNode v = model.get("vocab");
            if (v instanceof ObjectNode obj) {
                for (String t : dropped) obj.remove(t);
            } else if (v instanceof ArrayNode arr && src.vocabLimit() >= 0) {
                while (arr.size() > src.vocabLimit()) arr.remove(arr.size() - 1);
            }
            if (model.get("merges") instanceof ArrayNode merges) {
                for (Iterator<JsonNode> it = merges.iterator(); it.hasNext(); ) {
                    if (usesAny(it.next(), dropped)) it.remove();
                }
            }
        }
        ArrayNode added = JsonNodeFactory.instance.arrayNode();
        for (AddedToken t : vocab.added()) added.add(t.toJson());
        root.set("added_tokens", added);
        return root;
    }

    /**
     * Whether a BPE merge reads or produces a dropped token (a merge producing one would emit an id the model
     * no longer has). A merge is "a b" in older files and ["a", "b"] in newer ones.
     */
    private static boolean usesAny(JsonNode merge, Set<String> tokens) {
        List<String> parts = new ArrayList<>();
        if (merge.isArray()) for (JsonNode p : merge) parts.add(p.asString());
        else parts.addAll(List.of(merge.asString().split(" ", 2)));
        return tokens.contains(String.join("", parts)) || parts.stream().anyMatch(tokens::contains);
    }

    private static ObjectNode specialTokensMap(ObjectNode config) {
        ObjectNode m = JsonNodeFactory.instance.objectNode();
        for (String k : new String[] {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token",
                "mask_token"}) {
            JsonNode v = config.get(k);
            if (v != null && !v.isNull()) m.set(k, v.deepCopy());
        }
        return m;
    }

    private static String pretty(JsonNode node) {
        return TokenizerReader.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n";
    }
}
