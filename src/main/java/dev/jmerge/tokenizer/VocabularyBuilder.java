package dev.jmerge.tokenizer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds the output vocabulary for {@code base}, {@code union} or a named model, plus {@code tokens:} (compat §6). */
public final class VocabularyBuilder {

    private VocabularyBuilder() {}

    /**
     * @param source     the tokenizer the output keeps ids from: the base's for "base" and "union", the named one
     * @param all        every model's tokenizer in merge order, base first (only read for "union")
     * @param union      whether to add every other model's tokens after the source's
     * @param extra      {@code tokens:} entries, added when absent
     * @param padMultiple pad_to_multiple_of, or null
     */
    public static OutputVocabulary build(ModelTokenizer source, Collection<ModelTokenizer> all, boolean union,
                                         Collection<String> extra, Integer padMultiple) {
        Map<String, Integer> ids = new LinkedHashMap<>(source.vocab());
        int next = 0;
        for (int id : ids.values()) next = Math.max(next, id + 1);
        List<AddedToken> added = new ArrayList<>(source.addedTokens());

        if (union) {
            // Regular tokens of every model first; a token that some model calls "added" waits for the second pass.
            Map<String, AddedToken> addedAnywhere = new LinkedHashMap<>();
            for (ModelTokenizer m : all) for (AddedToken t : m.addedTokens()) addedAnywhere.putIfAbsent(t.content(), t);
            for (ModelTokenizer m : all) {
                for (String tok : m.regularTokens()) {
                    if (ids.containsKey(tok) || addedAnywhere.containsKey(tok)) continue;
                    ids.put(tok, next);
                    added.add(AddedToken.fresh(tok, next++, false));
                }
            }
            for (AddedToken t : addedAnywhere.values()) {
                if (ids.containsKey(t.content())) continue;
                ids.put(t.content(), next);
                added.add(t.withId(next++));
            }
        }
        for (String tok : extra) {
            if (ids.containsKey(tok)) continue;
            ids.put(tok, next);
            added.add(AddedToken.fresh(tok, next++, false));
        }

        String[] tokens = new String[next];
        for (var e : ids.entrySet()) if (tokens[e.getValue()] == null) tokens[e.getValue()] = e.getKey();
        int padded = next;
        if (padMultiple != null && padMultiple > 1) padded = (int) ((next + (long) padMultiple - 1) / padMultiple * padMultiple);
        added.sort(java.util.Comparator.comparingInt(AddedToken::id));
        return new OutputVocabulary(java.util.Arrays.asList(tokens), added, source, padded);
    }
}
