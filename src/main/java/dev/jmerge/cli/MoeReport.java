package dev.jmerge.cli;

import dev.jmerge.config.MoeConfig;
import dev.jmerge.exec.MemoryEstimate;
import dev.jmerge.moe.MoeBuild;
import dev.jmerge.moe.MoePlan;
import dev.jmerge.moe.MoeTensor;
import dev.jmerge.plan.LoadedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The --dry-run report of a MoE build: architecture, models, gates, every tensor with its sources, shards, bytes. */
final class MoeReport {

    private MoeReport() {}

    static String render(MoePlan plan, Path out, int workers, int threads, long budget) {
        MoeConfig c = plan.config();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "moe: %s (%s), %d experts, %d per token%s, gate_mode %s, dtype %s%n",
                plan.arch().label(), plan.arch().hfClass(), c.experts().size(), c.expertsPerToken(),
                c.shared().isEmpty() ? "" : ", " + c.shared().size() + " shared", c.gateMode().yamlName(),
                plan.dtype().torchName()));
        plan.refusals().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
                .forEach(e -> sb.append("  not ").append(e.getKey().label()).append(": ").append(e.getValue()).append('\n'));
        sb.append("models:\n");
        sb.append("  base: ").append(plan.base().label()).append("  ").append(plan.base().folder()).append('\n');
        for (int i = 0; i < c.experts().size(); i++) sb.append(expert("expert " + i, c.experts().get(i), plan));
        for (MoeConfig.Expert e : c.shared()) sb.append(expert("shared", e, plan));
        sb.append(String.format(Locale.ROOT, "gates: %d layers x %d rows x %d (%s)%n", plan.layers(),
                plan.gateExperts().size(), plan.hidden(), gateSource(c.gateMode())));
        sb.append("tensors:\n");
        for (MoeTensor t : plan.tensors()) {
            sb.append("  ").append(t.name()).append(' ').append(t.shape()).append(' ')
                    .append(t.dtype().torchName()).append(" <- ").append(source(t)).append('\n');
        }
        PlanReport.shards(sb, plan.shards());
        sb.append(String.format(Locale.ROOT, "output: %s%n", out == null ? "(none)" : out.toAbsolutePath()));
        sb.append(String.format(Locale.ROOT, "tensors: %d  read: %s  written: %s%n", plan.tensors().size(),
                Bytes.human(plan.bytesRead()), Bytes.human(plan.bytesWritten())));
        long per = MoeBuild.bytesPerWorker();
        sb.append(String.format(Locale.ROOT, "peak memory estimate: %s (%d of %d threads x %s of tiles and buffers,"
                        + " plus %s baseline; budget %s)%s%n", Bytes.human(MemoryEstimate.BASELINE_BYTES + workers * per),
                workers, threads, Bytes.human(per), Bytes.human(MemoryEstimate.BASELINE_BYTES), Bytes.human(budget),
                c.gateMode().usesHiddenStates() ? "; the gates' forward pass reads the base model through its mapping" : ""));
        plan.warnings().forEach(w -> sb.append("warning: ").append(w).append('\n'));
        return sb.toString();
    }

    private static String expert(String label, MoeConfig.Expert e, MoePlan plan) {
        LoadedModel m = plan.models().stream().filter(x -> x.ref().equals(e.sourceModel())).findFirst().orElseThrow();
        List<String> notes = new ArrayList<>();
        if (e.hasPositivePrompts()) notes.add(e.positivePrompts().size() + " positive");
        if (!e.negatives().isEmpty()) notes.add(e.negatives().size() + " negative");
        if (e.noiseScale() != null) notes.add("noise_scale " + e.noiseScale());
        if (e.residualScale() != null) notes.add("residual_scale " + e.residualScale());
        return "  " + label + ": " + e.sourceModel() + "  " + m.folder() + (notes.isEmpty() ? "" : "  (" + String.join(", ", notes) + ")") + "\n";
    }

    private static String gateSource(MoeConfig.GateMode mode) {
        return switch (mode) {
            case RANDOM -> "standard normal draws";
            case UNIFORM_RANDOM -> "uniform draws in +-1/sqrt(hidden)";
            case CHEAP_EMBED -> "sums of the prompts' token embeddings";
            case HIDDEN, HIDDEN_LAST -> "base model's hidden states at each prompt's last token";
            case HIDDEN_AVG -> "base model's hidden states averaged over each prompt's tokens";
        };
    }

    private static String source(MoeTensor t) {
        return switch (t.source()) {
            case MoeTensor.Gate g -> "gates of layer " + g.layer() + (g.rows() == 1 ? ", row " + g.firstRow()
                    : ", rows " + g.firstRow() + ".." + (g.firstRow() + g.rows() - 1));
            case MoeTensor.Zeros z -> "zeros (the base model has no such bias)";
            case MoeTensor.Pieces p -> {
                List<String> parts = new ArrayList<>();
                for (MoeTensor.Piece piece : p.pieces()) {
                    String s = "[" + piece.model().label() + "] " + piece.tensor();
                    if (piece.noise() != null) s += " +noise " + piece.noise();
                    if (piece.scale() != null) s += " x" + piece.scale();
                    parts.add(s);
                }
                yield String.join(", ", parts);
            }
        };
    }
}
