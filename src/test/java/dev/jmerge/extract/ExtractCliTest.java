package dev.jmerge.extract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.io.safetensors.SafetensorsFormat;
import dev.jmerge.e2e.Cli;
import dev.jmerge.io.ModelWeights;
import dev.jmerge.io.safetensors.SafetensorsFile;
import dev.jmerge.io.safetensors.SafetensorsWriter;
import dev.jmerge.io.safetensors.TensorSpec;
import dev.jmerge.kernels.ScalarKernels;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: the dry run, one-line errors with nothing written, and how modules are told apart. */
class ExtractCliTest {

    @TempDir static Path tmp;
    static Path base, ft;

    @BeforeAll
    static void models() {
        Path[] m = Fixtures.llama(tmp.resolve("tiny"), ModelShape.tiny(DType.BF16), 61);
        base = m[0];
        ft = m[1];
    }

    private static Cli run(String... args) {
        List<String> all = new ArrayList<>(List.of("extract-lora"));
        all.addAll(List.of(args));
        return Cli.run(all.toArray(String[]::new));
    }

    /** Exit code 2 or 1, one error line naming the problem, and no output folder or leftover beside it. */
    private static void refused(int code, String message, Path out, String... args) throws IOException {
        Cli r = run(args);
        assertThat(r.exitCode()).as(r.err()).isEqualTo(code);
        assertThat(r.errors().lines().filter(l -> l.startsWith("error: "))).hasSize(1);
        assertThat(r.errors()).contains(message).doesNotContain("Exception");
        if (out != null) {
            assertThat(out).doesNotExist();
            try (Stream<Path> s = Files.list(out.getParent())) {
                assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("." + out.getFileName()));
            }
        }
    }

    @Test
    void dryRunListsEveryModuleAndWritesNothing() {
        Path out = tmp.resolve("dry");
        Cli r = run("--model", ft.toString(), "--base-model", base.toString(), "--out-path", out.toString(),
                "--max-rank", "8", "--dry-run");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("extract-lora: architecture llama",
                "model.embed_tokens [256, 32] bfloat16  Embedding, full rank (modules_to_save)",
                "model.layers.1.mlp.down_proj [32, 96] bfloat16  Linear, rank 8 (exact SVD)",
                "model.norm [32] bfloat16  norm (1-D), full rank (modules_to_save)",
                "modules: 14 decomposed, 7 saved at full rank, 0 left out",
                "modules_to_save: [embed_tokens, input_layernorm, post_attention_layernorm, norm, lm_head]",
                "peak memory estimate: ");
        assertThat(out).doesNotExist();
    }

    @Test
    void badInputsAreOneLineErrorsAndLeaveNoOutput() throws IOException {
        ModelShape tiny = ModelShape.tiny(DType.BF16);
        Path oneLayer = tmp.resolve("one-layer");
        SyntheticModels.write(oneLayer, tiny.withLayers(1), 3, 0, 0, 0);
        Path narrow = tmp.resolve("narrow");
        SyntheticModels.write(narrow, new ModelShape(32, 64, 2, 4, 2, 256, false, DType.BF16), 3, 0, 0, 0);
        Path out = tmp.resolve("never");
        String f = ft.toString(), b = base.toString(), o = out.toString();
        refused(2, "base model '" + oneLayer + "' has no tensor 'model.layers.1.self_attn.q_proj.weight'", out,
                "--model", f, "--base-model", oneLayer.toString(), "--out-path", o);
        refused(2, "tensor 'model.layers.0.mlp.up_proj.weight' is [96, 32] in '" + f + "' but [64, 32] in base model", out,
                "--model", f, "--base-model", narrow.toString(), "--out-path", o);
        refused(2, "nothing to decompose", out, "--model", f, "--base-model", b, "--out-path", o, "-e", ".");
        refused(2, "--include-regex '(': not a valid regular expression", out,
                "--model", f, "--base-model", b, "--out-path", o, "-i", "(");
        refused(2, "--max-rank: expected a rank of at least 1, got 0", out,
                "--model", f, "--base-model", b, "--out-path", o, "--max-rank", "0");
        refused(2, "model '" + tmp.resolve("nope") + "' not found", out,
                "--model", tmp.resolve("nope").toString(), "--base-model", b, "--out-path", o);
        refused(2, "Missing required option: '--base-model=MODEL'", null, "--model", f, "--out-path", o);
    }

    @Test
    void anExistingOutputIsNeverClobberedWithoutOverwrite() throws IOException {
        Path out = tmp.resolve("taken");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        Cli r = run("--model", ft.toString(), "--base-model", base.toString(), "--out-path", out.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.errors()).contains("output folder exists and is not empty; pass --overwrite");
        assertThat(Files.readString(out.resolve("keep.txt"))).isEqualTo("mine");
        Cli again = run("--model", ft.toString(), "--base-model", base.toString(), "--out-path", out.toString(),
                "--overwrite", "--max-rank", "2");
        assertThat(again.exitCode()).as(again.err()).isZero();
        try (Stream<Path> s = Files.list(out)) {
            assertThat(s.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("adapter_model.safetensors", "adapter_config.json", "README.md");
        }
    }

    @Test
    void nonFiniteWeightsFailTheExtractionWithNoOutput() throws IOException {
        Path broken = tmp.resolve("nan-ft");
        Files.createDirectories(broken);
        Files.copy(ft.resolve("config.json"), broken.resolve("config.json"));
        Files.copy(ft.resolve(SafetensorsFormat.SINGLE_FILE), broken.resolve(SafetensorsFormat.SINGLE_FILE));
        long at;
        try (SafetensorsFile sf = SafetensorsFile.open(broken.resolve(SafetensorsFormat.SINGLE_FILE))) {
            at = sf.tensors().get("model.layers.1.self_attn.o_proj.weight").begin() + 2 * 5;
        }
        try (FileChannel ch = FileChannel.open(broken.resolve(SafetensorsFormat.SINGLE_FILE), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xC0, 0x7F}), at); // bf16 NaN, little-endian
        }
        Path out = tmp.resolve("nan-out");
        refused(1, "tensor 'model.layers.1.self_attn.o_proj.weight': cannot decompose the difference from the base"
                + " (the matrix holds NaN or infinite values)", out, "--model", broken.toString(), "--base-model",
                base.toString(), "--out-path", out.toString(), "--max-rank", "4");
    }

    @Test
    void gpt2ProjectionsAreConv1dAndItsPositionTableAnEmbedding() throws IOException {
        Path g = gpt2(tmp.resolve("gpt2-base"), 7);
        Path gft = tmp.resolve("gpt2-ft");
        Fixtures.TUNE.write(g, gft, 8);
        Cli r = run("--model", gft.toString(), "--base-model", g.toString(), "--out-path", tmp.resolve("g").toString(),
                "--embed-lora", "--max-rank", "4", "--dry-run");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("extract-lora: architecture gpt2",
                "transformer.wte [64, 16] float32  Embedding, rank 4 (exact SVD), transposed",
                "transformer.wpe [32, 16] float32  Embedding, rank 4 (exact SVD), transposed",
                "transformer.h.0.attn.c_attn [16, 48] float32  Conv1D, full rank (modules_to_save)",
                "transformer.h.0.ln_1 [16] float32  norm (1-D), full rank (modules_to_save)")
                .doesNotContain("lm_head"); // tied to wte: the same parameter
        // without --embed-lora nothing is left to decompose, as in mergekit
        Cli plain = run("--model", gft.toString(), "--base-model", g.toString(), "--out-path", tmp.resolve("g2").toString());
        assertThat(plain.exitCode()).isEqualTo(2);
        assertThat(plain.errors()).contains("nothing to decompose");
    }

    /** A one-layer GPT-2 checkpoint (Conv1D weights stored [in, out]). */
    private static Path gpt2(Path dir, long seed) throws IOException {
        Files.createDirectories(dir);
        List<TensorSpec> specs = new ArrayList<>();
        add(specs, "transformer.wte.weight", 64, 16);
        add(specs, "transformer.wpe.weight", 32, 16);
        String h = "transformer.h.0.";
        for (String ln : List.of("ln_1", "ln_2")) {
            add(specs, h + ln + ".weight", 16);
            add(specs, h + ln + ".bias", 16);
        }
        add(specs, h + "attn.c_attn.weight", 16, 48);
        add(specs, h + "attn.c_attn.bias", 48);
        add(specs, h + "attn.c_proj.weight", 16, 16);
        add(specs, h + "attn.c_proj.bias", 16);
        add(specs, h + "mlp.c_fc.weight", 16, 64);
        add(specs, h + "mlp.c_fc.bias", 64);
        add(specs, h + "mlp.c_proj.weight", 64, 16);
        add(specs, h + "mlp.c_proj.bias", 16);
        add(specs, "transformer.ln_f.weight", 16);
        add(specs, "transformer.ln_f.bias", 16);
        SplittableRandom r = new SplittableRandom(seed);
        try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve(SafetensorsFormat.SINGLE_FILE), specs)) {
            for (TensorSpec t : specs) {
                float[] v = new float[(int) t.numel()];
                for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 0.1);
                new ScalarKernels().fromFloat(v, 0, w.tensorSegment(t.name()), 0, DType.F32, v.length);
            }
            w.finish();
        }
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"GPT2LMHeadModel\"], \"model_type\": \"gpt2\","
                + " \"n_layer\": 1, \"n_embd\": 16, \"vocab_size\": 64, \"n_positions\": 32}");
        return dir;
    }

    private static void add(List<TensorSpec> specs, String name, long... shape) {
        specs.add(new TensorSpec(name, DType.F32, new Shape(shape)));
    }
}
