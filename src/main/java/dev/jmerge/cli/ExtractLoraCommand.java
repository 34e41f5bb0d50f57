package dev.jmerge.cli;

import dev.jmerge.config.ModelReference;
import dev.jmerge.config.SourcePos;
import dev.jmerge.error.ConfigException;
import dev.jmerge.exec.Progress;
import dev.jmerge.extract.ExtractEstimate;
import dev.jmerge.extract.ExtractOptions;
import dev.jmerge.extract.ExtractionPlan;
import dev.jmerge.extract.LoraExtraction;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.linalg.TruncatedSvd;
import dev.jmerge.source.ModelLocator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Mixin
    SharedOptions shared;

    // merge options that mean nothing to an extraction: accepted so scripts passing mergekit's merge flags run
    @Option(names = {"--allow-crimes", "--copy-tokenizer", "--write-model-card", "--no-copy-tokenizer",
            "--no-write-model-card"}, hidden = true)
    boolean[] ignoredMergeFlags = new boolean[0];

    @Option(names = "--out-shard-size", hidden = true, paramLabel = "VALUE")
    List<String> ignoredMergeValues = new ArrayList<>();

    private final CliContext ctx;

    @Option(names = "--report", description = "write report.json and report.html into the adapter folder: each"
            + " module's rank, ‖Δ‖, relative error and energy kept, with plots per layer")
    boolean report;

    ExtractLoraCommand(CliContext ctx) { this.ctx = ctx; }

    private PrintWriter err() { return ctx.err(); }

    @Override
    public Integer call() { return extract(); }

    private int extract() {
        SharedOptions.reportIgnoredFlags(spec, ctx);
        Kernels kernels = shared.kernels(ctx);
        ExtractOptions options = options();
        if (report && shared.dryRun) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--report needs the factorisation, which"
                    + " --dry-run does not run");
        }
        ModelReference ft = ModelReference.parse(model, new SourcePos("--model", 0, 0), "--model");
        ModelReference base = ModelReference.parse(baseModel, new SourcePos("--base-model", 0, 0), "--base-model");
        ModelLocator locator = shared.locator(ctx);
        PrintWriter out = ctx.out();
        try (ExtractionPlan plan = LoraExtraction.plan(ft, base, locator, options)) {
            ExtractEstimate memory = ExtractEstimate.of(plan);
            if (shared.dryRun) {
                out.print(report(plan, outPath, memory));
                out.flush();
                return 0;
            }
            plan.notes().forEach(n -> err().println("note: " + n));
            if (memory.overBudget()) {
                err().println("warning: memory budget of " + Bytes.human(memory.budget()) + " is below the "
                        + Bytes.human(memory.total()) + " one module needs; running one at a time anyway");
            }
            Progress progress = shared.showProgress(ctx) ? new TerminalProgress(err(), outPath.getFileName().toString(),
                    TerminalWidth.supplier(ctx.env())) : Progress.NONE;
            LoraExtraction.Result result = LoraExtraction.run(plan, outPath, shared.overwrite, invocation(), kernels,
                    progress, report);
            if (report && !shared.quiet) err().println("report: " + outPath.resolve(dev.jmerge.report.ReportFiles.HTML));
            if (shared.verbose.length > 0) {
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
        return new ExtractOptions(maxRank, distributeScale, embedLora, saveModules, regexes("--include-regex", include),
                regexes("--exclude-regex", exclude), svEpsilon, skipUndecomposable,
                TruncatedSvd.Options.of(exactSvd, randomSeed), shared.threads(), shared.memoryBudget());
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

    /** The command line for the model card, quoted so that it can be pasted into a shell. */
    private String invocation() {
        return Invocation.of("jmerge extract-lora", spec.commandLine().getParseResult().originalArgs());
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
            sb.append("  ").append(m.name()).append(' ').append(m.shape()).append(' ')
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
