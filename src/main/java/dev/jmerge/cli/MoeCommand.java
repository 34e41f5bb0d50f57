package dev.jmerge.cli;

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

/** {@code jmerge moe}: mergekit-moe's command line, a mixture of experts from dense models. */
@Command(name = "moe", mixinStandardHelpOptions = true, version = "jmerge 0.1.0", sortOptions = false,
        usageHelpAutoWidth = true,
        customSynopsis = "jmerge moe CONFIG_FILE OUT_PATH [OPTIONS]",
        description = {"Build a mixture of experts from dense models, as mergekit-moe does.",
                "",
                "Attention, norms and embeddings come from base_model, each expert's MLP from its source_model, and "
                + "the router weights from gate_mode: hidden, hidden_avg, hidden_last (the base model's hidden states "
                + "on each expert's prompts), cheap_embed (their token embeddings), random, uniform_random (drawn from "
                + "the seed). Writes a Mixtral, DeepSeek MoE, Qwen2-MoE or Qwen3-MoE model, chosen as mergekit-moe "
                + "chooses ('architecture:' picks one). 'jmerge CONFIG_FILE OUT_PATH' builds a MoE config the same "
                + "way. The output folder appears only when complete."},
        footer = {"", "For a MoE build, --random-seed seeds the random gates and the experts' noise_scale, and"
                + " --write-model-card writes README.md and mergekit_moe_config.yml; --resume, --strict, --allow-crimes"
                + " and --[no-]lazy have no effect."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:built", "1:the build failed (input files, disk)", "2:usage or configuration error",
                "130, 143:interrupted (SIGINT, SIGTERM); nothing is left behind"})
public final class MoeCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CONFIG_FILE", description = "mergekit-moe YAML config")
    Path configFile;

    @Parameters(index = "1", paramLabel = "OUT_PATH", arity = "0..1",
            description = "output model folder (required, except with --dry-run)")
    Path outPath;

    @Option(names = "--i-understand-this-is-not-useful-without-training",
            description = "allow every expert to be the same model (to train the result afterwards)")
    boolean allowIdenticalExperts;

    @Option(names = {"--load-in-4bit", "--load-in-8bit"},
            description = "accepted for mergekit-moe's scripts and ignored: hidden states are computed in float32"
                    + " from the weights as stored")
    boolean[] quantized = new boolean[0];

    @Mixin
    MergeOptions options;

    private final CliContext ctx;

    MoeCommand(CliContext ctx) { this.ctx = ctx; }

    @Override
    public Integer call() {
        SharedOptions.reportIgnoredFlags(spec, ctx);
        List<String> quant = new ArrayList<>();
        for (String a : spec.commandLine().getParseResult().originalArgs()) {
            if ((a.equals("--load-in-4bit") || a.equals("--load-in-8bit")) && !quant.contains(a)) quant.add(a);
        }
        if (!quant.isEmpty()) {
            ctx.err().println("note: ignored: " + String.join(", ", quant) + " (hidden states are computed in float32"
                    + " from the weights as stored)");
        }
        if (outPath == null && !options.shared.dryRun) {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing OUT_PATH, the output model folder");
        }
        return new MoeRunner(ctx, options).run(configFile, outPath, allowIdenticalExperts);
    }
}
