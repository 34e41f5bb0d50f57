package dev.jmerge.cli;

import dev.jmerge.methods.MethodRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "jmerge", mixinStandardHelpOptions = true, version = "jmerge 0.1.0",
        sortOptions = false, usageHelpAutoWidth = true,
        customSynopsis = {"jmerge CONFIG_FILE OUT_PATH [OPTIONS]", "       jmerge COMMAND [ARGS] (commands below)"},
        description = {"Merge language models as a mergekit YAML config describes, in bounded memory.",
                "Same configs and flags as mergekit-yaml; the output appears only when complete.",
                "Several YAML documents make a mergekit-multi recipe: named documents are",
                "intermediate merges; the unnamed one (else the one no other document uses)",
                "goes to OUT_PATH."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:merged", "1:the merge failed (input files, disk)", "2:usage or configuration error",
                "130, 143:interrupted (SIGINT, SIGTERM); the line printed says how to continue"})
public final class MergeCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CONFIG_FILE", description = "mergekit YAML config")
    Path configFile;

    @Parameters(index = "1", paramLabel = "OUT_PATH", arity = "0..1",
            description = "output model folder (required, except with --dry-run)")
    Path outPath;

    @Option(names = {"--intermediate-dir", "-I"}, paramLabel = "DIR",
            description = "multi-document configs: where named intermediate merges go (default: OUT_PATH-intermediates)")
    Path intermediateDir;

    @Mixin
    MergeOptions options;

    private final CliContext ctx;

    MergeCommand(CliContext ctx) { this.ctx = ctx; }

    @Override
    public Integer call() {
        SharedOptions.reportIgnoredFlags(spec, ctx);
        if (outPath == null && !options.shared.dryRun) {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing OUT_PATH, the output model folder");
        }
        return new RecipeRunner(ctx, options).run(configFile, outPath, intermediateDir, true, "OUT_PATH");
    }

    /** The --help text after the options: the commands, then every method with its parameters and defaults. */
    static String footer() {
        StringBuilder sb = new StringBuilder();
        for (var m : MethodRegistry.all()) {
            List<String> ps = new ArrayList<>();
            for (var p : m.globalParameters()) ps.add(p.describe());
            for (var p : m.modelParameters()) ps.add(p.describe() + " per model");
            sb.append("  ").append(m.name()).append(" (base model ")
                    .append(m.baseModel().name().toLowerCase(java.util.Locale.ROOT)).append(")%n");
            if (!ps.isEmpty()) sb.append(wrapped(ps, "      ", 80));
        }
        return sb.toString();
    }

    /**
     * Items joined by ", " in lines of at most {@code width} columns, each indented (picocli would wrap the footer
     * without the indent, and inside an item).
     */
    static String wrapped(List<String> items, String indent, int width) {
        StringBuilder sb = new StringBuilder();
        StringBuilder line = new StringBuilder(indent);
        for (int i = 0; i < items.size(); i++) {
            String item = items.get(i) + (i < items.size() - 1 ? "," : "");
            if (line.length() > indent.length() && line.length() + 1 + item.length() > width) {
                sb.append(line).append("%n");
                line = new StringBuilder(indent);
            }
            if (line.length() > indent.length()) line.append(' ');
            line.append(item);
        }
        return sb.append(line).append("%n").toString();
    }
}
