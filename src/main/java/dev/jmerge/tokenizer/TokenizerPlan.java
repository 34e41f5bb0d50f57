package dev.jmerge.tokenizer;

import java.util.Map;

/**
 * What a merge does with tokenizers, decided at plan time.
 *
 * @param vocabulary   the output vocabulary, or null when no tokenizer setting is given (embeddings then follow
 *                     compat §2.1 and the donor's tokenizer files are copied)
 * @param tokenizers   each model's tokenizer by model index (a model without one maps to the base's)
 * @param chatTemplate the chat template to write, or null
 */
public record TokenizerPlan(OutputVocabulary vocabulary, Map<Integer, ModelTokenizer> tokenizers,
                            String chatTemplate) {

    public static final TokenizerPlan NONE = new TokenizerPlan(null, Map.of(), null);

    public TokenizerPlan {
        tokenizers = Map.copyOf(tokenizers);
    }

    /** new id → the model's id (-1 where it lacks the token). */
    public int[] permutation(int model) { return vocabulary.permutation(tokenizers.get(model)); }
}
