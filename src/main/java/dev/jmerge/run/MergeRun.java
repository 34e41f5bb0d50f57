package dev.jmerge.run;

import dev.jmerge.config.MergeConfig;
import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.error.ConfigException;
import dev.jmerge.error.JmergeException;
import dev.jmerge.error.MergeException;
import dev.jmerge.error.OutputWriteException;
import dev.jmerge.exec.Executor;
import dev.jmerge.exec.MemoryEstimate;
import dev.jmerge.exec.Progress;
import dev.jmerge.io.safetensors.IndexWriter;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.output.ConfigJson;
import dev.jmerge.output.ModelCard;
import dev.jmerge.output.OutputFolder;
import dev.jmerge.output.PausePoint;
import dev.jmerge.output.TokenizerFiles;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.plan.Plan;
import dev.jmerge.plan.PlannedInput;
import dev.jmerge.plan.PlannedTensor;
import dev.jmerge.plan.Planner;
import dev.jmerge.tokenizer.TokenizerPlan;
import dev.jmerge.tokenizer.TokenizerWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One merge, start to finish: plan (every check, every decision), review (what the plan found, refused under
 * {@code --strict}), then tensors into a temporary folder beside the output in one executor session, each shard
 * recorded with its checksum in a journal as it is finished, then config.json, model card and tokenizer, then one
 * rename. Nothing appears at the output path unless everything succeeded; a killed run can be resumed from its
 * last finished shard.
 */
public final class MergeRun {

    /**
     * What the output folder gets besides the weights.
     *
     * @param report report.json and report.html: numbers gathered while the tensors stream ({@code --report})
     */
    public record Extras(boolean copyTokenizer, boolean writeModelCard, boolean report) {
        public Extras(boolean copyTokenizer, boolean writeModelCard) { this(copyTokenizer, writeModelCard, false); }
    }

    /**
     * @param strict config mistakes ({@link Diagnostic#configMistake()}) stop the merge before anything is read,
     *               and NaN or Inf in any output tensor fails it
     * @param resume continue a killed run of the same plan from its finished shards
     */
    public record Guards(boolean strict, boolean resume) {
        public static final Guards NONE = new Guards(false, false);
    }

    /** Bytes needed beyond the tensor data, for headers, config, model card and tokenizer files. */
    private static final long SPACE_MARGIN = 4L << 20;

    private final Planner planner;
    private final Planner.Options planOptions;
    private final Executor.Options execOptions;
    private final Extras extras;
    private final Guards guards;
    private final Consumer<Diagnostic> report;
    private final Consumer<String> note;
    private volatile Active active;

    /**
     * @param report receives what a user should act on (the plan's findings when reviewed, then each tensor's NaNs
     *               or kept quirks as the run finds them)
     * @param note receives routine facts (leftovers of earlier runs removed, shards kept by --resume)
     */
    public MergeRun(Planner planner, Planner.Options planOptions, Executor.Options execOptions, Extras extras,
                    Guards guards, Consumer<Diagnostic> report, Consumer<String> note) {
        this.planner = planner;
        this.planOptions = planOptions;
        this.execOptions = execOptions;
        this.extras = extras;
        this.guards = guards;
        this.report = report;
        this.note = note;
    }

    /** The executor runs use: its {@code estimate} is what --dry-run reports and the budget a run obeys. */
    public Executor executor() { return new Executor(execOptions); }

    Executor.Options execOptions() { return execOptions; }

    /** The seed random methods draw from. */
    public long seed() { return execOptions.seed(); }

    public Extras extras() { return extras; }

    /**
     * Every check and every decision, no tensor data read: the plan, with what the config and the planning found and
     * a check of config.json's vocabulary sizes against the embeddings.
     */
    public Plan plan(MergeConfig config) {
        Plan plan = planner.plan(config, planOptions);
        return plan.withDiagnostics(VocabCheck.diagnostics(plan));
    }

    /**
     * Reports what the plan found; under {@code --strict} a config mistake among them is a configuration error,
     * before any download, output folder or lock.
     */
    public void review(Plan plan) {
        plan.diagnostics().forEach(report);
        if (!guards.strict()) return;
        long mistakes = plan.diagnostics().stream().filter(Diagnostic::configMistake).count();
        if (mistakes > 0) {
            throw new ConfigException(plan.config().fileName() + ": --strict: " + mistakes + " configuration problem"
                    + (mistakes == 1 ? "" : "s") + " (above); nothing was read or written");
        }
    }

    /**
     * Makes later plans see {@code plan}'s output at {@code out} without writing it (--dry-run of a recipe):
     * close the returned stand-in when done.
     */
    public PlannedOutput standIn(Plan plan, Path out) {
        PlannedOutput p = PlannedOutput.stage(this, plan);
        planner.locator().standIn(out, p.located());
        return p;
    }

    /** Whether any tensor's method draws random numbers (then the seed decides the output). */
    public static boolean stochastic(Plan plan) {
        return plan.tensors().stream().anyMatch(t -> t.method().isStochastic());
    }

    /**
     * Refuses an output folder that is, contains or (with {@code overwrite}) lies inside an input model's folder:
     * writing there would replace or change the inputs.
     */
    public static void checkOutput(Plan plan, Path out, boolean overwrite) {
        OutputGuard.check(plan, out, overwrite);
    }

    /**
     * Runs a plan made by {@link #plan} (and {@link #review reviewed}) into {@code out}, then closes its models.
     *
     * @return what the run found while merging, each also given to the report as it was found
     */
    public List<Diagnostic> run(Plan plan, Path out, boolean overwrite, Progress progress) {
        Active a = new Active(out, plan.shards().shards().size());
        active = a;
        try {
            checkOutput(plan, out, overwrite);
            fetchInputs(plan);
            String fingerprint = PlanFingerprint.of(plan, execOptions);
            try (OutputFolder folder = OutputFolder.prepare(out, overwrite, fingerprint,
                    stochastic(plan) ? execOptions.seed() : null, guards.resume(), note)) {
                a.folder = folder;
                if (a.stopped) folder.interrupt();
                List<Diagnostic> found;
                try {
                    found = writeAll(plan, folder, progress, a);
                } catch (JmergeException e) {
                    throw DiskFull.explain(e, folder.target());
                }
                PausePoint.reach("before-commit");
                folder.commit();
                return found;
            }
        } finally {
            active = null;
            for (LoadedModel m : plan.models()) m.close();
        }
    }

    /** What {@link #interrupt()} found and did. */
    public record Interruption(Path out, int shardsKept, int shards, boolean published) {

        /** Whether nothing of this run is left on disk. */
        public boolean nothingKept() { return !published && shardsKept == 0; }
    }

    /** The run in progress, for {@link #interrupt()}. */
    private static final class Active {
        final Path out;
        final int shards;
        volatile OutputFolder folder;
        volatile Executor executor;
        volatile boolean stopped;

        Active(Path out, int shards) {
            this.out = out;
            this.shards = shards;
        }
    }

    /**
     * Stops the run in progress from another thread (a shutdown hook): the workers are stopped, shards cut short
     * are removed, finished ones stay with their journal for {@code --resume}.
     *
     * @return what was kept, or null when no run was in progress
     */
    public Interruption interrupt() {
        Active a = active;
        if (a == null) return null;
        a.stopped = true; // the run's thread checks this after publishing a folder or an executor
        OutputFolder f = a.folder;
        if (f != null) f.interrupt(); // before the workers stop: what their failure makes the run do removes nothing
        Executor e = a.executor;
        if (e != null) e.cancel();
        f = a.folder;
        if (f == null) return new Interruption(a.out, 0, a.shards, false);
        int kept = f.keepForResume();
        return new Interruption(a.out, Math.max(0, kept), a.shards, kept < 0);
    }

    /** Hub models were planned from their headers: now download the weight files the plan reads, and no others. */
    static void fetchInputs(Plan plan) {
        for (LoadedModel m : plan.models()) {
            Set<Path> files = new LinkedHashSet<>();
            for (PlannedTensor t : plan.tensors()) {
                for (PlannedInput in : t.inputs()) {
                    if (in.model() == m.index()) files.add(m.weights().fileOf(in.tensorName()));
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
            report.accept(new Diagnostic.Finding("chat_template: model '" + plan.donor().label() + "' has no"
                    + " tokenizer_config.json to set the template in; none is written"));
        }
    }

    /** The weights in one executor session, each shard journaled as it is finished; then the other files. */
    private List<Diagnostic> writeAll(Plan plan, OutputFolder folder, Progress progress, Active a) {
        List<ShardLayout.Shard> shards = plan.shards().shards();
        Set<String> names = new LinkedHashSet<>();
        for (ShardLayout.Shard s : shards) names.add(s.fileName());
        Map<String, Long> kept = folder.resumed() ? folder.verifiedShards(names) : Map.of();
        if (folder.resumed()) {
            note.accept("kept " + kept.size() + " of " + shards.size() + " shards (checksums verified)");
        }
        long keptBytes = 0;
        for (ShardLayout.Shard s : shards) if (kept.containsKey(s.fileName())) keptBytes += s.dataBytes();
        DiskFull.checkSpace(folder, plan.bytesWritten() - keptBytes + SPACE_MARGIN);

        Executor executor = new Executor(execOptions);
        a.executor = executor;
        if (a.stopped) executor.cancel();
        List<Diagnostic> found = new ArrayList<>();
        MemoryEstimate memory = executor.estimate(plan);
        if (memory.overBudget()) found.add(new Diagnostic.Finding(memory.overBudgetWarning()));
        found.forEach(report);
        Set<Diagnostic> seen = new LinkedHashSet<>(found);
        MergeStatistics stats = extras.report() ? new MergeStatistics(plan) : null;
        executor.run(plan, folder.temp(), kept.keySet(), new PausingProgress(progress), (shard, raised) -> {
            for (Diagnostic d : raised) {
                if (!seen.add(d)) continue;
                if (guards.strict() && d instanceof Diagnostic.NonFinite) {
                    throw new MergeException(d.message() + " (--strict refuses non-finite values)");
                }
                report.accept(d);
                found.add(d);
            }
            folder.shardFinished(shard.fileName());
            PausePoint.reach("shard-done");
        }, stats);
        writeExtras(plan, folder.temp(), folder.target().getFileName().toString());
        if (stats != null) {
            scanMissing(plan, executor, stats);
            stats.write(plan, true, folder.temp());
        }
        return found;
    }

    /** Shards kept by --resume were not merged by this run: their tensors' input numbers are read now. */
    private void scanMissing(Plan plan, Executor executor, MergeStatistics stats) {
        List<PlannedTensor> missing = plan.tensors().stream().filter(t -> !stats.has(t.name())).toList();
        if (missing.isEmpty()) return;
        note.accept("report: " + missing.size() + " tensors of the kept shards have input numbers only (no"
                + " output_delta_norm): they were merged by the interrupted run");
        executor.scan(withTensors(plan, missing), Progress.NONE, stats);
    }

    /**
     * Reads the inputs of every tensor of {@code plan} and writes report.json and report.html into {@code dir}
     * without merging ({@code --dry-run --report}); the plan's models stay open.
     */
    public void reportInputs(Plan plan, Path dir, Progress progress) {
        fetchInputs(plan);
        MergeStatistics stats = new MergeStatistics(plan);
        new Executor(execOptions).scan(plan, progress, stats);
        stats.write(plan, false, dir);
    }

    /** The plan with only {@code tensors} (for a scan: no shard is written). */
    private static Plan withTensors(Plan plan, List<PlannedTensor> tensors) {
        return new Plan(plan.config(), plan.method(), plan.models(), plan.arch(), tensors, new ShardLayout(List.of()),
                plan.donor(), plan.outputLayers(), plan.diagnostics(), plan.tokenizer(), plan.layerCounts(),
                plan.tagalongFiles());
    }

    /** Passes progress through, with the test hook after each tensor this run writes. */
    private record PausingProgress(Progress whole) implements Progress {
        @Override public void start(int tensors, long bytes) { whole.start(tensors, bytes); }
        @Override public void tensorDone(long bytes) {
            whole.tensorDone(bytes);
            PausePoint.reach("tensor-done");
        }
        @Override public void tensorKept(long bytes) { whole.tensorKept(bytes); }
        @Override public void finish() { whole.finish(); }
    }

    private void writeExtras(Plan plan, Path dir, String outputName) {
        try {
            if (plan.shards().needsIndex()) IndexWriter.write(dir, plan.shards());
            if (extras.writeModelCard()) {
                Long seed = stochastic(plan) ? execOptions.seed() : null;
                Files.writeString(dir.resolve("README.md"), ModelCard.render(plan, outputName, seed));
                Files.writeString(dir.resolve("mergekit_config.yml"), ModelCard.configFile(plan.config().yamlText(), seed));
            }
        } catch (IOException e) {
            throw new OutputWriteException(dir, -1, dir + ": cannot write output files (" + e.getMessage() + ")", e);
        }
        writeMetadata(plan, dir);
    }

    /** What a model folder has besides its weights and card: config.json, tokenizer files, tag-along files. */
    void writeMetadata(Plan plan, Path dir) {
        try {
            Files.writeString(dir.resolve("config.json"), ConfigJson.render(plan));
            writeTokenizer(plan, dir);
            TokenizerFiles.copyTagalong(plan.donor().folder(), dir, plan.tagalongFiles());
        } catch (IOException e) {
            throw new OutputWriteException(dir, -1, dir + ": cannot write output files (" + e.getMessage() + ")", e);
        }
    }
}
