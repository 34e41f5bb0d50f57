package dev.jmerge;

import dev.jmerge.config.MergeConfig;
import dev.jmerge.exec.Executor;
import dev.jmerge.exec.Progress;
import dev.jmerge.output.ConfigJson;
import dev.jmerge.output.ModelCard;
import dev.jmerge.output.OutputFolder;

import dev.jmerge.output.TokenizerFiles;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.plan.Plan;
import dev.jmerge.plan.Planner;
import dev.jmerge.tokenizer.TokenizerPlan;
import dev.jmerge.tokenizer.TokenizerWriter;
import dev.jmerge.plan.PlannedInput;
import dev.jmerge.plan.PlannedTensor;
import dev.jmerge.lora.LoraPatch;
import java.util.LinkedHashSet;
import java.util.Set;
import dev.jmerge.error.MergeException;
import dev.jmerge.io.safetensors.IndexWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * One merge, start to finish: plan (every check), then tensors into a temporary folder beside the output,
 * then config.json, model card and tokenizer, then one rename. Nothing appears at the output path unless
 * everything succeeded.
 */
public final class MergeRun {

    /** What the output folder gets besides the weights. */
    public record Extras(boolean copyTokenizer, boolean writeModelCard) {}

    private final Planner planner;
    private final Planner.Options planOptions;
    private final Executor.Options execOptions;
    private final Extras extras;
    private final Consumer<String> warn;

    public MergeRun(Planner planner, Planner.Options planOptions, Executor.Options execOptions, Extras extras,
                    Consumer<String> warn) {
        this.planner = planner;
        this.planOptions = planOptions;
        this.execOptions = execOptions;
        this.extras = extras;
        this.warn = warn;
    }

    public Plan plan(MergeConfig config) {
        Plan plan = planner.plan(config, planOptions);
        plan.warnings().forEach(warn);
        return plan;
    }

    /** Plans and runs {@code config} into {@code out}; an existing non-empty {@code out} needs {@code overwrite}. */
    public Plan run(MergeConfig config, Path out, boolean overwrite, Progress progress) {
        Plan plan = plan(config);
        try {
            fetchInputs(plan);
            OutputFolder folder = OutputFolder.prepare(out, overwrite);
            try {
                List<String> warnings = new Executor(execOptions).run(plan, folder.temp(), progress);
                warnings.forEach(warn);
                writeExtras(plan, folder.temp(), folder.target().getFileName().toString());
                folder.commit();
            } finally {
                folder.abort();
            }
            return plan;
        } finally {
            for (LoadedModel m : plan.models()) m.close();
        }
    }

    /** Hub models were planned from their headers: now download the weight files the plan reads, and no others. */
    static void fetchInputs(Plan plan) {
        for (LoadedModel m : plan.models()) {
            Set<Path> files = new LinkedHashSet<>();
            for (PlannedTensor t : plan.tensors()) {
                for (PlannedInput in : t.inputs()) {
                    if (in.model() == m.index() && !(in.lora() instanceof LoraPatch.Replace)) {
                        files.add(m.weights().fileOf(in.tensorName()));
                    }
                }
            }
            m.weights().fetch(files);
        }
    }

    /** A merged vocabulary is always written; otherwise the donor's files are copied (compat §4.2 step 4). */
    private void writeTokenizer(Plan plan, Path dir) {
        TokenizerPlan t = plan.tokenizer();
        if (t.vocabulary() != null) {
            TokenizerWriter.write(t.vocabulary(), t.chatTemplate(), dir);
            return;
        }
        if (!extras.copyTokenizer()) return;
        TokenizerFiles.copy(plan.donor().folder(), dir);
        if (t.chatTemplate() != null && !TokenizerWriter.setChatTemplate(dir, t.chatTemplate())) {
            warn.accept("chat_template: model '" + plan.donor().label() + "' has no tokenizer_config.json to"
                    + " set the template in; none is written");
        }
    }

    private void writeExtras(Plan plan, Path dir, String outputName) {
        try {
            if (plan.shards().needsIndex()) IndexWriter.write(dir, plan.shards());
            Files.writeString(dir.resolve("config.json"), ConfigJson.render(plan));
            if (extras.writeModelCard()) {
                Files.writeString(dir.resolve("README.md"), ModelCard.render(plan, outputName));
                Files.writeString(dir.resolve("mergekit_config.yml"), plan.config().yamlText());
            }
            writeTokenizer(plan, dir);
        } catch (IOException e) {
            throw new MergeException(dir + ": cannot write output files (" + e.getMessage() + ")");
        }
    }
}
