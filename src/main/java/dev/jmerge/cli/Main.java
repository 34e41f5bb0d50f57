package dev.jmerge.cli;

import picocli.CommandLine;

/** Entry point: {@code jmerge CONFIG_FILE OUT_PATH [options]}, like {@code mergekit-yaml}. */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code: 0 ok, 1 merge failure, 2 usage or config error. */
    public static int run(String... args) {
        return run(null, null, args);
    }

    /** As {@link #run(String...)}, writing to the given streams (null: standard out and err). */
    public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new MergeCommand());
        if (out != null) cl.setOut(out);
        if (err != null) cl.setErr(err);
        cl.setUsageHelpAutoWidth(true);
        cl.getCommandSpec().usageMessage().footer(MergeCommand.methodsHelp());
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("error: " + ex.getMessage());
            ex.getCommandLine().getErr().println("run 'jmerge --help' for usage");
            return 2;
        });
        return cl.execute(args);
    }
}
