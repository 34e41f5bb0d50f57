package dev.jmerge.cli;

import dev.jmerge.MergeRun;
import dev.jmerge.exec.Executor;
import dev.jmerge.exec.MemoryEstimate;
import dev.jmerge.kernels.KernelsProvider;
import dev.jmerge.plan.Planner;
import dev.jmerge.source.ModelLocator;
import dev.jmerge.source.hub.DownloadProgress;
import dev.jmerge.source.hub.HubClient;
import dev.jmerge.source.hub.HubModels;
import dev.jmerge.source.hub.HubSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * mergekit's shared merge options (compat §5.1) plus jmerge's own, mixed into every command that merges
 * ({@code jmerge CONFIG OUT}, {@code jmerge multi}), and how they turn into a {@link MergeRun}.
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

    @Option(names = {"-j", "--num-threads"}, paramLabel = "INT",
            description = "worker threads (default: number of cores)")
    Integer threads;

    @Option(names = "--memory", paramLabel = "SIZE", converter = MemorySize.class,
            description = "memory the merge may use, K/M/G suffixes (default: 512M); fewer tensors run at once to fit")
    Long memory;

    @Option(names = "-v", description = "more output (-v: details, -vv: stack traces)")
    boolean[] verbose = new boolean[0];

    @Option(names = "--quiet", description = "only warnings and errors: no progress, Hub status or summary line")
    boolean quiet;

    @Option(names = "--dry-run", description = "print the plan (tensors, bytes, shards, memory) of every document and stop")
    boolean dryRun;

    @Option(names = "--report", description = "write report.json and report.html into the output folder: per tensor,"
            + " the task vectors' norms and cosines, model_stock's t or the kept shares, the merged change; plots per layer")
    boolean report;

    @Option(names = "--report-dir", paramLabel = "DIR", description = "with --dry-run: write the report (input numbers"
            + " only) into DIR, as a dry run makes no output folder; implies --report")
    Path reportDir;

    @Option(names = "--overwrite", description = "replace an existing non-empty output folder (never an input model's)")
    boolean overwrite;

    @Option(names = "--strict", description = "fail (exit 1, no output) when a tensor gets NaN or Inf values")
    boolean strict;

    @Option(names = "--resume", description = "continue an interrupted merge into the same output, keeping its"
            + " verified shards and its seed")
    boolean resume;

    @Option(names = "--lazy", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "multi-document configs: reuse an intermediate made from the same document and inputs"
                    + " (default: on; --no-lazy rebuilds every one)")
    boolean lazy;

    @Option(names = "--transformers-cache", paramLabel = "PATH",
            description = "Hugging Face hub cache to find models in (default: HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub)")
    Path transformersCache;

    @Option(names = "--lora-merge-cache", paramLabel = "DIR",
            description = "write base+LoRA merges here and reuse them (default: adapters are applied while reading)")
    Path loraMergeCache;

    @Option(names = "--download-threads", paramLabel = "INT", defaultValue = "4",
            description = "parallel file downloads from the Hugging Face Hub (default: ${DEFAULT-VALUE})")
    int downloadThreads;

    // mergekit flags that mean nothing on this engine: accepted so existing scripts run, reported once.
    @Option(names = {"--cuda", "--low-cpu-memory", "--lazy-unpickle", "--clone-tensors", "--trust-remote-code",
            "--read-to-gpu", "--multi-gpu", "--gpu-rich", "--async-write", "--safe-serialization",
            "--no-cuda", "--no-low-cpu-memory", "--no-lazy-unpickle", "--no-clone-tensors",
            "--no-trust-remote-code", "--no-read-to-gpu", "--no-multi-gpu", "--no-async-write",
            "--no-safe-serialization"}, hidden = true)
    boolean[] ignoredFlags = new boolean[0];

    @Option(names = {"--device", "--write-threads", "--lora-merge-dtype"}, hidden = true, paramLabel = "VALUE")
    List<String> ignoredValues = new ArrayList<>();

    /** The run every document of a config goes through, reporting to {@code ctx}. */
    MergeRun newRun(CliContext ctx, long seed) {
        KernelsProvider.reportFallback(msg -> ctx.err().println("note: " + msg));
        int nThreads = threads != null && threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        Planner planner = new Planner(new ModelLocator(Path.of("").toAbsolutePath(), hubModels(ctx))
                .withLoraMergeCache(loraMergeCache));
        return new MergeRun(planner, new Planner.Options(allowCrimes, outShardSize),
                new Executor.Options(nThreads, Executor.DEFAULT_CHUNK, seed, KernelsProvider.get(),
                        memory != null ? memory : MemoryEstimate.DEFAULT_BUDGET),
                new MergeRun.Extras(copyTokenizer, writeModelCard, reporting()), new MergeRun.Guards(strict, resume),
                w -> ctx.err().println("warning: " + w), n -> ctx.err().println("note: " + n));
    }

    /** Whether a report is asked for ({@code --report}, or {@code --report-dir} which implies it). */
    boolean reporting() { return report || reportDir != null; }

    /** A merge writes its report into its output; a dry run, which has none, needs --report-dir. */
    void checkReportOptions() {
        if (reportDir != null && !dryRun) {
            throw new CommandLine.ParameterException(mixee.commandLine(), "--report-dir is for --dry-run; a merge"
                    + " writes its report into the output folder (use --report)");
        }
        if (report && dryRun && reportDir == null) {
            throw new CommandLine.ParameterException(mixee.commandLine(), "--report with --dry-run needs --report-dir"
                    + " DIR: a dry run makes no output folder to put report.json and report.html in");
        }
    }

    /** Status lines (Hub lookups, summaries, skipped steps) are shown unless --quiet. */
    boolean showStatus() { return !quiet; }

    /** The progress display: only on a terminal (or when JMERGE_PROGRESS=always), never with --quiet. */
    boolean showProgress(CliContext ctx) {
        return !quiet && (TerminalProgress.isTerminal() || "always".equals(ctx.env().get("JMERGE_PROGRESS")));
    }

    private HubModels hubModels(CliContext ctx) {
        HubSettings settings = HubSettings.from(ctx.env(), transformersCache);
        DownloadProgress progress = quiet ? DownloadProgress.NONE
                : showProgress(ctx) ? new TerminalDownloads(ctx.err(), TerminalWidth.supplier(ctx.env()))
                : new HubStatusLines(ctx.err());
        return new HubModels(settings, HubClient.Options.DEFAULT, Math.max(1, downloadThreads), progress);
    }

    /** One note listing the mergekit flags given that mean nothing here. */
    void reportIgnoredFlags(CliContext ctx) {
        List<String> given = new ArrayList<>();
        for (String arg : mixee.commandLine().getParseResult().originalArgs()) {
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            var opt = mixee.findOption(name);
            if (opt != null && opt.hidden() && !given.contains(name)) given.add(name);
        }
        if (!given.isEmpty()) ctx.err().println("note: ignored (no meaning for jmerge): " + String.join(", ", given));
    }
}
