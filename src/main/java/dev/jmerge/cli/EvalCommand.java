package dev.jmerge.cli;

import dev.jmerge.error.ConfigException;
import dev.jmerge.eval.Perplexity;
import dev.jmerge.eval.Sequences;
import dev.jmerge.forward.Transformer;
import dev.jmerge.kernels.KernelsProvider;
import dev.jmerge.tokenizer.encoding.TextEncoder;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jmerge eval MODEL... (--text FILE | --token-ids FILE)}: perplexity and speed of each model, as a table. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        customSynopsis = "jmerge eval MODEL... (--text FILE | --token-ids FILE) [--max-tokens N] [--context N] [OPTIONS]",
        description = {"Perplexity and speed of models: is a merge broken?",
                "",
                "Per model, the perplexity (exp of the mean next-token negative log-likelihood) and the forward "
                + "pass's speed, on the CPU. Models are local folders of Llama, Mistral, Qwen2, Qwen3, Mixtral or "
                + "Qwen3-MoE causal LMs (safetensors, any float dtype). With one model the last line is 'perplexity: <value>'.",
                "",
                "Sequences longer than --context are cut into windows of --context tokens. The first token of each "
                + "sequence or window is context only, every later one is predicted, and the perplexity weighs every "
                + "predicted token of the input equally. tokens/s counts every token through the model, in forward "
                + "passes only (after a short warm-up; loading and tokenizing excluded).",
                ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:evaluated", "1:a model could not be read", "2:usage, input or unsupported architecture"})
public final class EvalCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "MODEL", description = "model folders to compare")
    List<Path> models = new ArrayList<>();

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", paramLabel = "FILE", required = true,
                description = "UTF-8 text, encoded with each model's tokenizer.json (BOS/EOS as its tokenizer_config.json says)")
        Path text;

        @Option(names = "--token-ids", paramLabel = "FILE", required = true,
                description = "whitespace-separated token ids, one sequence per non-empty line, used exactly as given")
        Path tokenIds;
    }

    @Option(names = "--max-tokens", paramLabel = "N",
            description = "evaluate only the first N tokens of the input (default: all)")
    long maxTokens;

    @Option(names = "--context", paramLabel = "N", defaultValue = "1024",
            description = "longest sequence run at once; longer ones are cut into windows (default: ${DEFAULT-VALUE})")
    int context;

    @Option(names = {"-j", "--num-threads"}, paramLabel = "INT", description = "threads (default: number of cores)")
    Integer threads;

    @Option(names = "--quiet", description = "no progress display")
    boolean quiet;

    @Option(names = "-v", description = "more output (-v: details, -vv: stack traces)")
    boolean[] verbose = new boolean[0];

    private final CliContext ctx;

    EvalCommand(CliContext ctx) { this.ctx = ctx; }

    @Override
    public Integer call() { return run(spec.commandLine().getOut(), spec.commandLine().getErr()); }

    private int run(PrintWriter out, PrintWriter err) {
        if (maxTokens < 0) throw new ConfigException("--max-tokens must not be negative, got " + maxTokens);
        if (context < 2) throw new ConfigException("--context must be at least 2, got " + context);
        for (Path m : models) {
            if (!Files.isDirectory(m)) throw new ConfigException(m + ": not a directory; expected a model folder");
        }
        KernelsProvider.reportFallback(msg -> err.println("note: " + msg));
        int nThreads = threads != null && threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        List<Sequences.Sequence> ids = input.tokenIds != null ? Sequences.readTokenIds(input.tokenIds) : null;
        String text = input.text != null ? Sequences.readText(input.text) : null;
        Path source = input.tokenIds != null ? input.tokenIds : input.text;
        List<Perplexity.Result> results = new ArrayList<>();
        for (Path folder : models) {
            try (Transformer model = Transformer.open(folder, KernelsProvider.get(), nThreads)) {
                List<Sequences.Sequence> seqs = ids != null ? ids : encode(folder, text);
                List<Sequences.Sequence> windows = Sequences.windows(seqs, context, maxTokens);
                if (verbose.length > 0) {
                    err.println(folder + ": " + model.config().summary() + "; " + windows.size() + " sequences, kernels "
                            + KernelsProvider.get().name() + ", " + nThreads + " threads");
                }
                long total = windows.stream().mapToLong(s -> s.ids().length).sum();
                EvalProgress progress = quiet || !TerminalProgress.isTerminal() ? null
                        : new EvalProgress(err, TerminalWidth.supplier(ctx.env()), folder.getFileName().toString(), total);
                Perplexity.Result r = Perplexity.evaluate(folder, model, windows, source,
                        done -> { if (progress != null) progress.update(done); });
                if (progress != null) progress.end();
                results.add(r);
            }
        }
        out.print(table(results));
        if (results.size() == 1) out.println("perplexity: " + String.format(Locale.ROOT, "%.6f", results.getFirst().perplexity()));
        out.flush();
        return 0;
    }

    private static List<Sequences.Sequence> encode(Path folder, String text) {
        try (TextEncoder enc = TextEncoder.open(folder)) {
            return List.of(new Sequences.Sequence(enc.encode(text), 0));
        }
    }

    static String table(List<Perplexity.Result> results) {
        int w = "model".length();
        for (var r : results) w = Math.max(w, r.model().toString().length());
        StringBuilder sb = new StringBuilder();
        String fmt = "%-" + w + "s  %-18s %9s %10s %12s %10s%n";
        sb.append(String.format(Locale.ROOT, fmt, "model", "architecture", "tokens", "predicted", "perplexity", "tokens/s"));
        for (var r : results) {
            sb.append(String.format(Locale.ROOT, "%-" + w + "s  %-18s %9d %10d %12.4f %10.1f%n", r.model(), r.architecture(),
                    r.tokens(), r.predicted(), r.perplexity(), r.tokensPerSecond()));
        }
        return sb.toString();
    }

    /** One status line per model: tokens done of the total, and the rate so far. */
    private static final class EvalProgress {
        private final StatusLine line;
        private final String label;
        private final long total;
        private final long start = System.nanoTime();

        EvalProgress(PrintWriter err, java.util.function.IntSupplier width, String label, long total) {
            this.line = new StatusLine(err, width);
            this.label = label;
            this.total = total;
            update(0);
        }

        void update(long done) {
            line.draw(done == total, columns -> {
                double secs = (System.nanoTime() - start) / 1e9;
                return String.format(Locale.ROOT, "eval %s: %d/%d tokens  %.1f tokens/s", label, done, total,
                        secs > 0 ? done / secs : 0.0);
            });
        }

        void end() { line.end(); }
    }
}
