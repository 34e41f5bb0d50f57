package dev.jmerge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The CLI end to end on generated models: layouts, dtypes, identities, output files, refusals. */
class MergeCliTest {

    @TempDir
    static Path models;

    @TempDir
    Path tmp;

    static final ModelShape FP32 = ModelShape.tiny(DType.F32);

    @BeforeAll
    static void generate() {
        for (int v = 0; v < 3; v++) {
            SyntheticModels.write(models.resolve("f32-" + v), FP32, 7, v, 0.1, 0);
            // Same family, bf16, stored as three shards, with tied embeddings.
            SyntheticModels.write(models.resolve("tied-" + v), FP32.withDtype(DType.BF16).withTied(true), 7, v, 0.1, 30_000);
        }
    }

    Path config(String yaml) throws Exception {
        Path f = tmp.resolve("c" + System.nanoTime() + ".yml");
        Files.writeString(f, yaml.replace("M/", models + "/"));
        return f;
    }

    Path merge(String yaml, String... extra) throws Exception {
        Path out = tmp.resolve("out" + System.nanoTime());
        String[] args = Stream.concat(Stream.of(config(yaml).toString(), out.toString(), "--quiet"), Stream.of(extra))
                .toArray(String[]::new);
        Cli r = Cli.run(args);
        assertThat(r.exitCode()).as(r.err()).isZero();
        return out;
    }

    @Test
    void mergingAModelWithItselfReturnsIt() throws Exception {
        Path out = merge("""
                merge_method: linear
                models:
                  - model: M/f32-1
                    parameters: {weight: 0.4}
                  - model: M/f32-1
                    parameters: {weight: 0.6}
                """);
        assertSameTensors(out, models.resolve("f32-1"));
    }

    @Test
    void weightsOneZeroReturnTheFirstModel() throws Exception {
        Path out = merge("""
                merge_method: linear
                models:
                  - model: M/f32-1
                    parameters: {weight: 1.0}
                  - model: M/f32-2
                    parameters: {weight: 0.0}
                """);
        assertSameTensors(out, models.resolve("f32-1"));
    }

    @Test
    void modelStockOfIdenticalFineTunesIsThatFineTune() throws Exception {
        Path copy = tmp.resolve("copy");
        copyFolder(models.resolve("f32-1"), copy);
        Path out = merge("""
                merge_method: model_stock
                base_model: M/f32-0
                models:
                  - model: M/f32-1
                  - model: COPY
                """.replace("COPY", copy.toString()));
        assertSameTensors(out, models.resolve("f32-1"), 2e-6);
    }

    @Test
    void slerpEndsAreTheInputs() throws Exception {
        String yaml = """
                merge_method: slerp
                base_model: M/f32-0
                models:
                  - model: M/f32-0
                  - model: M/f32-2
                parameters: {t: T}
                """;
        assertSameTensors(merge(yaml.replace("T", "0")), models.resolve("f32-0"), 1e-6);
        assertSameTensors(merge(yaml.replace("T", "1")), models.resolve("f32-2"), 1e-6);
    }

    @Test
    void passthroughOfAllLayersIsTheInputAndSlicesRewriteTheLayerCount() throws Exception {
        Path same = merge("""
                merge_method: passthrough
                slices:
                  - sources:
                      - model: M/f32-2
                        layer_range: [0, 2]
                """);
        assertSameTensors(same, models.resolve("f32-2"));
        Path deeper = merge("""
                merge_method: passthrough
                slices:
                  - sources:
                      - model: M/f32-1
                        layer_range: [0, 2]
                  - sources:
                      - model: M/f32-2
                        layer_range: [1, 2]
                """);
        JsonNode cfg = JsonMapper.shared().readTree(Files.readString(deeper.resolve("config.json")));
        assertThat(cfg.get("num_hidden_layers").asInt()).isEqualTo(3);
        Map<String, ModelFiles.Tensor> out = ModelFiles.read(deeper), b = ModelFiles.read(models.resolve("f32-2"));
        assertThat(out.get("model.layers.2.mlp.up_proj.weight").values())
                .isEqualTo(b.get("model.layers.1.mlp.up_proj.weight").values());
    }

    @Test
    void shardedTiedBf16InputsGiveShardedOutputWithIndexAndNoHead() throws Exception {
        Path out = merge("""
                merge_method: task_arithmetic
                base_model: M/tied-0
                models:
                  - model: M/tied-1
                    parameters: {weight: 0.5}
                  - model: M/tied-2
                    parameters: {weight: 0.5}
                """, "--out-shard-size", "20K");
        assertThat(out.resolve("model.safetensors.index.json")).exists();
        assertThat(out.resolve("model.safetensors")).doesNotExist();
        try (Stream<Path> files = Files.list(out)) {
            assertThat(files.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count())
                    .isGreaterThan(1);
        }
        Map<String, ModelFiles.Tensor> t = ModelFiles.read(out);
        assertThat(t).doesNotContainKey("lm_head.weight");
        assertThat(t.get("model.embed_tokens.weight").info().dtype()).isEqualTo(DType.BF16);
        // task_arithmetic with equal weights: b + 0.5(x1 - b) + 0.5(x2 - b), checked in float64
        Map<String, ModelFiles.Tensor> b = ModelFiles.read(models.resolve("tied-0")),
                x1 = ModelFiles.read(models.resolve("tied-1")), x2 = ModelFiles.read(models.resolve("tied-2"));
        for (String name : t.keySet()) {
            float[] got = t.get(name).values();
            for (int i = 0; i < got.length; i++) {
                double bb = b.get(name).values()[i];
                double want = bb + 0.5 * (x1.get(name).values()[i] - bb) + 0.5 * (x2.get(name).values()[i] - bb);
                assertThat((double) got[i]).isCloseTo(want, org.assertj.core.data.Offset.offset(Math.abs(want) * 0x1p-8 + 1e-7));
            }
        }
        JsonNode cfg = JsonMapper.shared().readTree(Files.readString(out.resolve("config.json")));
        assertThat(cfg.get("dtype").asString()).isEqualTo("bfloat16");
        assertThat(cfg.get("tie_word_embeddings").asBoolean()).isTrue();
    }

    @Test
    void outputHasConfigCardAndVerbatimYaml() throws Exception {
        String yaml = """
                merge_method: linear
                models:
                  - model: M/f32-1
                    parameters: {weight: 0.5}
                  - model: M/f32-2
                    parameters: {weight: 0.5}
                dtype: bfloat16
                """;
        Path out = merge(yaml);
        assertThat(Files.readString(out.resolve("mergekit_config.yml"))).isEqualTo(yaml.replace("M/", models + "/"));
        assertThat(Files.readString(out.resolve("README.md"))).contains("Linear").contains("```yaml");
        JsonNode cfg = JsonMapper.shared().readTree(Files.readString(out.resolve("config.json")));
        assertThat(cfg.get("dtype").asString()).isEqualTo("bfloat16");
        assertThat(cfg.has("torch_dtype")).isFalse();
        assertThat(ModelFiles.read(out).get("model.norm.weight").info().dtype()).isEqualTo(DType.BF16);
    }

    @Test
    void anExistingOutputIsRefusedUnlessOverwriteIsGiven() throws Exception {
        String yaml = """
                merge_method: linear
                models:
                  - model: M/f32-1
                    parameters: {weight: 1}
                """;
        Path cfg = config(yaml);
        Path out = tmp.resolve("existing");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        Cli refused = Cli.run(cfg.toString(), out.toString(), "--quiet");
        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.errors()).contains("--overwrite").doesNotContain("Exception");
        assertThat(out.resolve("keep.txt")).hasContent("mine");
        Cli ok = Cli.run(cfg.toString(), out.toString(), "--quiet", "--overwrite");
        assertThat(ok.exitCode()).isZero();
        assertThat(out.resolve("keep.txt")).doesNotExist();
        assertThat(out.resolve("model.safetensors")).exists();
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.filter(p -> p.getFileName().toString().contains(".jmerge-tmp-")).toList()).isEmpty();
        }
    }

    @Test
    void dryRunPrintsThePlanAndWritesNothing() throws Exception {
        Path cfg = config("""
                merge_method: ties
                base_model: M/f32-0
                models:
                  - model: M/f32-1
                    parameters: {weight: 0.5, density: 0.5}
                  - model: M/f32-2
                    parameters: {weight: 0.5, density: 0.5}
                """);
        Path out = tmp.resolve("never");
        Cli r = Cli.run(cfg.toString(), out.toString(), "--dry-run");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("model.layers.1.mlp.down_proj.weight [32, 96] float32")
                .contains("density=0.5").contains("(base)").contains("model.safetensors")
                .contains("peak memory estimate").contains("read:").contains("written:");
        assertThat(out).doesNotExist();
    }

    @Test
    void ignoredMergekitFlagsAreAcceptedAndReportedOnce() throws Exception {
        Path cfg = config("""
                merge_method: linear
                models:
                  - model: M/f32-1
                    parameters: {weight: 1}
                """);
        Cli r = Cli.run(cfg.toString(), tmp.resolve("o").toString(), "--quiet", "--cuda", "--lazy-unpickle",
                "--low-cpu-memory", "--clone-tensors", "--device", "cpu", "--cuda");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err().lines().filter(l -> l.contains("ignored")).toList()).hasSize(1);
        assertThat(r.err()).contains("--cuda").contains("--device");
    }

    @Test
    void multiDocumentRecipesRunInDependencyOrder() throws Exception {
        Path cfg = config("""
                merge_method: slerp
                base_model: M/f32-0
                models:
                  - model: M/f32-0
                  - model: blend
                parameters: {t: 0.5}
                ---
                name: blend
                merge_method: linear
                models:
                  - model: M/f32-1
                    parameters: {weight: 0.5}
                  - model: M/f32-2
                    parameters: {weight: 0.5}
                """);
        Path out = tmp.resolve("final");
        Cli r = Cli.run(cfg.toString(), out.toString(), "--quiet", "-I", tmp.resolve("inter").toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(tmp.resolve("inter/blend/model.safetensors")).exists();
        assertThat(out.resolve("model.safetensors")).exists();
    }

    static void assertSameTensors(Path out, Path expected) { assertSameTensors(out, expected, 0); }

    static void assertSameTensors(Path out, Path expected, double tol) {
        Map<String, ModelFiles.Tensor> a = ModelFiles.read(out), b = ModelFiles.read(expected);
        assertThat(a.keySet()).containsExactlyInAnyOrderElementsOf(b.keySet());
        for (String n : b.keySet()) {
            float[] x = a.get(n).values(), y = b.get(n).values();
            for (int i = 0; i < y.length; i++) {
                assertThat((double) x[i]).as("%s[%d]", n, i)
                        .isCloseTo(y[i], org.assertj.core.data.Offset.offset(tol * Math.max(1, Math.abs(y[i]))));
            }
        }
    }

    static void copyFolder(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) Files.copy(p, to.resolve(p.getFileName()));
        }
    }
}
