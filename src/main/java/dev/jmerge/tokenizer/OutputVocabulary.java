package dev.jmerge.tokenizer;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The merged model's vocabulary: token string per output id, the added tokens among them, and the tokenizer
 * whose files the output tokenizer is written from.
 *
 * @param tokens     token per output id ({@code null} where the source tokenizer leaves an id unused)
 * @param added      added tokens with their output ids, in id order (the source's own and the merge's new ones)
 * @param source     the tokenizer whose model (merges, normalizer, pre-tokenizer...) the output keeps
 * @param paddedRows embedding rows: {@code tokens.size()} rounded up to {@code pad_to_multiple_of}
 */
public record OutputVocabulary(List<String> tokens, List<AddedToken> added, ModelTokenizer source, int paddedRows) {

    public OutputVocabulary {
        tokens = Collections.unmodifiableList(Arrays.asList(tokens.toArray(String[]::new)));
        added = List.copyOf(added);
    }

    public int size() { return tokens.size(); }

    /** Token string → output id. */
    public Map<String, Integer> ids() {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < tokens.size(); i++) if (tokens.get(i) != null) m.putIfAbsent(tokens.get(i), i);
        return m;
    }

    /** For each output id, the model's own id of that token, or -1 when the model does not have it. */
    public int[] permutation(ModelTokenizer model) {
        int[] p = new int[tokens.size()];
        for (int i = 0; i < p.length; i++) p[i] = tokens.get(i) == null ? -1 : model.id(tokens.get(i));
        return p;
    }
}
