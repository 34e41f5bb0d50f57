package dev.jmerge.cli;

import dev.jmerge.MergeRun;
import dev.jmerge.config.ConfigLoader;
import dev.jmerge.config.MergeConfig;
import dev.jmerge.error.JmergeException;
import dev.jmerge.exec.Executor;
import dev.jmerge.exec.MemoryEstimate;
import dev.jmerge.exec.Progress;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.KernelsProvider;
import dev.jmerge.methods.MethodRegistry;
import dev.jmerge.plan.Plan;
import dev.jmerge.plan.Planner;
import dev.jmerge.source.ModelLocator;
import dev.jmerge.source.hub.DownloadProgress;
import dev.jmerge.source.hub.HubClient;
import dev.jmerge.source.hub.HubModels;
import dev.jmerge.source.hub.HubSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "jmerge", mixinStandardHelpOptions = true, version = "jmerge 0.1.0",
        sortOptions = false, usageHelpAutoWidth = true,
        description = {"Merge language models as a mergekit YAML config describes, streamed in bounded memory.",
                "Same configs and flags as mergekit-yaml; the output folder appears only when complete.",
                "Benchmark against the I/O floor: jmerge bench (see jmerge bench --help)."},
        footerHeading = "%nMerge methods (parameters with mergekit's defaults):%n",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:merged", "1:the merge failed (input files, disk)", "2:usage or configuration error"})
public final class MergeCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CONFIG_FILE", description = "mergekit YAML config")
    Path configFile;

    @Parameters(index = "1", paramLabel = "OUT_PATH", description = "output model folder", arity = "0..1")
    Path outPath;

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
            description = "seed for stochastic methods (dare, della); drawn and printed when absent")
    Long randomSeed;

    @Option(names = {"-j", "--num-threads"}, paramLabel = "INT",
            description = "worker threads (default: number of cores)")
    Integer threads;

    // --- memory budget (issue 4): the executor sizes its workers to fit; --dry-run prints its estimate ---
    @Option(names = "--memory", paramLabel = "SIZE", converter = MemorySize.class,
            description = "memory the merge may use, K/M/G suffixes (default: 512M); fewer tensors run at once to fit")
    Long memory;

    @Option(names = "-v", description = "more output (-v: details, -vv: stack traces)")
    boolean[] verbose = new boolean[0];

    @Option(names = "--quiet", description = "no progress display")
    boolean quiet;

    @Option(names = "--dry-run", description = "print the plan (tensors, bytes, shards, memory) and stop")
    boolean dryRun;

    @Option(names = "--overwrite", description = "replace an existing non-empty output folder")
    boolean overwrite;

    // Reliability (issue 7): refuse non-finite output, continue a killed run.
    @Option(names = "--strict", description = "fail (exit 1, no output) when a tensor gets NaN or Inf values")
    boolean strict;

    @Option(names = "--resume", description = "continue a killed merge into OUT_PATH, keeping its verified shards")
    boolean resume;

    @Option(names = {"--intermediate-dir", "-I"}, paramLabel = "DIR",
            description = "multi-document configs: where named intermediate merges go (default: beside OUT_PATH)")
    Path intermediateDir;

    @Option(names = "--transformers-cache", paramLabel = "PATH",
            description = "Hugging Face hub cache to find models in (default: HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub)")
    Path transformersCache;

    // mergekit flags that mean nothing on this engine: accepted so existing scripts run, reported once.
    @Option(names = {"--cuda", "--low-cpu-memory", "--lazy-unpickle", "--clone-tensors", "--trust-remote-code",
            "--read-to-gpu", "--multi-gpu", "--gpu-rich", "--async-write", "--safe-serialization",
            "--no-cuda", "--no-low-cpu-memory", "--no-lazy-unpickle", "--no-clone-tensors",
            "--no-trust-remote-code", "--no-read-to-gpu", "--no-multi-gpu", "--no-async-write",
            "--no-safe-serialization"}, hidden = true)
    boolean[] ignoredFlags = new boolean[0];

    @Option(names = {"--device", "--write-threads", "--lora-merge-dtype"}, hidden = true,
            paramLabel = "VALUE")
    List<String> ignoredValues = new ArrayList<>();

    private PrintWriter err() { return spec.commandLine().getErr(); }

    private PrintWriter out() { return spec.commandLine().getOut(); }

    @Override
    public Integer call() {
        try {
            return merge();
        } catch (JmergeException e) {
            err().println("error: " + e.getMessage());
            if (verbose.length >= 2) e.printStackTrace(err());
            err().flush();
            return e.exitCode();
        } catch (RuntimeException | OutOfMemoryError e) {
            err().println("error: internal failure: " + e);
            if (verbose.length >= 1) e.printStackTrace(err());
            else err().println("(run with -v for details)");
            err().flush();
            return 1;
        }
    }

    private int merge() {
        reportIgnoredFlags();
        if (outPath == null && !dryRun) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Missing required parameter: 'OUT_PATH'");
        }
        KernelsProvider.reportFallback(msg -> err().println("note: " + msg));
        List<MergeConfig> docs = ConfigLoader.load(configFile);
        Recipe recipe = Recipe.of(docs, outPath, intermediateDir);
        Kernels kernels = KernelsProvider.get();
        long seed = seed(docs);
        int nThreads = threads != null && threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        Planner planner = new Planner(new ModelLocator(Path.of("").toAbsolutePath(), hubModels())
                .withLoraMergeCache(loraMergeCache));
        MergeRun run = new MergeRun(planner, new Planner.Options(allowCrimes, outShardSize),
                new Executor.Options(nThreads, Executor.DEFAULT_CHUNK, seed, kernels,
                        memory != null ? memory : MemoryEstimate.DEFAULT_BUDGET),
                new MergeRun.Extras(copyTokenizer, writeModelCard), new MergeRun.Guards(strict, resume),
                w -> err().println("warning: " + w));
        for (Recipe.Step step : recipe.steps()) {
            if (dryRun) {
                Plan plan = run.plan(step.config());
                try {
                    out().print(PlanReport.render(plan, step.out(), run.executor().estimate(plan)));
                } finally {
                    plan.models().forEach(m -> m.close());
                }
                continue;
            }
            if (step.skipIfPresent() && Recipe.looksMerged(step.out())) {
                err().println("skipping '" + step.config().name() + "': " + step.out() + " already holds a model");
                continue;
            }
            Progress progress = quiet || !TerminalProgress.isTerminal() ? Progress.NONE
                    : new TerminalProgress(err(), step.out().getFileName().toString());
            run.run(step.config(), step.out(), overwrite || step.skipIfPresent(), progress);
            if (verbose.length > 0 || recipe.steps().size() > 1) err().println("wrote " + step.out());
        }
        out().flush();
        return 0;
    }

    // ---- Hugging Face Hub -------------------------------------------------------------------------------

    /** The environment Hub settings are read from (HF_*); {@link Main#run(java.util.Map, String...)} sets it. */
    java.util.Map<String, String> environment = System.getenv();

    @Option(names = "--lora-merge-cache", paramLabel = "DIR",
            description = "write base+LoRA merges here and reuse them (default: adapters are applied while reading)")
    Path loraMergeCache;

    @Option(names = "--download-threads", paramLabel = "INT", defaultValue = "4",
            description = "parallel file downloads from the Hugging Face Hub (default: ${DEFAULT-VALUE})")
    int downloadThreads;

    private HubModels hubModels() {
        HubSettings settings = HubSettings.from(environment, transformersCache);
        DownloadProgress progress = quiet || !TerminalProgress.isTerminal() ? DownloadProgress.NONE
                : new TerminalDownloads(err());
        return new HubModels(settings, HubClient.Options.DEFAULT, Math.max(1, downloadThreads), progress);
    }

    private long seed(List<MergeConfig> docs) {
        if (randomSeed != null) return randomSeed;
        long s = new SecureRandom().nextLong() & 0x7FFFFFFFFFFFL;
        boolean stochastic = docs.stream().anyMatch(d -> MethodRegistry.find(d.mergeMethod())
                .map(m -> m.isStochastic()).orElse(false));
        if (stochastic) err().println("random seed: " + s + " (pass --random-seed " + s + " to reproduce)");
        return s;
    }

    private void reportIgnoredFlags() {
        List<String> given = new ArrayList<>();
        for (String arg : spec.commandLine().getParseResult().originalArgs()) {
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            var opt = spec.findOption(name);
            if (opt != null && opt.hidden() && !given.contains(name)) given.add(name);
        }
        if (!given.isEmpty()) {
            err().println("note: ignored (no meaning for jmerge): " + String.join(", ", given));
        }
    }

    /** The methods list for --help: name, base rule, parameters with defaults, one method a line. */
    static String methodsHelp() {
        StringBuilder sb = new StringBuilder();
        for (var m : MethodRegistry.all()) {
            List<String> ps = new ArrayList<>();
            for (var p : m.globalParameters()) ps.add(p.describe());
            for (var p : m.modelParameters()) ps.add(p.describe() + " per model");
            sb.append("  ").append(m.name()).append(" (base model ")
                    .append(m.baseModel().name().toLowerCase(java.util.Locale.ROOT)).append(")%n");
            if (!ps.isEmpty()) sb.append("      ").append(String.join(", ", ps)).append("%n");
        }
        return sb.toString();
    }
}
