package dev.jmerge.cli;

import dev.jmerge.bench.BenchCommand;
import dev.jmerge.error.JmergeException;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine;

/**
 * Entry point: {@code jmerge CONFIG_FILE OUT_PATH [options]}, like {@code mergekit-yaml}, or
 * {@code jmerge COMMAND ...} for the commands in {@link #COMMANDS}.
 */
public final class Main {

    /**
     * A word that selects a command when it is the first argument; {@code create} builds the picocli command and
     * {@code summary} is its line in {@code jmerge --help} (short enough not to wrap at 80 columns).
     */
    record Subcommand(String name, String summary, Function<CliContext, Object> create) {}

    /**
     * {@code jmerge NAME ...}: one line per command. The first argument selects it (a config file with such a
     * name is given as {@code ./NAME}); it gets the shared usage and error handling of {@link #execute}, and
     * {@code jmerge --help} lists it with its summary.
     */
    static final List<Subcommand> COMMANDS = List.of(
            new Subcommand("multi", "Run a recipe with mergekit-multi's command line", MultiCommand::new),
            new Subcommand("architectures", "List the supported architectures", c -> new ArchitecturesCommand()),
            new Subcommand("bench", "Benchmark merges against the I/O floor", c -> new BenchCommand()),
            new Subcommand("eval", "Perplexity and speed of models: is a merge broken?", EvalCommand::new),
            new Subcommand("extract-lora", "Extract a LoRA adapter from a fine-tune (mergekit-extract-lora)",
                    ExtractLoraCommand::new),
            new Subcommand("moe", "Build a mixture of experts from dense models (mergekit-moe)", MoeCommand::new));

    private Main() {}

    public static void main(String[] args) {
        StderrRestore.apply();
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code: 0 ok, 1 merge failure, 2 usage or config error. */
    public static int run(String... args) {
        return run(System.getenv(), new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** As {@link #run(String...)}, printing to the given writers (tests capture them). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(System.getenv(), out, err, args);
    }

    /** As {@link #run(String...)}, with the environment variables (HF_HOME, HF_TOKEN, ...) given as a map. */
    public static int run(Map<String, String> env, String... args) {
        return run(env, new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** The CLI with its environment and output streams given: what tests drive. */
    public static int run(Map<String, String> env, PrintWriter out, PrintWriter err, String... args) {
        CliContext ctx = new CliContext(env, out, err);
        if (args.length > 0) {
            for (Subcommand c : COMMANDS) {
                if (c.name().equals(args[0])) {
                    return execute(c.create().apply(ctx), ctx, Arrays.copyOfRange(args, 1, args.length));
                }
            }
        }
        return execute(new MergeCommand(ctx), ctx, args);
    }

    /**
     * The main command's --help ends with the commands, the environment variables read, then the merge methods
     * with their parameters.
     */
    private static void mainHelp(CommandLine cl) {
        cl.getCommandSpec().usageMessage().footer("%nCommands (jmerge COMMAND --help for each):%n" + commandsHelp()
                + "%nEnvironment:%n" + ENVIRONMENT
                + "%nMerge methods (parameters with mergekit's defaults):%n" + MergeCommand.footer());
    }

    private static final String ENVIRONMENT = String.join("%n",
            "  HF_TOKEN, HF_TOKEN_PATH      Hugging Face token (else HF_HOME/token)",
            "  HF_HUB_CACHE, HF_HOME        where Hub models are cached",
            "  HF_HUB_OFFLINE=1             use only cached models, never the network",
            "  HF_ENDPOINT                  another Hub server",
            "  JMERGE_PROGRESS=always       progress line even when stderr is not a terminal",
            "  COLUMNS                      width of the progress line") + "%n";

    /** Runs one picocli command with the shared conventions: usage errors exit 2 in one line, failures are one line. */
    static int execute(Object command, CliContext ctx, String... args) {
        CommandLine cl = new CommandLine(command);
        if (command instanceof MergeCommand) mainHelp(cl);
        cl.setOut(ctx.out());
        cl.setErr(ctx.err());
        cl.setUsageHelpAutoWidth(true);
        cl.setParameterExceptionHandler((ex, a) -> usageError(ex));
        cl.setExecutionExceptionHandler((ex, line, parsed) -> failure(ex, line, parsed));
        int rc = cl.execute(args);
        ctx.out().flush();
        ctx.err().flush();
        return rc;
    }

    /** The commands and their one-line descriptions, for the main --help. */
    static String commandsHelp() {
        StringBuilder sb = new StringBuilder();
        for (Subcommand c : COMMANDS) sb.append(String.format("  %-14s %s%%n", c.name(), c.summary()));
        return sb.toString();
    }

    private static int usageError(CommandLine.ParameterException ex) {
        CommandLine cl = ex.getCommandLine();
        String[] synopsis = cl.getCommandSpec().usageMessage().customSynopsis();
        String usage = synopsis.length > 0 ? synopsis[0].replaceFirst("^Usage: *", "").strip() : cl.getCommandName();
        String name = cl.getCommandSpec().qualifiedName();
        String help = (name.startsWith("jmerge") ? name : "jmerge " + name) + " --help";
        cl.getErr().println("error: " + ex.getMessage() + " (usage: " + usage + "; see " + help + ")");
        cl.getErr().flush();
        return 2;
    }

    private static int failure(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        if (ex instanceof CommandLine.ParameterException pe) return usageError(pe);
        PrintWriter err = cl.getErr();
        if (Interrupts.underway()) return 130; // the shutdown hook says what happened
        int verbose = parsed.hasMatchedOption("-v") ? parsed.matchedOption("-v").<boolean[]>getValue().length : 0;
        if (ex instanceof JmergeException e) {
            err.println("error: " + e.getMessage());
            if (verbose >= 2) e.printStackTrace(err);
            err.flush();
            return e.exitCode();
        }
        err.println("error: internal failure: " + ex);
        if (verbose >= 1) ex.printStackTrace(err);
        else err.println("(run with -v for details)");
        err.flush();
        return 1;
    }
}
