package dev.jmerge.moe;

import dev.jmerge.config.ModelReference;
import dev.jmerge.config.MoeConfig;
import dev.jmerge.output.ModelCard;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** README.md of a MoE model: Hub front matter, what came from where, how the gates were made, the config. */
final class MoeCard {

    private MoeCard() {}

    /**
     * @param seed       the seed of the random gates or the noise, or null when nothing was drawn
     * @param invocation the command line that built it, or null
     */
    static String render(MoePlan plan, String outputName, Long seed, String invocation) {
        MoeConfig c = plan.config();
        List<ModelReference> refs = new ArrayList<>();
        refs.add(c.baseModel());
        c.experts().forEach(e -> refs.add(e.sourceModel()));
        c.shared().forEach(e -> refs.add(e.sourceModel()));
        StringBuilder sb = new StringBuilder("---\n").append(ModelCard.baseModels(refs));
        sb.append("library_name: transformers\ntags:\n- mergekit\n- moe\n- merge\n- jmerge\n---\n");
        sb.append("# ").append(outputName).append("\n\n");
        sb.append("A mixture of experts built from dense models with jmerge, a Java implementation of")
                .append(" [mergekit](https://github.com/arcee-ai/mergekit)'s `mergekit-moe`. No training was involved.\n\n");
        sb.append("## How it was built\n\n");
        sb.append(String.format(Locale.ROOT, "Architecture: %s (`%s`), %d experts, %d per token%s.%n%n",
                plan.arch().label(), plan.arch().hfClass(), c.experts().size(), c.expertsPerToken(),
                c.shared().isEmpty() ? "" : ", plus a shared expert every token goes through"));
        sb.append("Attention, norms and embeddings come from ").append(ModelCard.link(c.baseModel()))
                .append("; each expert's MLP from its model:\n\n");
        for (int i = 0; i < c.experts().size(); i++) sb.append(expertLine("Expert " + i, c.experts().get(i)));
        for (MoeConfig.Expert e : c.shared()) sb.append(expertLine("Shared expert", e));
        sb.append("\nRouter weights: `gate_mode: ").append(c.gateMode().yamlName()).append("`, ")
                .append(gateText(c.gateMode())).append('\n');
        if (seed != null) {
            sb.append("\nRandom seed: ").append(seed).append(" (`--random-seed ").append(seed)
                    .append("` builds the same model).\n");
        }
        if (invocation != null) sb.append("\nCommand: `").append(invocation).append("`\n");
        sb.append("\n## Configuration\n\n```yaml\n").append(c.yamlText().stripTrailing()).append("\n```\n");
        return sb.toString();
    }

    private static String expertLine(String label, MoeConfig.Expert e) {
        StringBuilder sb = new StringBuilder("* ").append(label).append(": ").append(ModelCard.link(e.sourceModel()));
        List<String> notes = new ArrayList<>();
        if (e.hasPositivePrompts()) notes.add(e.positivePrompts().size() + " positive prompt" + plural(e.positivePrompts()));
        if (!e.negatives().isEmpty()) notes.add(e.negatives().size() + " negative prompt" + plural(e.negatives()));
        if (e.noiseScale() != null) notes.add("noise_scale " + e.noiseScale());
        if (e.residualScale() != null) notes.add("residual_scale " + e.residualScale());
        if (!notes.isEmpty()) sb.append(" (").append(String.join(", ", notes)).append(')');
        return sb.append('\n').toString();
    }

    private static String plural(List<String> l) { return l.size() == 1 ? "" : "s"; }

    private static String gateText(MoeConfig.GateMode mode) {
        return switch (mode) {
            case HIDDEN, HIDDEN_LAST -> "each expert's row the base model's hidden state at the last token of its"
                    + " prompts, per layer, averaged over the prompts, less the negative prompts', normalised.";
            case HIDDEN_AVG -> "each expert's row the base model's hidden states averaged over the tokens of its"
                    + " prompts, per layer, averaged over the prompts, less the negative prompts', normalised.";
            case CHEAP_EMBED -> "each expert's row the normalised sum of its prompts' token embeddings, less the"
                    + " negative prompts', normalised; the same in every layer.";
            case RANDOM -> "standard normal draws (meant to be trained).";
            case UNIFORM_RANDOM -> "uniform draws in ±1/√hidden, as torch initialises a Linear layer (meant to be trained).";
        };
    }
}
