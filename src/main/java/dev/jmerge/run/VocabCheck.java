package dev.jmerge.run;

import dev.jmerge.arch.ConfigPath;
import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.plan.Plan;
import dev.jmerge.plan.PlannedInput;
import dev.jmerge.plan.PlannedTensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A config.json whose vocabulary size disagrees with the embedding it ships is a sign of a broken or
 * mislabelled model: the merge can go on (rows are aligned by the planner), but the user should know.
 */
final class VocabCheck {

    private VocabCheck() {}

    static List<Diagnostic> diagnostics(Plan plan) {
        List<Diagnostic> out = new ArrayList<>();
        for (LoadedModel m : plan.models()) {
            var vocab = ConfigPath.findInt(m.config(), plan.arch().vocabSizeKey());
            if (vocab.isEmpty()) continue;
            PlannedInput embed = firstEmbedding(plan, m.index());
            if (embed == null || embed.info().shape().rank() != 2) continue;
            long rows = embed.info().shape().dim(0);
            if (rows != vocab.get()) {
                out.add(new Diagnostic.Finding("model '" + m.label() + "' (" + m.folder() + "): config.json "
                        + plan.arch().vocabSizeKey() + " is " + vocab.get() + " but tensor '" + embed.tensorName()
                        + "' has " + rows + " rows"));
            }
        }
        return out;
    }

    private static PlannedInput firstEmbedding(Plan plan, int model) {
        for (PlannedTensor t : plan.tensors()) {
            if (!t.isEmbed()) continue;
            for (PlannedInput in : t.inputs()) if (in.model() == model) return in;
        }
        return null;
    }
}
