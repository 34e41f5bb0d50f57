package dev.jmerge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.synth.ExampleModels;
import dev.jmerge.synth.Family;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code jmerge moe} and {@code jmerge CONFIG OUT} on MoE configs: a build, its --dry-run, the flags, the examples,
 * and every configuration error as one exit-2 line naming the YAML line, with no output left behind.
 */
class MoeCliTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void models() {
        ModelShape s = new ModelShape(32, 48, 2, 4, 2, 64, false, DType.BF16);
        for (int v = 0; v < 3; v++) {
            Path m = dir.resolve(v == 0 ? "base" : "ft" + v);
            SyntheticModels.write(m, s, Family.LLAMA, 99, v, 0.3, 0);
            ExampleModels.writeTokenizer(m, s.vocab());
        }
        SyntheticModels.write(dir.resolve("short"), s.withLayers(1), Family.LLAMA, 99, 3, 0.3, 0);
        SyntheticModels.write(dir.resolve("qwen2"), s, Family.QWEN2, 99, 1, 0.3, 0);
    }

    private static Path yaml(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text.replace("$D", dir.toString()));
    }

    private static final String GOOD = """
            base_model: $D/base
            experts:
              - source_model: $D/ft1
                positive_prompts: ["w10 w11"]
              - source_model: $D/ft2
                positive_prompts: ["w20 w21"]
            """;

    @Test
    void moeBuildsAndSaysSoInOneLine() throws Exception {
        Path out = dir.resolve("built");
        Cli r = Cli.run("moe", yaml("good.yml", GOOD).toString(), out.toString(), "-j", "2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.errLines()).singleElement().asString()
                .matches("built Mixtral \\(2 experts\\): 21 tensors \\(.*\\) in [0-9.]+ s (→|->) " + java.util.regex.Pattern.quote(out.toString()));
        assertThat(out.resolve("model.safetensors")).exists();
        assertThat(out.resolve("README.md")).content().contains("Command: `jmerge moe ");

        // the main command recognises the MoE config and builds the same model
        Path same = dir.resolve("built-by-main");
        Cli main = Cli.run(dir.resolve("good.yml").toString(), same.toString(), "--quiet");
        assertThat(main.exitCode()).as(main.err()).isZero();
        assertThat(main.err()).isEmpty();
        assertThat(Files.readAllBytes(same.resolve("model.safetensors")))
                .isEqualTo(Files.readAllBytes(out.resolve("model.safetensors")));
        assertThat(same.resolve("README.md")).content().contains("Command: `jmerge " + dir.resolve("good.yml") + " ");

        // and the Mixtral runs in the forward pass
        Path ids = Files.writeString(dir.resolve("ids.txt"), "1 10 11 12 20 21 22 5 6 7\n");
        Cli eval = Cli.run("eval", out.toString(), "--token-ids", ids.toString(), "--quiet");
        assertThat(eval.exitCode()).as(eval.err()).isZero();
        assertThat(eval.out()).contains("MixtralForCausalLM");

        Cli again = Cli.run("moe", dir.resolve("good.yml").toString(), out.toString());
        assertThat(again.exitCode()).isEqualTo(2);
        assertThat(again.errLines()).singleElement().asString().contains("not empty", "--overwrite");
    }

    @Test
    void dryRunPrintsThePlanAndWritesNothing() throws Exception {
        Path out = dir.resolve("never-written");
        Cli r = Cli.run("moe", yaml("dry.yml", GOOD).toString(), out.toString(), "--dry-run");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("moe: Mixtral (MixtralForCausalLM), 2 experts, 2 per token, gate_mode hidden",
                "  not DeepSeek MoE: it fits too; Mixtral comes first",
                "model.layers.1.mlp.experts.gate_up_proj [2, 96, 32] bfloat16 <- [" + dir + "/ft1] model.layers.1.mlp"
                        + ".gate_proj.weight, [" + dir + "/ft1] model.layers.1.mlp.up_proj.weight, [" + dir + "/ft2]",
                "model.layers.0.mlp.gate.weight [2, 32] bfloat16 <- gates of layer 0, rows 0..1", "shards:",
                "peak memory estimate:");
        assertThat(out).doesNotExist();
        assertThat(Cli.run("moe", dir.resolve("dry.yml").toString(), "--dry-run").exitCode()).isZero();
    }

    @Test
    void mergekitMoeFlagsAreAcceptedAndTheIgnoredOnesSaidOnce() throws Exception {
        Path out = dir.resolve("flags");
        Cli r = Cli.run("moe", yaml("flags.yml", GOOD).toString(), out.toString(), "--load-in-4bit", "--load-in-8bit",
                "--cuda", "--resume", "--quiet", "--i-understand-this-is-not-useful-without-training");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.errLines()).containsExactly("note: ignored (no meaning for jmerge moe): --cuda",
                "note: ignored: --load-in-4bit, --load-in-8bit (hidden states are computed in float32 from the weights as"
                        + " stored)", "note: ignored (no meaning for a MoE build): --resume");
    }

    @Test
    void identicalExpertsNeedTheFlag() throws Exception {
        Path yaml = yaml("same.yml", """
                base_model: $D/base
                gate_mode: cheap_embed
                experts:
                  - source_model: $D/ft1
                    positive_prompts: ["w10 w11"]
                  - source_model: $D/ft1
                    positive_prompts: ["w20 w21"]
                """);
        Cli refused = Cli.run("moe", yaml.toString(), dir.resolve("same").toString());
        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.errLines()).singleElement().asString().isEqualTo("error: " + yaml + " line 4: every expert is"
                + " the same model '" + dir + "/ft1', so the MoE computes what that model computes, at a higher cost; to"
                + " build it anyway (to train it afterwards), pass --i-understand-this-is-not-useful-without-training to"
                + " jmerge moe");
        Cli allowed = Cli.run("moe", yaml.toString(), dir.resolve("same").toString(),
                "--i-understand-this-is-not-useful-without-training", "--quiet");
        assertThat(allowed.exitCode()).as(allowed.err()).isZero();
        // random gates skip mergekit's remaining checks: sparse upcycling lists one model on purpose
        Path upcycle = yaml("upcycle.yml", """
                base_model: $D/base
                gate_mode: random
                experts:
                  - source_model: $D/base
                  - source_model: $D/base
                """);
        Cli up = Cli.run("moe", upcycle.toString(), dir.resolve("upcycled").toString(), "--quiet", "--random-seed", "3");
        assertThat(up.exitCode()).as(up.err()).isZero();
    }

    static Stream<Arguments> errors() {
        return Stream.of(
                Arguments.of("experts_per_token: 0\n" + GOOD, "line 1: 'experts_per_token' must be at least 1, got 0"),
                Arguments.of("experts_per_token: 3\n" + GOOD, "line 4: 'experts' lists 2 experts, fewer than"
                        + " experts_per_token (3)"),
                Arguments.of("""
                        base_model: $D/base
                        experts:
                          - source_model: $D/ft1
                            positive_prompts: ["w10"]
                          - source_model: $D/ft2
                        """, "line 5: expert 1 ('$D/ft2') has no 'positive_prompts'; gate_mode hidden needs prompts for"
                        + " every expert (only gate_mode random does without)"),
                Arguments.of("""
                        base_model: $D/base
                        gate_mode: uniform_random
                        experts:
                          - source_model: $D/ft1
                          - source_model: $D/ft2
                        """, "line 4: expert 0 ('$D/ft1') has no 'positive_prompts'; gate_mode uniform_random needs"
                        + " prompts for every expert (only gate_mode random does without; uniform_random does not read them"
                        + " but requires them, as mergekit does)"),
                Arguments.of("""
                        base_model: $D/base
                        experts:
                          - source_model: $D/ft1
                            positive_prompts: ["w10"]
                          - source_model: $D/ft2
                            positive_prompts: ["w10"]
                        """, "line 3: every expert has the same positive and negative prompts, so the gates cannot tell"
                        + " them apart; give each expert prompts typical of what should be routed to it"),
                Arguments.of("""
                        base_model: $D/base
                        experts_per_token: 1
                        experts:
                          - source_model: $D/ft1
                            positive_prompts: ["w10"]
                        """, "line 4: there is only one expert, so no prompts tell experts apart"),
                Arguments.of("""
                        base_model: $D/base
                        experts:
                          - source_model: $D/ft1
                            positive_prompts: "w10"
                          - source_model: $D/ft2
                            positive_prompts: ["w20"]
                        """, "line 4: 'positive_prompts' must be a list of strings, got \"w10\""),
                Arguments.of("""
                        base_model: $D/base
                        experts:
                          - source_model: $D/ft1
                            positive_prompts: [12]
                        """, "line 4: 'positive_prompts' must be a string (each prompt of a list of strings), got \"12\""),
                Arguments.of("gate_mode: hiden\n" + GOOD, "line 1: 'gate_mode' must be one of hidden, hidden_avg,"
                        + " hidden_last, cheap_embed, random, uniform_random, got \"hiden\""),
                Arguments.of("dtype: int64\n" + GOOD, "line 1: 'dtype' must be one of bfloat16, float16, float32, got"
                        + " \"int64\""),
                Arguments.of("experts:\n  - source_model: $D/ft1\n", "line 1: 'base_model' is required in 'config'"),
                Arguments.of("base_model: $D/base\n", "line 1: 'experts' is required in 'config'"),
                Arguments.of("base_model: $D/base\nexperts:\n  - positive_prompts: [\"a\"]\n",
                        "line 3: 'source_model' is required in 'experts'"),
                Arguments.of("architecture: gpt\n" + GOOD, "line 1: 'architecture' \"gpt\" names no output architecture;"
                        + " expected the start of one of Mixtral, DeepSeek MoE, Qwen MoE, Qwen3 MoE"),
                Arguments.of(GOOD + """
                        shared_experts:
                          - source_model: $D/ft1
                          - source_model: $D/ft2
                        """, "line 1: no MoE architecture can be built from these models (Mixtral: it has no shared"
                        + " experts; DeepSeek MoE: it takes at most one shared expert; Qwen MoE: it needs exactly one shared"
                        + " expert; Qwen3 MoE: it has no shared experts)"),
                Arguments.of(GOOD.replace("$D/ft2", "$D/qwen2"), "line 1: no MoE architecture can be built from these"
                        + " models (Mixtral: all models must have the same model_type (they have [llama, qwen2]);"),
                Arguments.of(GOOD.replace("$D/ft2", "$D/short"), "expert 1 ('$D/short', $D/case.yml line 5): model has no"
                        + " tensor 'model.layers.1.mlp.gate_proj.weight'; each expert needs its MLP weights for every one of"
                        + " the base model's 2 layers"),
                Arguments.of(GOOD.replace("$D/ft2", "$D/missing"), "model '$D/missing' not found"),
                Arguments.of(GOOD + "---\n" + GOOD, "a mergekit-moe config is one YAML document, this file has 2"));
    }

    @ParameterizedTest
    @MethodSource("errors")
    void configurationErrorsAreOneLineNamingTheYamlLine(String config, String message) throws Exception {
        Path yaml = yaml("case.yml", config);
        Path out = dir.resolve("case-out");
        Cli r = Cli.run("moe", yaml.toString(), out.toString());
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        List<String> errors = r.errLines().stream().filter(l -> !l.startsWith("warning: ")).toList();
        assertThat(errors).singleElement().asString().startsWith("error: ")
                .contains(message.replace("$D", dir.toString()));
        if (message.startsWith("line")) assertThat(errors.getFirst()).startsWith("error: " + yaml + " " + message.split(":")[0]);
        assertThat(out).doesNotExist();
    }

    @Test
    void unknownKeysAreWarnedWithTheirLine() throws Exception {
        Path yaml = yaml("typo.yml", "experts_per_tokn: 1\n" + GOOD);
        Cli r = Cli.run("moe", yaml.toString(), "--dry-run");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.errLines()).contains("warning: " + yaml + " line 1: unknown key 'experts_per_tokn' in a mergekit-moe"
                + " config ignored; did you mean 'experts_per_token'?");
    }

    @Test
    void everyMoeExampleBuildsWithoutAWarning() throws Exception {
        List<Path> examples;
        try (Stream<Path> s = Files.list(Path.of("examples"))) {
            examples = s.filter(p -> p.getFileName().toString().startsWith("moe")).sorted().toList();
        }
        assertThat(examples).hasSizeGreaterThanOrEqualTo(2);
        for (Path example : examples) {
            Path out = dir.resolve("example-" + example.getFileName());
            Cli r = Cli.run("moe", example.toString(), out.toString(), "--random-seed", "1");
            assertThat(r.exitCode()).as(example + ": " + r.err()).isZero();
            assertThat(r.errLines()).as(example.toString()).singleElement().asString().startsWith("built ");
        }
    }
}
