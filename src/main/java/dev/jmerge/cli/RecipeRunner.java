package dev.jmerge.cli;

import dev.jmerge.run.MadeFrom;
import dev.jmerge.run.MergeRun;
import dev.jmerge.run.PlannedOutput;
import dev.jmerge.config.ConfigLoader;
import dev.jmerge.config.MergeConfig;
import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.error.MergeException;
import dev.jmerge.exec.Progress;
import dev.jmerge.methods.MethodRegistry;
import dev.jmerge.output.OutputFolder;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.plan.Plan;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Runs a config file's merges ({@link Recipe}) with the merge options: the documents in dependency order, each
 * planned (every check) then written; intermediates reused when {@code --lazy} finds them made from the same
 * document and inputs ({@link MadeFrom}); with {@code --dry-run}, every document planned against the planned
 * outputs of the ones before it, nothing written. Says what it did in one line per merge, and what an
 * interrupt left behind.
 */
final class RecipeRunner {

    private final CliContext ctx;
    private final MergeOptions options;
    private MergeRun run;
    private Recipe recipe;
    /** The drawn seed's line, said once the first merge that uses it starts (not before a config error). */
    private String seedLine;
    private final List<Recipe.Step> finished = new ArrayList<>();

    RecipeRunner(CliContext ctx, MergeOptions options) {
        this.ctx = ctx;
        this.options = options;
    }

    /**
     * @param pickFinal  see {@link Recipe#of}
     * @param outOption  how messages name the output path
     */
    int run(Path configFile, Path outPath, Path intermediateDir, boolean pickFinal, String outOption) {
        options.checkReportOptions();
        if (ConfigLoader.isMoe(configFile)) {
            return new MoeRunner(ctx, options).run(configFile, outPath, false);
        }
        List<MergeConfig> docs = ConfigLoader.load(configFile);
        recipe = Recipe.of(docs, outPath, intermediateDir, pickFinal, !options.shared.dryRun, outOption);
        run = options.newRun(ctx, seed(docs));
        try (AutoCloseable watch = Interrupts.watch(ctx.err(), this::interrupted)) {
            if (options.shared.dryRun) dryRun();
            else merge();
        } catch (OutOfMemoryError e) {
            throw new MergeException("out of memory (Java heap of " + Bytes.human(Runtime.getRuntime().maxMemory())
                    + "): lower --memory or -j, or give the JVM more with JMERGE_JAVA_OPTS=-Xmx...", e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e); // closing the watch throws nothing
        }
        return 0;
    }

    private void merge() {
        for (Recipe.Step step : recipe.steps()) {
            long start = System.nanoTime();
            Plan plan = run.plan(step.config());
            review(plan);
            if (step.intermediate() && Recipe.looksMerged(step.out())) {
                Optional<String> why = options.lazy ? MadeFrom.whyNot(step.out(), plan, run, options.randomSeed != null)
                        : Optional.of("--no-lazy");
                if (why.isEmpty()) {
                    close(plan);
                    status("reusing " + step.label() + ": " + step.out() + " was made from the same document and inputs");
                    finished.add(step);
                    continue;
                }
                ctx.err().println("note: rebuilding " + step.label() + " in " + step.out() + ": " + why.get());
            }
            Progress progress = options.shared.showProgress(ctx) ? new TerminalProgress(ctx.err(),
                    step.out().getFileName().toString(), TerminalWidth.supplier(ctx.env())) : Progress.NONE;
            if (seedLine != null && MergeRun.stochastic(plan)) {
                ctx.err().println(seedLine);
                seedLine = null;
            }
            List<Diagnostic> found = run.run(plan, step.out(), options.shared.overwrite || step.intermediate(), progress);
            if (step.intermediate()) MadeFrom.record(step.out(), plan, run);
            finished.add(step);
            status(summary(plan, System.nanoTime() - start, step.out(), plan.diagnostics().size() + found.size()));
            if (options.reporting()) status("report: " + step.out().resolve(dev.jmerge.report.ReportFiles.HTML));
        }
    }

    /** Plans every document without writing: later ones against stand-ins for the earlier ones' outputs. */
    private void dryRun() {
        List<PlannedOutput> standIns = new ArrayList<>();
        try {
            List<Recipe.Step> steps = recipe.steps();
            for (int i = 0; i < steps.size(); i++) {
                Recipe.Step step = steps.get(i);
                Plan plan = run.plan(step.config());
                try {
                    if (steps.size() > 1) {
                        ctx.out().println("== " + step.label() + " -> " + (step.out() == null ? "(no output path)" : step.out()));
                    }
                    boolean reuse = step.intermediate() && options.lazy && Recipe.looksMerged(step.out())
                            && MadeFrom.whyNot(step.out(), plan, run, options.randomSeed != null).isEmpty();
                    if (reuse) {
                        ctx.out().println("would reuse " + step.out() + " (made from the same document and inputs)");
                    } else {
                        if (step.out() != null) MergeRun.checkOutput(plan, step.out(), options.shared.overwrite || step.intermediate());
                        ctx.out().print(PlanReport.render(plan, step.out(), run.executor().estimate(plan)));
                    }
                    ctx.out().flush();
                    run.review(plan);
                    if (options.reporting()) reportInputs(plan, step, steps.subList(0, i));
                    if (!reuse && i + 1 < steps.size()) standIns.add(run.standIn(plan, step.out()));
                } finally {
                    close(plan);
                }
            }
        } finally {
            standIns.forEach(PlannedOutput::close);
        }
    }

    /**
     * --dry-run --report: the step's inputs read and their numbers written to --report-dir (a subfolder per
     * document of a recipe). A document that uses an earlier one's merge has nothing to read yet.
     */
    private void reportInputs(Plan plan, Recipe.Step step, List<Recipe.Step> before) {
        for (Recipe.Step b : before) {
            if (b.out() == null) continue;
            for (LoadedModel m : plan.models()) {
                if (Path.of(m.ref().model().path()).toAbsolutePath().normalize().equals(b.out().toAbsolutePath().normalize())) {
                    ctx.out().println("report: none for " + step.label() + ": it uses " + b.label()
                            + ", which a dry run does not merge");
                    return;
                }
            }
        }
        Path dir = recipe.steps().size() == 1 ? options.reportDir
                : options.reportDir.resolve(step.config().name() != null ? step.config().name() : "final");
        Progress progress = options.shared.showProgress(ctx) ? new TerminalProgress(ctx.err(), "report",
                TerminalWidth.supplier(ctx.env())) : Progress.NONE;
        run.reportInputs(plan, dir, progress);
        ctx.out().println("report: " + dir.resolve(dev.jmerge.report.ReportFiles.HTML) + " (input numbers only)");
    }

    /** The seed: --random-seed, else (with --resume) the interrupted run's, else a fresh one, said when it matters. */
    private long seed(List<MergeConfig> docs) {
        if (options.randomSeed != null) return options.randomSeed;
        if (options.resume) {
            for (Path out : recipe.outputs()) {
                Optional<Long> s = OutputFolder.interruptedSeed(out);
                if (s.isPresent()) {
                    ctx.err().println("random seed: " + s.get() + " (the interrupted merge's, from its journal)");
                    return s.get();
                }
            }
        }
        long s = new SecureRandom().nextLong() & 0x7FFFFFFFFFFFL;
        boolean stochastic = docs.stream().anyMatch(d -> MethodRegistry.find(d.mergeMethod())
                .map(m -> m.isStochastic()).orElse(false));
        if (stochastic && !options.shared.dryRun) seedLine = "random seed: " + s + " (pass --random-seed " + s + " to reproduce)";
        return s;
    }

    /** The one line an interrupt leaves: what is kept and how to continue, or that nothing was written. */
    private String interrupted() {
        MergeRun.Interruption i = run.interrupt();
        if (i != null && i.published()) return null;
        if (options.shared.dryRun) return "interrupted: nothing was written";
        String kept = finished.isEmpty() ? "" : "; finished intermediates are kept and reused by the next run ("
                + String.join(", ", finished.stream().map(Recipe.Step::label).toList()) + ")";
        if (i == null || i.nothingKept()) {
            Path out = i != null ? i.out() : recipe.steps().getLast().out();
            return "interrupted: nothing was written to " + out + kept;
        }
        return "interrupted: " + i.shardsKept() + " of " + i.shards() + " shards of " + i.out() + " are finished and"
                + " kept; run the same command with --resume to continue" + kept;
    }

    private void status(String line) {
        if (options.shared.showStatus()) ctx.err().println(line);
    }

    /** Reports what the plan found (refused under --strict); the plan's models are closed when that stops it. */
    private void review(Plan plan) {
        try {
            run.review(plan);
        } catch (RuntimeException e) {
            close(plan);
            throw e;
        }
    }

    /** {@code merged N tensors (X) in T s → OUT}, with the number of warnings when there were any. */
    private String summary(Plan plan, long nanos, Path out, int warnings) {
        String arrow = System.err.charset().newEncoder().canEncode('→') ? "→" : "->";
        return String.format(Locale.ROOT, "merged %d tensors (%s) in %.1f s %s %s%s", plan.tensors().size(),
                Bytes.human(plan.bytesWritten()), nanos / 1e9, arrow, out,
                warnings == 0 ? "" : " (" + warnings + " warning" + (warnings == 1 ? "" : "s") + ")");
    }

    private static void close(Plan plan) {
        plan.models().forEach(LoadedModel::close);
    }
}
