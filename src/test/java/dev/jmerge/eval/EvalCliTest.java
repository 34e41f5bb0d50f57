package dev.jmerge.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jmerge.cli.Main;
import dev.jmerge.io.safetensors.SafetensorsFile;
import dev.jmerge.synth.ForwardFixtureModels;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jmerge eval} end to end: the table, the last line, the token-id file rules and the errors. */
class EvalCliTest {

    @TempDir
    Path tmp;

    @org.junit.jupiter.api.BeforeAll
    static void nativeTokenizersUnpackIntoTarget() {
        // --text loads the tokenizers library; keep its unpacked copy out of the home folder.
        System.setProperty("ENGINE_CACHE_DIR", Path.of("target/djl-cache").toAbsolutePath().toString());
    }

    record Run(int code, String out, String err) {
        String lastLine() {
            String[] lines = out.strip().split("\n");
            return lines[lines.length - 1];
        }
    }

    static Run jmerge(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(Map.of(), new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Perplexity column of the table row whose model path ends with {@code name}. */
    static double perplexity(Run r, String name) {
        for (String line : r.out().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 6 && f[0].endsWith(name)) return Double.parseDouble(f[4]);
        }
        throw new AssertionError("no row for " + name + " in\n" + r.out());
    }

    @Test
    void tokenIdPerplexityIsTheTokenWeightedMeanOverTheFileAgainstTheFloat64Reference() throws Exception {
        ForwardFixtureModels.Spec spec = ForwardFixtureModels.specs().getFirst();
        Path model = tmp.resolve(spec.name());
        ForwardFixtureModels.write(model, spec);
        // Expected from the PyTorch reference logits: exp(Σ NLL / Σ (n_i − 1)) over every sequence.
        double nll = 0;
        long predicted = 0;
        StringBuilder file = new StringBuilder("\n");
        try (SafetensorsFile ref = SafetensorsFile.open(Path.of("src/test/resources/forward", spec.name() + ".safetensors"))) {
            for (int i = 0; ref.tensors().containsKey("seq" + i + ".tokens"); i++) {
                long[] toks = longs(ref, "seq" + i + ".tokens");
                double[] logits = doubles(ref, "seq" + i + ".logits");
                int vocab = logits.length / toks.length;
                for (int p = 0; p + 1 < toks.length; p++) {
                    double m = Double.NEGATIVE_INFINITY, s = 0;
                    for (int v = 0; v < vocab; v++) m = Math.max(m, logits[p * vocab + v]);
                    for (int v = 0; v < vocab; v++) s += Math.exp(logits[p * vocab + v] - m);
                    nll += m + Math.log(s) - logits[p * vocab + (int) toks[p + 1]];
                    predicted++;
                }
                for (long t : toks) file.append("  ").append(t).append('\t');
                file.append("\n\n");
            }
        }
        Path ids = tmp.resolve("ids.txt");
        Files.writeString(ids, file.toString());
        Run r = jmerge("eval", model.toString(), "--token-ids", ids.toString(), "--quiet");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.lastLine()).startsWith("perplexity: ");
        double ppl = Double.parseDouble(r.lastLine().substring("perplexity: ".length()));
        assertThat(ppl).isCloseTo(Math.exp(nll / predicted), within(Math.exp(nll / predicted) * 1e-5));
        assertThat(r.out()).contains(" " + predicted + " ");
    }

    @Test
    void severalModelsOnTextGiveOneRowEachWithWindowsAndATokenBudget() throws Exception {
        Path text = tmp.resolve("text.txt");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 50; i++) sb.append("w").append(3 + (i * 7) % 200).append(i % 9 == 8 ? "\n" : " ");
        Files.writeString(text, sb.toString());
        Run r = jmerge("eval", "examples/models/base", "examples/models/ft1", "--text", text.toString(),
                "--max-tokens", "20", "--context", "8", "-j", "1");
        assertThat(r.code()).as(r.err()).isZero();
        List<String> rows = new ArrayList<>(List.of(r.out().strip().split("\n")));
        assertThat(rows).hasSize(3);
        assertThat(rows.get(0)).contains("perplexity").contains("tokens/s");
        // 20 tokens in windows of 8, 8 and 4: 7 + 7 + 3 predicted.
        for (String row : rows.subList(1, 3)) {
            assertThat(row.trim().split("\\s+")).satisfies(f -> {
                assertThat(f[1]).isEqualTo("LlamaForCausalLM");
                assertThat(f[2]).isEqualTo("20");
                assertThat(f[3]).isEqualTo("17");
            });
        }
        assertThat(r.out()).doesNotContain("perplexity:");
    }

    @Test
    void anUnsupportedArchitectureIsAUsageErrorNamingIt() throws Exception {
        Path model = tmp.resolve("gpt2");
        Files.createDirectories(model);
        Files.copy(Path.of("examples/models/base/model.safetensors"), model.resolve("model.safetensors"));
        Files.writeString(model.resolve("config.json"), Files.readString(Path.of("examples/models/base/config.json"))
                .replace("LlamaForCausalLM", "GPT2LMHeadModel"));
        Path ids = tmp.resolve("ids.txt");
        Files.writeString(ids, "1 2 3\n");
        Run r = jmerge("eval", model.toString(), "--token-ids", ids.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: " + model.resolve("config.json") + ": architecture 'GPT2LMHeadModel'"
                + " is not supported by the forward pass (supported: LlamaForCausalLM, MistralForCausalLM,"
                + " Qwen2ForCausalLM, Qwen3ForCausalLM, MixtralForCausalLM, Qwen3MoeForCausalLM)");
    }

    @Test
    void badTokenIdFilesAreNamedWithTheirLine() throws Exception {
        Path ids = tmp.resolve("ids.txt");
        Files.writeString(ids, "1 2 3\n\n4 five 6\n");
        Run r = jmerge("eval", "examples/models/base", "--token-ids", ids.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: " + ids + ":3: 'five' is not a token id");
        Files.writeString(ids, "1 2 3\n4 256 6\n");
        r = jmerge("eval", "examples/models/base", "--token-ids", ids.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: " + ids + ":2: token id 256 is outside the vocabulary of examples/models/base (0..255)");
        Files.writeString(ids, "7\n8\n");
        r = jmerge("eval", "examples/models/base", "--token-ids", ids.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("nothing to predict");
        r = jmerge("eval", "examples/models/base");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--text").contains("--token-ids");
    }

    private static long[] longs(SafetensorsFile f, String name) {
        var seg = f.segment(f.tensors().get(name));
        long[] v = new long[(int) (seg.byteSize() / 8)];
        for (int i = 0; i < v.length; i++) v[i] = seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8L * i);
        return v;
    }

    private static double[] doubles(SafetensorsFile f, String name) {
        var seg = f.segment(f.tensors().get(name));
        double[] v = new double[(int) (seg.byteSize() / 8)];
        for (int i = 0; i < v.length; i++) v[i] = seg.get(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8L * i);
        return v;
    }
}
