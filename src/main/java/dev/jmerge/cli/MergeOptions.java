package dev.jmerge.cli;

import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.exec.Executor;
import dev.jmerge.plan.Planner;
import dev.jmerge.run.MergeRun;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * mergekit's shared merge options (compat §5.1) plus jmerge's own, mixed into every command that merges
 * ({@code jmerge CONFIG OUT}, {@code jmerge multi}), and how they turn into a {@link MergeRun}; the options every
 * model-reading command has are {@link SharedOptions}.
 */
final class MergeOptions {

    @Spec(Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec mixee;

    @Option(names = "--out-shard-size", paramLabel = "SIZE", defaultValue = "5B", converter = ShardSize.class,
            description = "bytes of tensor data per output shard, K/M/B suffixes (default: ${DEFAULT-VALUE})")
    long outShardSize;

    @Option(names = "--copy-tokenizer", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "copy the base (else first) model's tokenizer files (default: on)")
    boolean copyTokenizer;

    @Option(names = "--write-model-card", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "write README.md and mergekit_config.yml (default: on)")
    boolean writeModelCard;

    @Option(names = "--allow-crimes", description = "allow merging models of different architectures")
    boolean allowCrimes;

    @Option(names = "--random-seed", paramLabel = "INT",
            description = "seed for stochastic methods (dare, della, sampled arcee_fusion); drawn when absent (or"
                    + " taken from the interrupted run with --resume), printed and written into the model card")
    Long randomSeed;

    @Option(names = "--report", description = "write report.json and report.html into the output folder: per tensor,"
            + " the task vectors' norms and cosines, model_stock's t or the kept shares, the merged change; plots per layer")
    boolean report;

    @Option(names = "--report-dir", paramLabel = "DIR", description = "with --dry-run: write the report (input numbers"
            + " only) into DIR, as a dry run makes no output folder; implies --report")
    Path reportDir;

    @Option(names = "--strict", description = "config mistakes (unknown keys, parameters the method does not use,"
            + " filters matching no tensor) are errors (exit 2, before anything is read); NaN or Inf in a tensor fails"
            + " the merge (exit 1, no output)")
    boolean strict;

    @Option(names = "--resume", description = "continue an interrupted merge into the same output, keeping its"
            + " verified shards and its seed")
    boolean resume;

    @Option(names = "--lazy", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "multi-document configs: reuse an intermediate made from the same document and inputs"
                    + " (default: on; --no-lazy rebuilds every one)")
    boolean lazy;

    @Mixin
    SharedOptions shared;

    /** The run every document of a config goes through, reporting to {@code ctx}. */
    MergeRun newRun(CliContext ctx, long seed) {
        Planner planner = new Planner(shared.locator(ctx));
        return new MergeRun(planner, new Planner.Options(allowCrimes, outShardSize),
                new Executor.Options(shared.threads(), Executor.DEFAULT_CHUNK, seed, shared.kernels(ctx),
                        shared.memoryBudget()),
                new MergeRun.Extras(copyTokenizer, writeModelCard, reporting()), new MergeRun.Guards(strict, resume),
                d -> ctx.err().println(render(d)), n -> ctx.err().println("note: " + n));
    }

    /** One line per diagnostic: a warning, or an error when --strict refuses it. */
    String render(Diagnostic d) {
        return (strict && d.configMistake() ? "error: " : "warning: ") + d.message();
    }

    /** Whether a report is asked for ({@code --report}, or {@code --report-dir} which implies it). */
    boolean reporting() { return report || reportDir != null; }

    /** A merge writes its report into its output; a dry run, which has none, needs --report-dir. */
    void checkReportOptions() {
        if (reportDir != null && !shared.dryRun) {
            throw new CommandLine.ParameterException(mixee.commandLine(), "--report-dir is for --dry-run; a merge"
                    + " writes its report into the output folder (use --report)");
        }
        if (report && shared.dryRun && reportDir == null) {
            throw new CommandLine.ParameterException(mixee.commandLine(), "--report with --dry-run needs --report-dir"
                    + " DIR: a dry run makes no output folder to put report.json and report.html in");
        }
    }
}
