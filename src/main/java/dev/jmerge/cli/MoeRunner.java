package dev.jmerge.cli;

import dev.jmerge.config.ConfigLoader;
import dev.jmerge.config.LoadedMoeConfig;
import dev.jmerge.error.ConfigException;
import dev.jmerge.exec.MemoryEstimate;
import dev.jmerge.exec.Progress;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.moe.MoeBuild;
import dev.jmerge.moe.MoeGates;
import dev.jmerge.moe.MoePlan;
import dev.jmerge.moe.MoePlanner;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Builds a mergekit-moe config with the merge options: {@code jmerge moe CONFIG OUT}, and {@code jmerge CONFIG
 * OUT} when the config is a MoE one. Plans (every check), computes the gates, writes; with {@code --dry-run},
 * prints the plan instead.
 */
final class MoeRunner {

    /** Merge options that mean nothing to a MoE build, reported when given. */
    private static final List<String> NOT_FOR_MOE = List.of("--resume", "--strict", "--allow-crimes", "--lazy",
            "--no-lazy", "--intermediate-dir", "-I");

    private final CliContext ctx;
    private final MergeOptions options;

    MoeRunner(CliContext ctx, MergeOptions options) {
        this.ctx = ctx;
        this.options = options;
    }

    /** @param allowIdenticalExperts {@code --i-understand-this-is-not-useful-without-training} */
    int run(Path configFile, Path out, boolean allowIdenticalExperts) {
        reportNotForMoe();
        options.checkReportOptions();
        if (options.reportDir != null) {
            throw new picocli.CommandLine.ParameterException(options.mixee.commandLine(), "--report-dir: a MoE dry run"
                    + " reads no tensor, so it has no report; --report on the build writes one into its output");
        }
        LoadedMoeConfig loaded = ConfigLoader.loadMoe(configFile);
        loaded.diagnostics().forEach(d -> ctx.err().println("warning: " + d.message()));
        if (out == null && !options.shared.dryRun) {
            throw new ConfigException(configFile + ": a MoE config is built into one folder; give OUT_PATH");
        }
        Kernels kernels = options.shared.kernels(ctx);
        long start = System.nanoTime();
        try (MoePlan plan = MoePlanner.plan(loaded.config(), options.shared.locator(ctx),
                new MoePlanner.Options(allowIdenticalExperts, options.outShardSize))) {
            int workers = workers(plan);
            if (options.shared.dryRun) {
                if (out != null) dev.jmerge.run.OutputGuard.check(plan.models(), out, options.shared.overwrite);
                ctx.out().print(MoeReport.render(plan, out, workers, options.shared.threads(), budget()));
                return 0;
            }
            plan.warnings().forEach(w -> ctx.err().println("warning: " + w));
            long seed = seed(plan);
            MoeGates.Result gates = MoeGates.compute(plan, seed, kernels, options.shared.threads());
            gates.warnings().forEach(w -> ctx.err().println("warning: " + w));
            MoeBuild build = new MoeBuild(plan, gates, new MoeBuild.Options(workers, seed, kernels,
                    options.copyTokenizer, options.writeModelCard, configFile,
                    invocation(), options.reporting()),
                    n -> ctx.err().println("note: " + n));
            Progress progress = options.shared.showProgress(ctx) ? new TerminalProgress(ctx.err(),
                    out.getFileName().toString(), TerminalWidth.supplier(ctx.env())) : Progress.NONE;
            try (AutoCloseable watch = Interrupts.watch(ctx.err(),
                    () -> build.interrupt() ? null : "interrupted: nothing was written to " + out)) {
                build.run(out, options.shared.overwrite, progress);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e); // closing the watch throws nothing
            }
            if (options.shared.showStatus()) {
                String arrow = System.err.charset().newEncoder().canEncode('→') ? "→" : "->";
                ctx.err().println(String.format(Locale.ROOT, "built %s (%d experts): %d tensors (%s) in %.1f s %s %s",
                        plan.arch().label(), plan.config().experts().size(), plan.tensors().size(),
                        Bytes.human(plan.bytesWritten()), (System.nanoTime() - start) / 1e9, arrow, out));
                if (options.reporting()) ctx.err().println("report: " + out.resolve(dev.jmerge.report.ReportFiles.HTML));
            }
        }
        return 0;
    }

    /** The command line for the model card: {@code jmerge moe ...}, {@code jmerge ...} or {@code jmerge multi ...}. */
    private String invocation() {
        var cl = options.mixee.commandLine();
        String name = cl.getCommandName();
        return Invocation.of(name.equals("jmerge") ? "jmerge" : "jmerge " + name, cl.getParseResult().originalArgs());
    }

    /** Workers: -j, fewer when --memory cannot hold that many tiles and buffers. */
    private int workers(MoePlan plan) {
        long room = budget() - MemoryEstimate.BASELINE_BYTES;
        long fit = Math.max(1, room / MoeBuild.bytesPerWorker(plan, options.reporting()));
        return (int) Math.min(options.shared.threads(), fit);
    }

    private long budget() { return options.shared.memoryBudget(); }

    /** --random-seed, else a fresh one, printed when the build draws from it. */
    private long seed(MoePlan plan) {
        if (options.randomSeed != null) return options.randomSeed;
        long s = new SecureRandom().nextLong() & 0x7FFFFFFFFFFFL;
        if (plan.stochastic()) ctx.err().println("random seed: " + s + " (pass --random-seed " + s + " to reproduce)");
        return s;
    }

    private void reportNotForMoe() {
        List<String> given = new ArrayList<>();
        for (String arg : options.mixee.commandLine().getParseResult().originalArgs()) {
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            if (NOT_FOR_MOE.contains(name) && !given.contains(name)) given.add(name);
        }
        if (!given.isEmpty()) ctx.err().println("note: ignored (no meaning for a MoE build): " + String.join(", ", given));
    }
}
