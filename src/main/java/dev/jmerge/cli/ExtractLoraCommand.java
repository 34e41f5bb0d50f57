package dev.jmerge.cli;

import dev.jmerge.config.ModelReference;
import dev.jmerge.config.SourcePos;
import dev.jmerge.error.ConfigException;
import dev.jmerge.exec.MemoryEstimate;
import dev.jmerge.exec.Progress;
import dev.jmerge.extract.ExtractEstimate;
import dev.jmerge.extract.ExtractOptions;
import dev.jmerge.extract.ExtractionPlan;
import dev.jmerge.extract.LoraExtraction;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.KernelsProvider;
import dev.jmerge.linalg.TruncatedSvd;
import dev.jmerge.source.ModelLocator;
import dev.jmerge.source.hub.DownloadProgress;
import dev.jmerge.source.hub.HubClient;
import dev.jmerge.source.hub.HubModels;
import dev.jmerge.source.hub.HubSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jmerge extract-lora}: mergekit-extract-lora's flags, a PEFT LoRA adapter from a fine-tune and its base. */
@Command(name = "extract-lora", mixinStandardHelpOptions = true, version = "jmerge 0.1.0", sortOptions = false,
        usageHelpAutoWidth = true,
        customSynopsis = "jmerge extract-lora --model MODEL --base-model MODEL --out-path PATH [OPTIONS]",
        description = {"Extract a LoRA adapter from a fine-tuned model, as mergekit-extract-lora does:",
                "each Linear and Embedding module's change from the base is factorised as B·A",
                "by a truncated SVD and written as adapter_model.safetensors, adapter_config.json",
                "and README.md. Embeddings, the output head and modules that are not matrices",
                "(norms) are saved at full rank under modules_to_save.",
                "The output folder appears only when complete."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:extracted", "1:the extraction failed (input files, disk)", "2:usage or configuration error"})
public final class ExtractLoraCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "MODEL",
            description = "fine-tuned model: a folder, a Hub id (org/name[@revision]) or MODEL+LORA")
    String model;

    @Option(names = "--base-model", required = true, paramLabel = "MODEL", description = "the model it was tuned from")
    String baseModel;

    @Option(names = "--out-path", required = true, paramLabel = "PATH", description = "adapter folder to write")
    Path outPath;

    @Option(names = "--max-rank", paramLabel = "INT", defaultValue = "128",
            description = "rank of each decomposed module, less where a matrix is smaller (default: ${DEFAULT-VALUE})")
    int maxRank;

    @Option(names = "--distribute-scale", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "split the singular values as sqrt(S) between A and B; off: all in A (default: on)")
    boolean distributeScale;

    @Option(names = "--embed-lora", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "decompose embeddings and the output head too, instead of saving them at full rank"
                    + " (turned off when the vocabularies differ; default: off)")
    boolean embedLora;

    @Option(names = "--save-module", paramLabel = "NAME",
            description = "save this module (full name or last component) at full rank; repeatable")
    List<String> saveModules = new ArrayList<>();

    @Option(names = {"-i", "--include-regex"}, paramLabel = "RE",
            description = "only decompose modules this regex finds in their name; repeatable")
    List<String> include = new ArrayList<>();

    @Option(names = {"-e", "--exclude-regex"}, paramLabel = "RE",
            description = "leave out modules this regex finds in their name; repeatable")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--sv-epsilon", paramLabel = "FLOAT", defaultValue = "0",
            description = "drop singular values at or below this, lowering a module's rank (default: ${DEFAULT-VALUE})")
    double svEpsilon;

    @Option(names = "--skip-undecomposable",
            description = "leave out modules that are not matrices (norms) instead of saving them at full rank")
    boolean skipUndecomposable;

    @Option(names = "--exact-svd",
            description = "full SVD of every matrix (mergekit's way; slow) instead of the randomized one")
    boolean exactSvd;

    @Option(names = "--random-seed", paramLabel = "INT", defaultValue = "0",
            description = "seed of the randomized SVD's sketches (default: ${DEFAULT-VALUE}: the same inputs give the"
                    + " same adapter)")
    long randomSeed;

    @Option(names = {"-j", "--num-threads"}, paramLabel = "INT", description = "modules factorised at once (default: cores)")
    Integer threads;

    @Option(names = "--memory", paramLabel = "SIZE", converter = MemorySize.class,
            description = "memory the extraction may use, K/M/G suffixes (default: 512M); fewer modules run at once to fit")
    Long memory;

    @Option(names = "--dry-run", description = "print what each module becomes, bytes and memory, and stop")
    boolean dryRun;

    @Option(names = "--overwrite", description = "replace an existing non-empty output folder")
    boolean overwrite;

    @Option(names = "--report", description = "write report.json and report.html into the adapter folder: each"
            + " module's rank, ‖Δ‖, relative error and energy kept, with plots per layer")
    boolean report;

    @Option(names = "--transformers-cache", paramLabel = "PATH",
            description = "Hugging Face hub cache to find models in (default: HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub)")
    Path transformersCache;

    @Option(names = "--download-threads", paramLabel = "INT", defaultValue = "4",
            description = "parallel file downloads from the Hugging Face Hub (default: ${DEFAULT-VALUE})")
    int downloadThreads;

    @Option(names = "--lora-merge-cache", paramLabel = "DIR",
            description = "for MODEL+LORA inputs: write the merged models here and reuse them")
    Path loraMergeCache;

    @Option(names = "-v", description = "more output (-v: each module's rank and error, -vv: stack traces)")
    boolean[] verbose = new boolean[0];

    @Option(names = "--quiet", description = "no progress display")
    boolean quiet;

    // mergekit's merge options that mean nothing here: accepted so existing scripts run, reported once.
    @Option(names = {"--cuda", "--low-cpu-memory", "--lazy-unpickle", "--clone-tensors", "--trust-remote-code",
            "--read-to-gpu", "--multi-gpu", "--gpu-rich", "--async-write", "--safe-serialization", "--allow-crimes",
            "--copy-tokenizer", "--write-model-card", "--no-cuda", "--no-low-cpu-memory", "--no-lazy-unpickle",
            "--no-clone-tensors", "--no-trust-remote-code", "--no-read-to-gpu", "--no-multi-gpu", "--no-async-write",
            "--no-safe-serialization", "--no-copy-tokenizer", "--no-write-model-card"}, hidden = true)
    boolean[] ignoredFlags = new boolean[0];

    @Option(names = {"--device", "--write-threads", "--lora-merge-dtype", "--out-shard-size"}, hidden = true,
            paramLabel = "VALUE")
    List<String> ignoredValues = new ArrayList<>();

    private final Map<String, String> environment;

    ExtractLoraCommand(CliContext ctx) { this.environment = ctx.env(); }

    private PrintWriter err() { return spec.commandLine().getErr(); }

    @Override
    public Integer call() { return extract(); }

    private int extract() {
        reportIgnoredFlags();
        KernelsProvider.reportFallback(msg -> err().println("note: " + msg));
        Kernels kernels = KernelsProvider.get();
        ExtractOptions options = options();
        if (report && dryRun) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--report needs the factorisation, which"
                    + " --dry-run does not run");
        }
        ModelReference ft = ModelReference.parse(model, new SourcePos("--model", 0, 0), "--model");
        ModelReference base = ModelReference.parse(baseModel, new SourcePos("--base-model", 0, 0), "--base-model");
        ModelLocator locator = new ModelLocator(Path.of("").toAbsolutePath(), hubModels()).withLoraMergeCache(loraMergeCache);
        PrintWriter out = spec.commandLine().getOut();
        try (ExtractionPlan plan = LoraExtraction.plan(ft, base, locator, options)) {
            ExtractEstimate memory = ExtractEstimate.of(plan);
            if (dryRun) {
                out.print(report(plan, outPath, memory));
                out.flush();
                return 0;
            }
            plan.notes().forEach(n -> err().println("note: " + n));
            if (memory.overBudget()) {
                err().println("warning: memory budget of " + Bytes.human(memory.budget()) + " is below the "
                        + Bytes.human(memory.total()) + " one module needs; running one at a time anyway");
            }
            Progress progress = quiet || !TerminalProgress.isTerminal() ? Progress.NONE
                    : new TerminalProgress(err(), outPath.getFileName().toString(), TerminalWidth.supplier(environment));
            LoraExtraction.Result result = LoraExtraction.run(plan, outPath, overwrite, invocation(), kernels, progress,
                    report);
            if (report && !quiet) err().println("report: " + outPath.resolve(dev.jmerge.report.ReportFiles.HTML));
            if (verbose.length > 0) {
                for (var d : result.decomposed()) {
                    err().println(String.format(Locale.ROOT, "  %s: rank %d, |delta - B.A| / |delta| = %.4f",
                            d.module(), d.rank(), d.relativeError()));
                }
                err().println("wrote " + result.adapter().getParent() + ": " + result.decomposed().size()
                        + " modules decomposed, " + result.savedWhole() + " saved at full rank");
            }
        }
        out.flush();
        return 0;
    }

    private ExtractOptions options() {
        if (maxRank < 1) throw new ConfigException("--max-rank: expected a rank of at least 1, got " + maxRank);
        if (!(svEpsilon >= 0)) throw new ConfigException("--sv-epsilon: expected 0 or more, got " + svEpsilon);
        int nThreads = threads != null && threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return new ExtractOptions(maxRank, distributeScale, embedLora, saveModules, regexes("--include-regex", include),
                regexes("--exclude-regex", exclude), svEpsilon, skipUndecomposable,
                TruncatedSvd.Options.of(exactSvd, randomSeed), nThreads,
                memory != null ? memory : MemoryEstimate.DEFAULT_BUDGET);
    }

    private static List<Pattern> regexes(String flag, List<String> given) {
        List<Pattern> out = new ArrayList<>();
        for (String re : given) {
            try {
                out.add(Pattern.compile(re));
            } catch (PatternSyntaxException e) {
                throw new ConfigException(flag + " '" + re + "': not a valid regular expression ("
                        + e.getDescription() + " at index " + e.getIndex() + ")");
            }
        }
        return out;
    }

    private HubModels hubModels() {
        HubSettings settings = HubSettings.from(environment, transformersCache);
        DownloadProgress progress = quiet || !TerminalProgress.isTerminal() ? DownloadProgress.NONE
                : new TerminalDownloads(err(), TerminalWidth.supplier(environment));
        return new HubModels(settings, HubClient.Options.DEFAULT, Math.max(1, downloadThreads), progress);
    }

    /** The command line for the model card, quoted so that it can be pasted into a shell. */
    private String invocation() {
        StringBuilder sb = new StringBuilder("jmerge extract-lora");
        for (String a : spec.commandLine().getParseResult().originalArgs()) {
            sb.append(' ').append(a.matches("[A-Za-z0-9_@%+=:,./-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }

    private void reportIgnoredFlags() {
        List<String> given = new ArrayList<>();
        for (String arg : spec.commandLine().getParseResult().originalArgs()) {
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            var opt = spec.findOption(name);
            if (opt != null && opt.hidden() && !given.contains(name)) given.add(name);
        }
        if (!given.isEmpty()) err().println("note: ignored (no meaning for jmerge extract-lora): " + String.join(", ", given));
    }

    /** The --dry-run report: every module and what becomes of it, bytes, memory, notes. */
    static String report(ExtractionPlan plan, Path out, ExtractEstimate memory) {
        StringBuilder sb = new StringBuilder();
        sb.append("extract-lora: architecture ").append(plan.architecture()).append('\n');
        sb.append("  fine-tuned model: ").append(plan.ft().label()).append("  ").append(plan.ft().folder()).append('\n');
        sb.append("  base model:       ").append(plan.base().label()).append("  ").append(plan.base().folder()).append('\n');
        sb.append("modules:\n");
        int[] counts = new int[ExtractionPlan.Action.values().length];
        ExtractOptions o = plan.options();
        for (ExtractionPlan.Step s : plan.steps()) {
            var m = s.module();
            counts[s.action().ordinal()]++;
            sb.append("  ").append(m.name()).append(' ').append(Arrays.toString(m.shape())).append(' ')
                    .append(m.dtype().torchName()).append("  ");
            switch (s.action()) {
                case DECOMPOSE -> {
                    int k = TruncatedSvd.sketchWidth((int) m.rows(), (int) m.cols(), s.rank(), o.svd());
                    sb.append(m.kind().label()).append(", rank ").append(o.svEpsilon() > 0 ? "<= " : "").append(s.rank())
                            .append(k == 0 ? " (exact SVD)" : " (randomized SVD, sketch " + k + ")");
                    if (s.transposed()) sb.append(", transposed");
                    if (s.baseBias() != null) sb.append(", bias delta");
                }
                case FULL_RANK -> sb.append(m.kind().label()).append(", full rank (modules_to_save)");
                case LEFT_OUT -> sb.append(m.kind().label()).append(", left out");
            }
            sb.append('\n');
        }
        sb.append("modules_to_save: ").append(plan.modulesToSave()).append('\n');
        sb.append(String.format(Locale.ROOT, "output: %s (adapter_model.safetensors, adapter_config.json, README.md)%n",
                out.toAbsolutePath()));
        sb.append(String.format(Locale.ROOT, "modules: %d decomposed, %d saved at full rank, %d left out  read: %s"
                        + "  written: at most %s%n", counts[0], counts[1], counts[2], Bytes.human(memory.bytesRead()),
                Bytes.human(memory.bytesWrittenAtMost())));
        sb.append(String.format(Locale.ROOT, "peak memory estimate: %s (%d of %d threads x %s per module being"
                        + " factorised, plus %s baseline; budget %s)%n", Bytes.human(memory.total()), memory.workers(),
                memory.requestedThreads(), Bytes.human(memory.perWorker()), Bytes.human(memory.baseline()),
                Bytes.human(memory.budget())));
        if (!plan.ignored().isEmpty()) {
            sb.append("not in any module, left out as mergekit leaves them: ").append(plan.ignored()).append('\n');
        }
        plan.notes().forEach(n -> sb.append("note: ").append(n).append('\n'));
        return sb.toString();
    }
}
