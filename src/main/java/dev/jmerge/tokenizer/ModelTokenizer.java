package dev.jmerge.tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.node.ObjectNode;

/**
 * One model's tokenizer as the merge sees it: token string → id (regular and added tokens alike, as Hugging
 * Face's {@code get_vocab} gives it), which tokens are added/special, and the files it came from.
 *
 * @param kind            BPE, Unigram, WordPiece, WordLevel (tokenizer.json) or SentencePiece (tokenizer.model only)
 * @param vocab           every token with an id below the model's vocab_size
 * @param fullVocab       every token the files define, including those at or past vocab_size
 * @param added           added tokens by content, in id order
 * @param tokenizerJson   the parsed tokenizer.json, or null for a SentencePiece-only model
 * @param tokenizerConfig the parsed tokenizer_config.json, or null when absent
 * @param vocabLimit      the model's config vocab_size used to drop padding tokens, or -1 when unknown
 */
public record ModelTokenizer(Path folder, String kind, Map<String, Integer> vocab, Map<String, Integer> fullVocab,
                             Map<String, AddedToken> added, ObjectNode tokenizerJson, ObjectNode tokenizerConfig,
                             int vocabLimit) {

    public ModelTokenizer {
        vocab = Collections.unmodifiableMap(new LinkedHashMap<>(vocab));
        fullVocab = Collections.unmodifiableMap(new LinkedHashMap<>(fullVocab));
        added = Collections.unmodifiableMap(new LinkedHashMap<>(added));
    }

    /** Tokens that are not added tokens, in id order. */
    public List<String> regularTokens() {
        List<Map.Entry<String, Integer>> l = new ArrayList<>(vocab.entrySet());
        l.sort(Map.Entry.comparingByValue());
        List<String> out = new ArrayList<>();
        for (var e : l) if (!added.containsKey(e.getKey())) out.add(e.getKey());
        return out;
    }

    /** Added tokens below the vocab limit, in id order. */
    public List<AddedToken> addedTokens() {
        List<AddedToken> l = new ArrayList<>();
        for (AddedToken t : added.values()) if (vocabLimit < 0 || t.id() < vocabLimit) l.add(t);
        l.sort(Comparator.comparingInt(AddedToken::id));
        return l;
    }

    /** The model's row for {@code token}, or -1 when it does not have it (padding tokens count as absent). */
    public int id(String token) { return vocab.getOrDefault(token, -1); }
}
