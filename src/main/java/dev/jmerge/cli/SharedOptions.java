package dev.jmerge.cli;

import dev.jmerge.exec.MemoryEstimate;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.KernelsProvider;
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

/**
 * The options of every command that reads models and writes an output folder (merges, {@code jmerge multi},
 * {@code jmerge extract-lora}): threads, memory, output verbosity, the Hub and its cache, and mergekit's flags that
 * mean nothing on this engine; and what they turn into (the model locator, the kernels, the progress display).
 */
final class SharedOptions {

    @Option(names = {"-j", "--num-threads"}, paramLabel = "INT",
            description = "worker threads (default: number of cores)")
    Integer threads;

    @Option(names = "--memory", paramLabel = "SIZE", converter = MemorySize.class,
            description = "memory the command may use, K/M/G suffixes (default: 512M); less work runs at once to fit")
    Long memory;

    @Option(names = "-v", description = "more output (-v: details, -vv: stack traces)")
    boolean[] verbose = new boolean[0];

    @Option(names = "--quiet", description = "only warnings and errors: no progress, Hub status or summary line")
    boolean quiet;

    @Option(names = "--dry-run", description = "print the plan (tensors or modules, bytes, memory) and stop")
    boolean dryRun;

    @Option(names = "--overwrite", description = "replace an existing non-empty output folder (never an input model's)")
    boolean overwrite;

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

    /** -j, else every core. */
    int threads() { return threads != null && threads > 0 ? threads : Runtime.getRuntime().availableProcessors(); }

    /** --memory, else the default budget. */
    long memoryBudget() { return memory != null ? memory : MemoryEstimate.DEFAULT_BUDGET; }

    /** Status lines (Hub lookups, summaries, skipped steps) are shown unless --quiet. */
    boolean showStatus() { return !quiet; }

    /** The progress display: only on a terminal (or when JMERGE_PROGRESS=always), never with --quiet. */
    boolean showProgress(CliContext ctx) {
        return !quiet && (TerminalProgress.isTerminal() || "always".equals(ctx.env().get("JMERGE_PROGRESS")));
    }

    /** The kernels of this machine; a note says when the vectorised ones are not available. */
    Kernels kernels(CliContext ctx) {
        KernelsProvider.reportFallback(msg -> ctx.err().println("note: " + msg));
        return KernelsProvider.get();
    }

    /** Where model references are found: local folders, then the Hub cache and the Hub, with the LoRA merge cache. */
    ModelLocator locator(CliContext ctx) {
        HubSettings settings = HubSettings.from(ctx.env(), transformersCache);
        DownloadProgress progress = quiet ? DownloadProgress.NONE
                : showProgress(ctx) ? new TerminalDownloads(ctx.err(), TerminalWidth.supplier(ctx.env()))
                : new HubStatusLines(ctx.err());
        HubModels hub = new HubModels(settings, HubClient.Options.DEFAULT, Math.max(1, downloadThreads), progress);
        return new ModelLocator(Path.of("").toAbsolutePath(), hub).withLoraMergeCache(loraMergeCache);
    }

    /** One note listing the flags given on {@code command}'s line that mean nothing to it (its hidden options). */
    static void reportIgnoredFlags(CommandLine.Model.CommandSpec command, CliContext ctx) {
        List<String> given = new ArrayList<>();
        for (String arg : command.commandLine().getParseResult().originalArgs()) {
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            var opt = command.findOption(name);
            if (opt != null && opt.hidden() && !given.contains(name)) given.add(name);
        }
        if (!given.isEmpty()) {
            String who = command.qualifiedName().equals("jmerge") ? "jmerge" : "jmerge " + command.name();
            ctx.err().println("note: ignored (no meaning for " + who + "): " + String.join(", ", given));
        }
    }
}
