package dev.jmerge.output;

import dev.jmerge.config.ModelReference;
import java.util.List;

/**
 * README.md for an extracted LoRA adapter: front matter the Hub understands (library peft, the Hub models it
 * came from), where it came from, a warning when the vocabulary changed, and the command that made it.
 */
public final class AdapterCard {

    private AdapterCard() {}

    /**
     * @param baseVocab  rows of the base model's input embedding (0 when unknown)
     * @param ftVocab    rows of the fine-tune's input embedding (0 when unknown)
     * @param invocation the command line, as the user could run it again
     */
    public static String render(String name, ModelReference base, ModelReference fineTune, String invocation,
                                long baseVocab, long ftVocab) {
        StringBuilder sb = new StringBuilder("---\n").append(ModelCard.baseModels(List.of(base, fineTune)));
        sb.append("library_name: peft\ntags:\n- mergekit\n- peft\n- jmerge\n---\n");
        sb.append("# ").append(name).append("\n\n");
        sb.append("A LoRA adapter extracted with jmerge, a Java implementation of [mergekit]")
                .append("(https://github.com/arcee-ai/mergekit)'s mergekit-extract-lora: the change a fine-tune made")
                .append(" to each weight matrix of its base, approximated by a truncated singular value")
                .append(" decomposition. No training was involved.\n\n");
        sb.append("## Source\n\n");
        sb.append("Extracted from ").append(ModelCard.link(fineTune)).append(", with ").append(ModelCard.link(base))
                .append(" as the base.\n");
        if (baseVocab > 0 && ftVocab > 0 && baseVocab != ftVocab) {
            sb.append("\n> [!WARNING]\n> The fine-tune's vocabulary has ").append(ftVocab).append(" tokens where the")
                    .append(" base has ").append(baseVocab).append(". Resize the base model's embeddings first")
                    .append(" (`model.resize_token_embeddings(").append(ftVocab).append(")`), then load this adapter.\n");
        }
        sb.append("\n## Command\n\nThis adapter was made by:\n\n```sh\n").append(invocation).append("\n```\n");
        return sb.toString();
    }
}
