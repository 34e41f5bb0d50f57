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

    /** The executor runs use: its {@code estimate} is what --dry-run reports. */
    public Executor executor() { return new Executor(execOptions); }

    public Plan plan(MergeConfig config) {
        Plan plan = planner.plan(config, planOptions);
        plan.warnings().forEach(warn);
        return plan;
    }

    /** Plans and runs {@code config} into {@code out}; an existing non-empty {@code out} needs {@code overwrite}. */
    public Plan run(MergeConfig config, Path out, boolean overwrite, Progress progress) {
        Plan plan = plan(config);
        try {
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
            for (LoadedModel m : plan.models()) m.weights().close();
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
            if (extras.copyTokenizer()) TokenizerFiles.copy(plan.donor().folder(), dir);
        } catch (IOException e) {
            throw new MergeException(dir + ": cannot write output files (" + e.getMessage() + ")");
        }
    }
}
