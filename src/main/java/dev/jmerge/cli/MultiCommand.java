package dev.jmerge.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jmerge multi}: mergekit-multi's command line (compat §5.2) over the same recipe runner. */
@Command(name = "multi", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        customSynopsis = "jmerge multi CONFIG_FILE --intermediate-dir DIR [--out-path OUT_PATH] [OPTIONS]",
        description = {"Run a mergekit-multi recipe with mergekit-multi's command line.",
                "Named documents are merged into DIR/NAME in dependency order; the unnamed one",
                "goes to --out-path (with every document named: the one no other one uses).",
                "--lazy (default) reuses DIR/NAME only if made from the same document and inputs."})
final class MultiCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "CONFIG_FILE", description = "mergekit-multi YAML recipe (documents separated by ---)")
    Path configFile;

    @Option(names = {"--intermediate-dir", "-I"}, paramLabel = "DIR", required = true,
            description = "where the named documents' merges go")
    Path intermediateDir;

    @Option(names = "--out-path", paramLabel = "OUT_PATH", description = "where the final merge goes")
    Path outPath;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    MergeOptions options;

    private final CliContext ctx;

    MultiCommand(CliContext ctx) { this.ctx = ctx; }

    @Override
    public Integer call() {
        SharedOptions.reportIgnoredFlags(spec, ctx);
        return new RecipeRunner(ctx, options).run(configFile, outPath, intermediateDir, outPath != null, "--out-path");
    }
}
