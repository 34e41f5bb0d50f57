package dev.jmerge.tokenizer;

import dev.jmerge.error.MergeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** Reads a model folder's tokenizer: tokenizer.json when present, else the pieces of tokenizer.model. */
public final class TokenizerReader {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private TokenizerReader() {}

    /**
     * @param vocabLimit the model's config vocab_size (tokens at or past it are padding and ignored), or -1
     * @return the tokenizer, or null when the folder has neither tokenizer.json nor tokenizer.model
     */
    public static ModelTokenizer read(Path folder, int vocabLimit) {
        ObjectNode config = readObject(folder.resolve("tokenizer_config.json"), false);
        Path json = folder.resolve("tokenizer.json");
        if (Files.isRegularFile(json)) return fromJson(folder, readObject(json, true), config, vocabLimit);
        Path sp = folder.resolve("tokenizer.model");
        if (Files.isRegularFile(sp)) return fromSentencePiece(folder, sp, config, vocabLimit);
        return null;
    }

    /** A folder's config.json, or null when it has none. */
    public static ObjectNode readConfigIfPresent(Path folder) {
        return readObject(folder.resolve("config.json"), false);
    }

    static ObjectNode readObject(Path file, boolean required) {
        if (!Files.isRegularFile(file)) {
            if (required) throw new MergeException(file + ": missing");
            return null;
        }
        try {
            JsonNode n = JSON.readTree(Files.readString(file));
            if (!(n instanceof ObjectNode o)) throw new MergeException(file + ": expected a JSON object");
            return o;
        } catch (JacksonException e) {
            throw new MergeException(file + ": not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new MergeException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    private static ModelTokenizer fromJson(Path folder, ObjectNode root, ObjectNode config, int limit) {
        Path file = folder.resolve("tokenizer.json");
        JsonNode model = root.get("model");
        if (model == null || !model.isObject()) throw new MergeException(file + ": no 'model' object");
        String kind = model.path("type").asString("");
        Map<String, Integer> full = new LinkedHashMap<>();
        JsonNode vocab = model.get("vocab");
        switch (kind) {
            case "BPE", "WordPiece", "WordLevel" -> {
                if (vocab == null || !vocab.isObject()) throw new MergeException(file + ": model.vocab is not an object");
                for (var e : vocab.properties()) full.put(e.getKey(), e.getValue().asInt());
            }
            case "Unigram" -> {
                if (vocab == null || !vocab.isArray()) throw new MergeException(file + ": model.vocab is not an array");
                for (int i = 0; i < vocab.size(); i++) full.put(vocab.get(i).get(0).asString(), i);
            }
            default -> throw new MergeException(file + ": tokenizer model type '" + kind
                    + "' is not supported (BPE, Unigram, WordPiece and WordLevel are)");
        }
        Map<String, AddedToken> added = new LinkedHashMap<>();
        for (JsonNode a : root.path("added_tokens")) {
            String content = a.path("content").asString();
            int id = a.path("id").asInt();
            added.putIfAbsent(content, new AddedToken(content, id, a.path("special").asBoolean(false),
                    a instanceof ObjectNode o ? o.deepCopy() : JsonNodeFactory.instance.objectNode()));
            full.put(content, id);
        }
        return new ModelTokenizer(folder, kind, below(full, limit), full, added, root, config, limit);
    }

    private static ModelTokenizer fromSentencePiece(Path folder, Path file, ObjectNode config, int limit) {
        SentencePieceModel sp;
        try {
            sp = SentencePieceModel.parse(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new MergeException(file + ": cannot read (" + e.getMessage() + ")");
        } catch (IllegalArgumentException e) {
            throw new MergeException(file + ": not a SentencePiece model (" + e.getMessage() + ")");
        }
        Map<String, Integer> full = new LinkedHashMap<>();
        Map<String, AddedToken> added = new LinkedHashMap<>();
        for (int i = 0; i < sp.pieces().size(); i++) {
            SentencePieceModel.Piece p = sp.pieces().get(i);
            full.putIfAbsent(p.piece(), i);
            // Control and unknown pieces are what transformers registers as special added tokens.
            switch (p.type()) {
                case CONTROL, UNKNOWN -> added.putIfAbsent(p.piece(), AddedToken.fresh(p.piece(), i, true));
                case USER_DEFINED -> added.putIfAbsent(p.piece(), AddedToken.fresh(p.piece(), i, false));
                default -> { }
            }
        }
        // tokenizer_config.json's added_tokens_decoder is how transformers adds tokens past the pieces.
        if (config != null && config.get("added_tokens_decoder") instanceof ObjectNode dec) {
            for (var e : dec.properties()) {
                int id = Integer.parseInt(e.getKey());
                String content = e.getValue().path("content").asString();
                ObjectNode flags = e.getValue() instanceof ObjectNode o ? o.deepCopy()
                        : JsonNodeFactory.instance.objectNode();
                added.put(content, new AddedToken(content, id, flags.path("special").asBoolean(false), flags));
                full.put(content, id);
            }
        }
        return new ModelTokenizer(folder, "SentencePiece", below(full, limit), full, added, null, config, limit);
    }

    private static Map<String, Integer> below(Map<String, Integer> full, int limit) {
        if (limit < 0) return full;
        Map<String, Integer> out = new LinkedHashMap<>();
        for (var e : full.entrySet()) if (e.getValue() < limit) out.put(e.getKey(), e.getValue());
        return out;
    }
}
