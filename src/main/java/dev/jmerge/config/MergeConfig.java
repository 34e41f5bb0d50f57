package dev.jmerge.config;

import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.tensor.DType;
import java.util.List;
import java.util.Map;

/**
 * One merge as a YAML document describes it, parsed and checked for shape (types, keys, exclusive choices).
 * Exactly one of {@code models}, {@code slices}, {@code modules} is non-null. Checks that need the models
 * themselves or the method registry happen when the plan is built.
 *
 * @param yamlText the document's text verbatim (written to mergekit_config.yml)
 * @param diagnostics what reading it found (keys nothing reads), in file order
 */
public record MergeConfig(
        String mergeMethod,
        SourcePos mergeMethodPos,
        List<InputModel> models,
        List<OutputSlice> slices,
        Map<String, ModuleConfig> modules,
        ModelReference baseModel,
        SourcePos baseModelPos,
        Parameters parameters,
        DType dtype,
        DType outDtype,
        TokenizerConfig tokenizer,
        String chatTemplate,
        String name,
        String yamlText,
        String fileName,
        List<Diagnostic> diagnostics) {

    public MergeConfig {
        diagnostics = List.copyOf(diagnostics);
    }

    /** Built-in chat template names (compat §4.4); any other value but "auto" must look like a Jinja template. */
    public static final List<String> CHAT_TEMPLATE_NAMES = List.of("alpaca", "chatml", "exaone", "llama3", "mistral");
}
