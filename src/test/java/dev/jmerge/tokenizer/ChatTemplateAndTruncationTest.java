package dev.jmerge.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.cli.Main;
import dev.jmerge.config.MergeConfig;
import dev.jmerge.e2e.ModelFiles;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** chat_template on both output paths, published-style configs, and the no-tokenizer truncation warning. */
class ChatTemplateAndTruncationTest {

    static final List<TestTokenizers.Added> SPECIAL3 = List.of(new TestTokenizers.Added("<unk>", 0, true),
            new TestTokenizers.Added("<s>", 1, true), new TestTokenizers.Added("</s>", 2, true));

    @TempDir
    Path tmp;

    record Result(int rc, String err) {}

    Path model(String name, int variant, int vocab, List<String> words) {
        Path dir = tmp.resolve(name);
        SyntheticModels.write(dir, new ModelShape(16, 32, 2, 2, 1, vocab, false, DType.F32), 5, variant, 0.3, 0);
        if (words != null) {
            TestTokenizers.wordLevel(dir, words, SPECIAL3);
            TestTokenizers.tokenizerConfig(dir, null);
        }
        return dir;
    }

    static List<String> words(String prefix, int n) {
        List<String> w = new java.util.ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        for (int i = 3; i < n; i++) w.add(prefix + i);
        return w;
    }

    Result run(String yaml, String out, String... extra) throws Exception {
        Path config = tmp.resolve(out + ".yml");
        Files.writeString(config, yaml.replace("$T", tmp.toString()));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            String[] args = new String[3 + extra.length];
            args[0] = config.toString();
            args[1] = tmp.resolve(out).toString();
            args[2] = "--quiet";
            System.arraycopy(extra, 0, args, 3, extra.length);
            return new Result(Main.run(args), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(old);
        }
    }

    static JsonNode json(Path file) throws Exception { return JsonMapper.shared().readTree(Files.readString(file)); }

    static final String TWO = """
            merge_method: linear
            models:
              - model: $T/a
                parameters: {weight: 1.0}
              - model: $T/b
                parameters: {weight: 1.0}
            """;

    @Test
    void builtInTemplatesOnThePlainCopyPath() throws Exception {
        model("a", 0, 32, words("a", 32));
        model("b", 1, 32, words("a", 32));
        for (String name : MergeConfig.CHAT_TEMPLATE_NAMES) {
            Result r = run(TWO + "chat_template: " + name + "\n", "out-" + name);
            assertThat(r.rc()).as(r.err()).isZero();
            Path out = tmp.resolve("out-" + name);
            String template = ChatTemplates.builtin(name);
            assertThat(template).contains("{%").contains("message['content']");
            assertThat(json(out.resolve("tokenizer_config.json")).get("chat_template").asString()).isEqualTo(template);
            assertThat(Files.readString(out.resolve("chat_template.jinja"))).isEqualTo(template);
            // The rest of the tokenizer is the donor's, copied unchanged.
            assertThat(Files.readString(out.resolve("tokenizer.json")))
                    .isEqualTo(Files.readString(tmp.resolve("a/tokenizer.json")));
        }
        String chatml = ChatTemplates.builtin("chatml");
        assertThat(chatml).contains("<|im_start|>").contains("<|im_end|>").contains("add_generation_prompt");
        assertThat(ChatTemplates.builtin("llama3")).contains("<|start_header_id|>").contains("<|eot_id|>");
        assertThat(ChatTemplates.builtin("mistral")).contains("[INST]").contains("[/INST]");
        assertThat(ChatTemplates.builtin("alpaca")).contains("### Instruction:").contains("### Response:");
        assertThat(ChatTemplates.builtin("exaone")).contains("[|endofturn|]");
    }

    @Test
    void literalTemplateIsWrittenAndAShortOneIsRejectedWithItsLine() throws Exception {
        model("a", 0, 32, words("a", 32));
        model("b", 1, 32, words("a", 32));
        String literal = "{% for m in messages %}{{ m['content'] }}{% endfor %}";
        Result ok = run(TWO + "chat_template: \"" + literal + "\"\n", "lit");
        assertThat(ok.rc()).as(ok.err()).isZero();
        assertThat(json(tmp.resolve("lit/tokenizer_config.json")).get("chat_template").asString()).isEqualTo(literal);

        Result bad = run(TWO + "chat_template: chatml2\n", "bad");
        assertThat(bad.rc()).isEqualTo(2);
        assertThat(bad.err()).contains("bad.yml").contains("line 7").contains("'chat_template'").contains("chatml2");
    }

    @Test
    void publishedStyleSlerpWithUnionAndTiesWithModernBlock() throws Exception {
        model("a", 0, 32, words("a", 32));
        model("b", 1, 40, words("b", 40));
        TestTokenizers.tokenizerConfig(tmp.resolve("b"), "{{ b's template, long enough }}");
        String slerp = """
                slices:
                  - sources:
                      - model: $T/a
                        layer_range: [0, 2]
                      - model: $T/b
                        layer_range: [0, 2]
                merge_method: slerp
                base_model: $T/a
                parameters:
                  t:
                    - filter: self_attn
                      value: [0, 0.5, 0.3, 0.7, 1]
                    - value: 0.5
                dtype: bfloat16
                tokenizer_source: union
                chat_template: auto
                """;
        Result r = run(slerp, "slerp");
        assertThat(r.rc()).as(r.err()).isZero();
        Path out = tmp.resolve("slerp");
        int union = 32 + 37; // a's words, then b's 37 non-special words
        assertThat(json(out.resolve("config.json")).get("vocab_size").asInt()).isEqualTo(union);
        var embed = ModelFiles.read(out).get("model.embed_tokens.weight");
        assertThat(embed.info().shape().dims()).containsExactly(union, 16);
        assertThat(embed.info().dtype()).isEqualTo(DType.BF16);
        assertThat(json(out.resolve("tokenizer_config.json")).get("chat_template").asString())
                .isEqualTo("{{ b's template, long enough }}");

        String ties = """
                models:
                  - model: $T/a
                  - model: $T/b
                    parameters:
                      density: 0.5
                      weight: 0.5
                merge_method: ties
                base_model: $T/a
                parameters:
                  normalize: true
                dtype: float16
                tokenizer:
                  source: base
                  pad_to_multiple_of: 64
                chat_template: chatml
                """;
        Result t = run(ties, "ties");
        assertThat(t.rc()).as(t.err()).isZero();
        assertThat(json(tmp.resolve("ties/config.json")).get("vocab_size").asInt()).isEqualTo(64);
        assertThat(ModelFiles.read(tmp.resolve("ties")).get("lm_head.weight").info().shape().dims()).containsExactly(64, 16);
        assertThat(json(tmp.resolve("ties/tokenizer_config.json")).get("chat_template").asString())
                .isEqualTo(ChatTemplates.builtin("chatml"));
    }

    @Test
    void withoutATokenizerSettingTheCutIsExplained() throws Exception {
        model("a", 0, 32, null);
        model("b", 1, 40, null);
        Result r = run(TWO, "cut", "--no-copy-tokenizer");
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.err()).contains("tensor 'model.embed_tokens.weight': embedding sizes differ")
                .contains("'" + tmp.resolve("b") + "' loses 8 of 40 rows")
                .contains("the output vocabulary size is 32")
                .contains("tokenizer: {source: union}");
        assertThat(ModelFiles.read(tmp.resolve("cut")).get("lm_head.weight").info().shape().dims()).containsExactly(32, 16);
    }

    @Test
    void missingBaseTokenizerIsAConfigError() throws Exception {
        model("a", 0, 32, null);
        model("b", 1, 32, words("b", 32));
        Result r = run(TWO + "tokenizer_source: union\n", "notok");
        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.err()).contains("needs the base model's tokenizer").contains("neither tokenizer.json nor tokenizer.model");
    }
}
