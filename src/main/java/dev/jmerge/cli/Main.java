package dev.jmerge.cli;

import picocli.CommandLine;

/**
 * Entry point: {@code jmerge CONFIG_FILE OUT_PATH [options]}, like {@code mergekit-yaml}; {@code jmerge bench} benchmarks;
 * {@code jmerge extract-lora} is mergekit-extract-lora.
 */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code: 0 ok, 1 merge failure, 2 usage or config error. */
    public static int run(String... args) {
        return run(System.getenv(), new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** As {@link #run(String...)}, printing to the given writers (tests capture them). */
    public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        return run(System.getenv(), out, err, args);
    }

    /** As {@link #run(String...)}, with the environment variables (HF_HOME, HF_TOKEN, ...) given as a map. */
    public static int run(java.util.Map<String, String> env, String... args) {
        return run(env, new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** The CLI with its environment and output streams given: what tests drive. */
    public static int run(java.util.Map<String, String> env, java.io.PrintWriter out, java.io.PrintWriter err,
                          String... args) {
        if (args.length > 0 && args[0].equals("bench")) return bench(java.util.Arrays.copyOfRange(args, 1, args.length));
        if (args.length > 0 && args[0].equals("extract-lora")) {
            return ExtractLoraCommand.run(env, out, err, java.util.Arrays.copyOfRange(args, 1, args.length));
        }
        MergeCommand command = new MergeCommand();
        command.environment = env;
        CommandLine cl = new CommandLine(command);
        cl.setOut(out);
        cl.setErr(err);
        cl.setUsageHelpAutoWidth(true);
        cl.getCommandSpec().usageMessage().footer(MergeCommand.methodsHelp());
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("error: " + ex.getMessage());
            ex.getCommandLine().getErr().println("run 'jmerge --help' for usage");
            return 2;
        });
        return cl.execute(args);
    }

    /** {@code jmerge bench ...}: a word, not a path, so a config file named "bench" is given as ./bench. */
    private static int bench(String... args) {
        CommandLine cl = new CommandLine(new dev.jmerge.bench.BenchCommand());
        cl.setUsageHelpAutoWidth(true);
        return cl.execute(args);
    }
}
