package dev.jmerge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every config mistake stops the run before a tensor is read: exit code 2, one line on stderr naming the
 * file, line and key (or the model and tensor), no stack trace, and nothing written at the output path.
 */
class ConfigErrorCliTest {

    @TempDir
    static Path models;

    @TempDir
    Path tmp;

    @BeforeAll
    static void generate() throws Exception {
        ModelShape s = ModelShape.tiny(DType.F32);
        for (int v = 0; v < 3; v++) SyntheticModels.write(models.resolve("m" + v), s, 11, v, 0.1, 0);
        // A model that lost a tensor: the planner must notice before merging.
        Path broken = models.resolve("broken");
        SyntheticModels.write(broken, s.withLayers(3), 11, 1, 0.1, 0);
        Files.writeString(broken.resolve("config.json"),
                Files.readString(broken.resolve("config.json")).replace("\"num_hidden_layers\": 3", "\"num_hidden_layers\": 4"));
    }

    static Stream<Arguments> mistakes() {
        return Stream.of(
                Arguments.of("unknown method", """
                        merge_method: tiez
                        models:
                          - model: M/m1
                        """, new String[] {"line 1", "merge_method 'tiez'", "ties", "known methods"}),
                Arguments.of("missing weight", """
                        merge_method: ties
                        base_model: M/m0
                        models:
                          - model: M/m1
                            parameters: {weight: 0.5}
                          - model: M/m2
                        """, new String[] {"line 6", "'weight'", "M/m2"}),
                Arguments.of("density mergekit stops on", """
                        merge_method: ties
                        base_model: M/m0
                        models:
                          - model: M/m1
                            parameters: {weight: 0.5, density: 0.001}
                        """, new String[] {"line 5", "'density'", "M/m1", "keeps no element"}),
                Arguments.of("della's epsilon", """
                        merge_method: della_linear
                        base_model: M/m0
                        models:
                          - model: M/m1
                            parameters: {weight: 0.5, density: 0.5, epsilon: 0.6}
                        """, new String[] {"line 5", "'epsilon'", "M/m1", "density 0.5 ± epsilon 0.6"}),
                Arguments.of("missing t", """
                        merge_method: slerp
                        base_model: M/m0
                        models:
                          - model: M/m0
                          - model: M/m1
                        """, new String[] {"line 1", "'t'"}),
                Arguments.of("layer_range beyond the model", """
                        merge_method: passthrough
                        slices:
                          - sources:
                              - model: M/m1
                                layer_range: [0, 7]
                        """, new String[] {"line 5", "layer_range [0, 7]", "2 layers"}),
                Arguments.of("unequal slice sources", """
                        merge_method: slerp
                        base_model: M/m0
                        slices:
                          - sources:
                              - model: M/m0
                                layer_range: [0, 2]
                              - model: M/m1
                                layer_range: [0, 1]
                        parameters: {t: 0.5}
                        """, new String[] {"line 4", "same number of layers"}),
                Arguments.of("tokenizer twice", """
                        merge_method: linear
                        models:
                          - model: M/m1
                            parameters: {weight: 1}
                        tokenizer_source: base
                        tokenizer: {source: union}
                        """, new String[] {"line", "tokenizer_source", "tokenizer"}),
                Arguments.of("bad dtype", """
                        merge_method: linear
                        models:
                          - model: M/m1
                            parameters: {weight: 1}
                        dtype: float17
                        """, new String[] {"line 5", "dtype", "bfloat16"}),
                Arguments.of("missing model", """
                        merge_method: linear
                        models:
                          - model: M/nowhere
                            parameters: {weight: 1}
                        """, new String[] {"line 3", "nowhere", "not found"}),
                Arguments.of("missing base", """
                        merge_method: ties
                        models:
                          - model: M/m1
                            parameters: {weight: 1}
                        """, new String[] {"line 1", "base_model"}),
                Arguments.of("models and slices", """
                        merge_method: linear
                        models:
                          - model: M/m1
                        slices:
                          - sources:
                              - model: M/m1
                                layer_range: [0, 2]
                        """, new String[] {"models", "slices"}),
                Arguments.of("config says more layers than the tensors", """
                        merge_method: passthrough
                        slices:
                          - sources:
                              - model: M/broken
                                layer_range: [0, 4]
                        """, new String[] {"broken", "model.layers.3.", "lacks"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void givesOneClearLineAndNoOutput(String what, String yaml, String[] mentions) throws Exception {
        Path cfg = tmp.resolve("config.yml");
        Files.writeString(cfg, yaml.replace("M/", models + "/"));
        Path out = tmp.resolve("out");
        Cli r = Cli.run(cfg.toString(), out.toString(), "--quiet");
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        String err = r.errors();
        assertThat(err.lines().count()).as(err).isEqualTo(1);
        assertThat(err).startsWith("error: ").doesNotContain("Exception").doesNotContain("\tat ");
        for (String m : mentions) assertThat(err).contains(m.replace("M/", models + "/"));
        assertThat(out).doesNotExist();
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("config.yml");
        }
    }
}
