package dev.jmerge.config;

import java.util.Map;

/**
 * The {@code tokenizer:} block (or the legacy {@code tokenizer_source}, which maps to {@code source} with no
 * tokens). {@code source} is "base", "union" or a model reference string.
 */
public record TokenizerConfig(String source, ModelReference sourceModel, Map<String, TokenSpec> tokens,
                              Integer padToMultipleOf, boolean legacy, SourcePos pos) {

    /**
     * One {@code tokens:} entry. {@code kind} is "model" (source model's own embedding of the token),
     * "model_token" (another token of a model, by string or id) or "zero"; null when only {@code force} is set.
     */
    public record TokenSpec(String kind, ModelReference model, String token, Integer tokenId, boolean force,
                            SourcePos pos) {}
}
