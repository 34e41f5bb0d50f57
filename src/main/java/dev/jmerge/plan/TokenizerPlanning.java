package dev.jmerge.plan;

import dev.jmerge.arch.ArchitectureSpec;
import dev.jmerge.config.MergeConfig;
import dev.jmerge.config.TokenizerConfig;
import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.error.ConfigException;
import dev.jmerge.error.MergeException;
import dev.jmerge.source.ModelLocator;
import dev.jmerge.tokenizer.ChatTemplates;
import dev.jmerge.tokenizer.ModelTokenizer;
import dev.jmerge.tokenizer.OutputVocabulary;
import dev.jmerge.tokenizer.TokenizerPlan;
import dev.jmerge.tokenizer.TokenizerReader;
import dev.jmerge.tokenizer.VocabularyBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/** Loads the tokenizers and decides the output vocabulary and chat template (compat §4.4, §6). */
final class TokenizerPlanning {

    private TokenizerPlanning() {}

    static TokenizerPlan plan(MergeConfig config, List<LoadedModel> models, LoadedModel base, ArchitectureSpec arch,
                              ModelLocator locator, List<Diagnostic> warnings) {
        String template = config.chatTemplate() == null ? null : ChatTemplates.resolve(config.chatTemplate(),
                models.stream().map(LoadedModel::folder).toList(), w -> warnings.add(new Diagnostic.Finding(w)));
        TokenizerConfig tc = config.tokenizer();
        if (tc == null) return new TokenizerPlan(null, Map.of(), template);

        String key = arch.vocabSizeKey();
        ModelTokenizer baseTok = TokenizerReader.read(base.folder(), vocabSize(base.config(), key));
        if (baseTok == null) {
            throw new ConfigException(tc.pos() + ": merging vocabularies needs the base model's tokenizer, but '"
                    + base.label() + "' (" + base.folder() + ") has neither tokenizer.json nor tokenizer.model");
        }
        Map<Integer, ModelTokenizer> byModel = new LinkedHashMap<>();
        byModel.put(base.index(), baseTok);
        for (LoadedModel m : models) {
            if (m == base) continue;
            ModelTokenizer t = null;
            try {
                t = TokenizerReader.read(m.folder(), vocabSize(m.config(), key));
            } catch (MergeException e) {
                warnings.add(new Diagnostic.Finding("tokenizer of model '" + m.label() + "' cannot be read ("
                        + e.getMessage() + "); assuming it is the same as the base model's"));
            }
            if (t == null) {
                warnings.add(new Diagnostic.Finding("model '" + m.label()
                        + "' has no tokenizer; assuming the base model's vocabulary"));
                t = baseTok;
            }
            byModel.put(m.index(), t);
        }

        ModelTokenizer source = switch (tc.source()) {
            case "base", "union" -> baseTok;
            default -> named(tc, models, byModel, locator, key);
        };
        // Every model's tokenizer in merge order, base first, each once (a shared base fallback counts once).
        List<ModelTokenizer> all = new ArrayList<>();
        for (ModelTokenizer t : byModel.values()) if (!all.contains(t)) all.add(t);
        OutputVocabulary vocab = VocabularyBuilder.build(source, all, tc.source().equals("union") && tc.sourceModel() == null,
                tc.tokens().keySet(), tc.padToMultipleOf());
        describe(vocab, tc, baseTok, warnings);
        return new TokenizerPlan(vocab, byModel, template);
    }

    private static ModelTokenizer named(TokenizerConfig tc, List<LoadedModel> models, Map<Integer, ModelTokenizer> byModel,
                                        ModelLocator locator, String key) {
        for (LoadedModel m : models) {
            if (m.ref().equals(tc.sourceModel())) {
                ModelTokenizer t = byModel.get(m.index());
                if (t == null || !t.folder().equals(m.folder())) throw noTokenizer(tc, m.folder());
                return t;
            }
        }
        Path folder = locator.locate(tc.sourceModel(), tc.pos());
        JsonNode config = TokenizerReader.readConfigIfPresent(folder);
        ModelTokenizer t = TokenizerReader.read(folder, config == null ? -1 : vocabSize(config, key));
        if (t == null) throw noTokenizer(tc, folder);
        return t;
    }

    private static ConfigException noTokenizer(TokenizerConfig tc, Path folder) {
        return new ConfigException(tc.pos() + ": tokenizer source '" + tc.sourceModel() + "' (" + folder
                + ") has neither tokenizer.json nor tokenizer.model");
    }

    private static void describe(OutputVocabulary vocab, TokenizerConfig tc, ModelTokenizer base,
                                 List<Diagnostic> warnings) {
        String padded = vocab.paddedRows() == vocab.size() ? ""
                : ", padded to " + vocab.paddedRows() + " rows (a multiple of " + tc.padToMultipleOf() + ")";
        String note = "";
        if (tc.padToMultipleOf() == null && base.vocabLimit() > vocab.size()) {
            note = "; the base model's embeddings had " + base.vocabLimit() + " rows: set"
                    + " 'tokenizer: {pad_to_multiple_of: N}' to keep a padded size";
        }
        warnings.add(new Diagnostic.Finding("tokenizer (" + tc.source() + "): the output vocabulary has " + vocab.size()
                + " tokens" + padded + "; config.json vocab_size is " + vocab.paddedRows() + note));
    }

    /** The config's vocabulary size at a dotted key, or -1 when absent. */
    static int vocabSize(JsonNode config, String dottedKey) {
        JsonNode n = config;
        for (String part : dottedKey.split("\\.")) {
            if (n == null) return -1;
            n = n.get(part);
        }
        return n != null && n.canConvertToInt() ? n.asInt() : -1;
    }
}
