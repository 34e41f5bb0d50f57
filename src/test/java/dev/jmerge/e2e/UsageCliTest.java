package dev.jmerge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.arch.ArchitectureRegistry;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Command-line mistakes and the small commands: exit 2 with one line and a usage hint, never a stack trace. */
class UsageCliTest {

    @TempDir
    static Path dir;

    static Path config;

    @BeforeAll
    static void setUp() throws Exception {
        SyntheticModels.write(dir.resolve("a"), ModelShape.tiny(DType.F32), 3, 0, 0.1, 0);
        config = Files.writeString(dir.resolve("c.yml"), "merge_method: linear\nmodels:\n  - model: " + dir.resolve("a")
                + "\n    parameters: {weight: 1}\n");
    }

    static List<List<String>> usageErrors() {
        String c = config.toString(), out = dir.resolve("never").toString();
        return List.of(
                List.of(c),                                        // OUT_PATH missing
                List.of(),                                         // nothing at all
                List.of(c, out, "--no-such-flag"),
                List.of(c, out, "--memory", "lots"),
                List.of(c, out, "--random-seed", "abc"),
                List.of(c, out, "extra"),
                List.of("multi", c, "--out-path", out),            // mergekit-multi needs -I
                List.of("multi", c, "-I", dir.resolve("i").toString(), "--bogus"));
    }

    @ParameterizedTest
    @MethodSource("usageErrors")
    void usageErrorsExitTwoWithOneLineAndAHint(List<String> args) {
        Cli r = Cli.run(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.errLines()).as(r.err()).hasSize(1);
        assertThat(r.errLines().getFirst()).startsWith("error: ").contains("(usage: jmerge ", " --help)")
                .doesNotContain("Exception", "picocli", "internal failure");
        assertThat(dir.resolve("never")).doesNotExist();
    }

    @Test
    void missingOutPathNamesIt() {
        Cli r = Cli.run(config.toString());
        assertThat(r.errLines()).containsExactly("error: missing OUT_PATH, the output model folder"
                + " (usage: jmerge CONFIG_FILE OUT_PATH [OPTIONS]; see jmerge --help)");
    }

    @Test
    void aMissingConfigFileIsAConfigError() {
        Cli r = Cli.run(dir.resolve("nope.yml").toString(), dir.resolve("never").toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.errLines()).singleElement().asString().startsWith("error: ").contains("nope.yml");
    }

    @Test
    void aMergekitMoeConfigIsRecognisedAndSentToJmergeMoe() throws Exception {
        Path moe = Files.writeString(dir.resolve("moe.yml"), """
                base_model: %s
                gate_mode: hidden
                dtype: bfloat16
                experts_per_token: 2
                experts:
                  - source_model: %s
                    positive_prompts: ["math"]
                  - source_model: %s
                    positive_prompts: ["code"]
                """.formatted(dir.resolve("a"), dir.resolve("a"), dir.resolve("a")));
        Cli r = Cli.run(moe.toString(), dir.resolve("never").toString());
        assertThat(r.exitCode()).isEqualTo(2);
        // the MoE builder's own checks run: the same model for every expert needs jmerge moe's flag
        assertThat(r.errLines()).singleElement().asString()
                .contains("moe.yml line 6", "every expert is the same model", "jmerge moe",
                        "--i-understand-this-is-not-useful-without-training")
                .doesNotContain("merge_method");
        assertThat(dir.resolve("never")).doesNotExist();
    }

    @Test
    void architecturesListsEveryRegisteredClassWithItsLayerKey() {
        Cli r = Cli.run("architectures");
        assertThat(r.exitCode()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.getFirst()).matches("model_type +class +layers key");
        assertThat(lines).anyMatch(l -> l.matches("llama +LlamaForCausalLM +num_hidden_layers"));
        assertThat(lines).anyMatch(l -> l.matches("qwen2_vl +Qwen2VLForConditionalGeneration +text_decoder: "
                + "num_hidden_layers, .*vision_tower: vision_config.depth"));
        ArchitectureRegistry reg = ArchitectureRegistry.builtIn();
        int classes = reg.all().stream().mapToInt(s -> s.architectures().size()).sum()
                + reg.allModular().stream().mapToInt(s -> s.architectures().size()).sum();
        long rows = lines.stream().filter(l -> l.split(" {2,}").length >= 3 && !l.startsWith("model_type")).count();
        assertThat(rows).isEqualTo(classes);
        assertThat(lines.getLast()).isEqualTo(classes + " classes in " + (reg.all().size() + reg.allModular().size())
                + " definitions, " + reg.allModular().size() + " multi-module");
    }

    @Test
    void helpListsTheCommandsAndTheMethods() {
        Cli r = Cli.run("--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("Usage: jmerge CONFIG_FILE OUT_PATH [OPTIONS]", "Commands", "  multi ",
                "  architectures ", "  bench ", "--[no-]lazy", "--resume", "dare_ties (base model required)",
                "JMERGE_PROGRESS=always", "HF_HUB_OFFLINE=1", "COLUMNS");
        // The help reads well in an 80-column terminal or pipe: picocli wraps longer lines without their indent.
        assertThat(r.out().lines()).allSatisfy(l -> assertThat(l.length()).as(l).isLessThanOrEqualTo(80));
        Cli multi = Cli.run("multi", "--help");
        assertThat(multi.out()).contains("Usage: jmerge multi CONFIG_FILE --intermediate-dir DIR [--out-path OUT_PATH]",
                "-I, --intermediate-dir=DIR", "--[no-]lazy");
    }
}
