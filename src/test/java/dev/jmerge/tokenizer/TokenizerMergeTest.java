package dev.jmerge.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jmerge.cli.Main;
import dev.jmerge.e2e.ModelFiles;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Merges generated models whose tokenizers differ, through the CLI, and checks the written vocabulary, ids and
 * every embedding row against a float64 reference that follows compat §6 token by token.
 */
class TokenizerMergeTest {

    static final int V = 24, H = 16;
    static final String EMBED = "model.embed_tokens.weight", HEAD = "lm_head.weight";
    static final List<TestTokenizers.Added> SPECIAL3 = List.of(new TestTokenizers.Added("<unk>", 0, true),
            new TestTokenizers.Added("<s>", 1, true), new TestTokenizers.Added("</s>", 2, true));

    /**
     * Base: BPE; "zz" (id 24) and the added "<extra>" (id 25) lie past vocab_size 24 and must vanish, and with
     * "zz" the merge "z z" that would produce it.
     */
    static final List<String> BASE = List.of("<unk>", "<s>", "</s>", "h", "e", "l", "o", "w", "r", "d", "he", "ll",
            "hell", "hello", "wo", "wor", "worl", "world", "a", "b", "z", "ab", "abz", "x", "zz");
    static final List<String> BASE_MERGES = List.of("h e", "l l", "he ll", "hell o", "w o", "wo r", "wor l",
            "worl d", "a b", "ab z", "z z");
    /** m1: Unigram with an added "<tool>" at its last id. */
    static final List<String> M1 = List.of("<unk>", "<s>", "</s>", "hello", "world", "x", "a", "b", "foo", "bar",
            "baz", "qux", "m1_0", "m1_1", "m1_2", "m1_3", "m1_4", "m1_5", "m1_6", "m1_7", "m1_8", "m1_9", "m1_10",
            "<tool>");
    /** m2: SentencePiece tokenizer.model only. */
    static final List<String> M2 = List.of("<unk>", "<s>", "</s>", "foo", "bar", "baz", "zap", "hello", "m2_0",
            "m2_1", "m2_2", "m2_3", "m2_4", "m2_5", "m2_6", "m2_7", "m2_8", "m2_9", "m2_10", "m2_11", "m2_12",
            "m2_13", "m2_14", "m2_15");

    @TempDir
    Path tmp;

    /** A model of the merge as the reference sees it: its tokens below vocab_size and its matrices. */
    record Ref(String name, Map<String, Integer> ids, Map<String, float[]> tensors) {
        double[] row(String tensor, int r) {
            double[] out = new double[H];
            for (int c = 0; c < H; c++) out[c] = tensors.get(tensor)[r * H + c];
            return out;
        }
    }

    Path model(String name, int variant, int vocab) {
        Path dir = tmp.resolve(name);
        SyntheticModels.write(dir, new ModelShape(H, 32, 1, 2, 1, vocab, false, DType.F32), 11, variant, 0.5, 0);
        return dir;
    }

    Path threeModels() {
        Path base = model("base", 0, V), m1 = model("m1", 1, V), m2 = model("m2", 2, V);
        TestTokenizers.bpe(base, BASE, BASE_MERGES, List.of(SPECIAL3.get(0), SPECIAL3.get(1), SPECIAL3.get(2),
                new TestTokenizers.Added("<extra>", 25, true)));
        TestTokenizers.tokenizerConfig(base, "{{ base template }} for tests");
        TestTokenizers.unigram(m1, M1, List.of(SPECIAL3.get(0), SPECIAL3.get(1), SPECIAL3.get(2),
                new TestTokenizers.Added("<tool>", 23, true)));
        TestTokenizers.tokenizerConfig(m1, "{{ shared template }} for tests");
        TestTokenizers.sentencePiece(m2, M2, Map.of("<unk>", TestTokenizers.UNKNOWN, "<s>", TestTokenizers.CONTROL,
                "</s>", TestTokenizers.CONTROL));
        TestTokenizers.tokenizerConfig(m2, "{{ shared template }} for tests");
        return tmp;
    }

    Ref ref(String name, List<String> tokens) {
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (int i = 0; i < Math.min(V, tokens.size()); i++) ids.putIfAbsent(tokens.get(i), i);
        Map<String, float[]> t = new LinkedHashMap<>();
        var files = ModelFiles.read(tmp.resolve(name));
        t.put(EMBED, files.get(EMBED).values());
        t.put(HEAD, files.get(HEAD).values());
        return new Ref(name, ids, t);
    }

    String run(String yaml, String out) throws Exception {
        Path config = tmp.resolve(out + ".yml");
        Files.writeString(config, yaml.replace("$T", tmp.toString()));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Main.run(config.toString(), tmp.resolve(out).toString(), "--quiet", "-j", "2");
        } finally {
            System.setErr(old);
        }
        String log = err.toString(StandardCharsets.UTF_8);
        assertThat(rc).as(log).isZero();
        return log;
    }

    /** An explicit default for a token, as a function of the models (index = merge order). */
    interface Explicit extends Function<List<Ref>, double[]> {}

    /**
     * The reference: per model, rows on the output vocabulary (own row unless missing or forced, else the
     * default of compat §6), padding rows the mean of its vocabulary rows; then the linear merge.
     */
    static double[][] expected(String tensor, List<String> vocab, int padded, List<Ref> models, double[] weights,
                               int base, Map<String, Explicit> explicit, List<String> forced) {
        double[][] out = new double[padded][H];
        double wsum = 0;
        for (double w : weights) wsum += w;
        for (int m = 0; m < models.size(); m++) {
            double[][] p = new double[padded][];
            for (int r = 0; r < vocab.size(); r++) {
                String tok = vocab.get(r);
                Integer own = models.get(m).ids().get(tok);
                p[r] = own != null && !forced.contains(tok) ? models.get(m).row(tensor, own)
                        : defaultRow(tensor, tok, models, base, explicit);
            }
            for (int r = vocab.size(); r < padded; r++) {
                p[r] = new double[H];
                for (int k = 0; k < vocab.size(); k++) for (int c = 0; c < H; c++) p[r][c] += p[k][c] / vocab.size();
            }
            for (int r = 0; r < padded; r++) for (int c = 0; c < H; c++) out[r][c] += weights[m] * p[r][c] / wsum;
        }
        return out;
    }

    static double[] defaultRow(String tensor, String tok, List<Ref> models, int base, Map<String, Explicit> explicit) {
        if (explicit.containsKey(tok)) return explicit.get(tok).apply(models);
        List<Ref> having = models.stream().filter(m -> m.ids().containsKey(tok)).toList();
        if (having.size() == 1) return having.getFirst().row(tensor, having.getFirst().ids().get(tok));
        if (having.isEmpty()) return new double[H];
        Ref b = models.get(base);
        if (b.ids().containsKey(tok)) return b.row(tensor, b.ids().get(tok));
        double[] mean = new double[H];
        for (Ref m : having) {
            double[] row = m.row(tensor, m.ids().get(tok));
            for (int c = 0; c < H; c++) mean[c] += row[c] / having.size();
        }
        return mean;
    }

    static void assertRows(Path out, String tensor, double[][] expected) {
        var t = ModelFiles.read(out).get(tensor);
        assertThat(t.info().shape().dims()).as(tensor).containsExactly(expected.length, H);
        for (int r = 0; r < expected.length; r++) {
            for (int c = 0; c < H; c++) {
                assertThat((double) t.values()[r * H + c]).as("%s row %d col %d", tensor, r, c)
                        .isCloseTo(expected[r][c], within(2e-6 + 1e-6 * Math.abs(expected[r][c])));
            }
        }
    }

    static JsonNode json(Path file) throws Exception { return JsonMapper.shared().readTree(Files.readString(file)); }

    /** The output vocabulary as the merged tokenizer.json defines it (model vocab plus added tokens), by id. */
    static List<String> writtenVocab(Path out) throws Exception {
        JsonNode root = json(out.resolve("tokenizer.json"));
        Map<Integer, String> byId = new java.util.TreeMap<>();
        JsonNode v = root.get("model").get("vocab");
        if (v.isArray()) for (int i = 0; i < v.size(); i++) byId.put(i, v.get(i).get(0).asString());
        else for (var e : v.properties()) byId.put(e.getValue().asInt(), e.getKey());
        for (JsonNode a : root.get("added_tokens")) byId.put(a.get("id").asInt(), a.get("content").asString());
        List<String> out2 = new ArrayList<>();
        for (var e : byId.entrySet()) {
            assertThat(e.getKey()).as("ids are dense").isEqualTo(out2.size());
            out2.add(e.getValue());
        }
        return out2;
    }

    static final String THREE = """
            merge_method: linear
            base_model: $T/base
            models:
              - model: $T/base
                parameters: {weight: 0.5}
              - model: $T/m1
                parameters: {weight: 0.3}
              - model: $T/m2
                parameters: {weight: 0.2}
            dtype: float32
            """;
    static final double[] W3 = {0.5, 0.3, 0.2};

    @Test
    void unionOfBpeUnigramAndSentencePiece() throws Exception {
        threeModels();
        String log = run(THREE + "tokenizer_source: union\nchat_template: auto\n", "union");
        Path out = tmp.resolve("union");

        List<String> expectedVocab = new ArrayList<>(BASE.subList(0, V));
        for (String t : M1) if (!expectedVocab.contains(t) && !t.equals("<tool>")) expectedVocab.add(t);
        for (String t : M2) if (!expectedVocab.contains(t)) expectedVocab.add(t);
        expectedVocab.add("<tool>");
        assertThat(expectedVocab).hasSize(24 + 15 + 17 + 1);
        assertThat(writtenVocab(out)).containsExactlyElementsOf(expectedVocab);
        assertThat(expectedVocab.indexOf("zap")).isEqualTo(39);
        JsonNode tj = json(out.resolve("tokenizer.json"));
        assertThat(tj.get("model").get("vocab").has("zz")).as("padding token dropped").isFalse();
        assertThat(tj.get("model").get("merges").toString()).doesNotContain("z z").contains("hell o");
        assertThat(tj.toString()).doesNotContain("<extra>");
        assertThat(json(out.resolve("config.json")).get("vocab_size").asInt()).isEqualTo(57);
        JsonNode tc = json(out.resolve("tokenizer_config.json"));
        assertThat(tc.get("added_tokens_decoder").get("56").get("content").asString()).isEqualTo("<tool>");
        assertThat(tc.get("chat_template").asString()).as("auto: the most common template")
                .isEqualTo("{{ shared template }} for tests");
        assertThat(Files.exists(out.resolve("special_tokens_map.json"))).isTrue();
        assertThat(log).contains("the output vocabulary has 57 tokens");

        List<Ref> models = List.of(ref("base", BASE), ref("m1", M1), ref("m2", M2));
        for (String tensor : List.of(EMBED, HEAD)) {
            assertRows(out, tensor, expected(tensor, expectedVocab, 57, models, W3, 0, Map.of(), List.of()));
        }
        // Spot checks of the rules themselves, independent of the reference's code path:
        var merged = ModelFiles.read(out).get(EMBED).values();
        int zap = 39;
        for (int c = 0; c < H; c++) { // only m2 has "zap": every model presents m2's row, the merge returns it
            assertThat(merged[zap * H + c]).isCloseTo(models.get(2).tensors().get(EMBED)[6 * H + c], within(1e-6f));
        }
    }

    @Test
    void mergedTokenizerLoadsInHuggingFaceTokenizers() throws Exception {
        threeModels();
        run(THREE + "tokenizer:\n  source: union\n", "hf");
        Path out = tmp.resolve("hf");
        List<String> vocab = writtenVocab(out);
        long[] ids = HfTokenizers.encode(out.resolve("tokenizer.json"), "hello world zap foo x <tool>", tmp);
        assertThat(ids).containsExactly(vocab.indexOf("hello"), vocab.indexOf("world"), vocab.indexOf("zap"),
                vocab.indexOf("foo"), vocab.indexOf("x"), vocab.indexOf("<tool>"));
        List<Ref> models = List.of(ref("base", BASE), ref("m1", M1), ref("m2", M2));
        double[][] exp = expected(EMBED, vocab, vocab.size(), models, W3, 0, Map.of(), List.of());
        float[] merged = ModelFiles.read(out).get(EMBED).values();
        for (long id : ids) {
            for (int c = 0; c < H; c++) {
                assertThat((double) merged[(int) id * H + c]).isCloseTo(exp[(int) id][c], within(2e-6));
            }
        }
    }

    @Test
    void baseVocabularyPaddedToAMultipleKeepsMeanRows() throws Exception {
        // The tokenizer has 20 tokens for 24 embedding rows: base keeps 20, pad_to_multiple_of 16 makes 32.
        List<String> words = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        for (int i = 3; i < 20; i++) words.add("w" + i);
        Path base = model("base", 0, V), ft = model("ft", 1, V);
        TestTokenizers.wordLevel(base, words, SPECIAL3);
        TestTokenizers.wordLevel(ft, words, SPECIAL3);
        String yaml = """
                merge_method: linear
                models:
                  - model: $T/base
                    parameters: {weight: 0.7}
                  - model: $T/ft
                    parameters: {weight: 0.3}
                dtype: float32
                tokenizer: {source: base, pad_to_multiple_of: 16}
                """;
        String log = run(yaml, "padded");
        Path out = tmp.resolve("padded");
        assertThat(log).contains("the output vocabulary has 20 tokens, padded to 32 rows");
        assertThat(json(out.resolve("config.json")).get("vocab_size").asInt()).isEqualTo(32);
        assertThat(writtenVocab(out)).containsExactlyElementsOf(words);
        List<Ref> models = List.of(ref("base", words), ref("ft", words));
        for (String tensor : List.of(EMBED, HEAD)) {
            assertRows(out, tensor, expected(tensor, words, 32, models, new double[] {0.7, 0.3}, 0, Map.of(), List.of()));
        }
        // Without padding the 4 unused rows go, and the plan says so.
        String log2 = run(yaml.replace(", pad_to_multiple_of: 16", ""), "unpadded");
        assertThat(json(tmp.resolve("unpadded/config.json")).get("vocab_size").asInt()).isEqualTo(20);
        assertThat(log2).contains("had 24 rows").contains("pad_to_multiple_of");
    }

    @Test
    void namedModelSourceInBothSpellings() throws Exception {
        threeModels();
        for (String setting : List.of("tokenizer_source: \"model:$T/m1\"\n", "tokenizer:\n  source: $T/m1\n")) {
            String name = setting.startsWith("tokenizer_source") ? "legacy" : "modern";
            run(THREE + setting, name);
            Path out = tmp.resolve(name);
            assertThat(writtenVocab(out)).containsExactlyElementsOf(M1);
            assertThat(json(out.resolve("tokenizer.json")).get("model").get("type").asString()).isEqualTo("Unigram");
            assertThat(json(out.resolve("config.json")).get("vocab_size").asInt()).isEqualTo(V);
            List<Ref> models = List.of(ref("base", BASE), ref("m1", M1), ref("m2", M2));
            for (String tensor : List.of(EMBED, HEAD)) {
                assertRows(out, tensor, expected(tensor, M1, V, models, W3, 0, Map.of(), List.of()));
            }
        }
    }

    @Test
    void wordPieceNamedSourceFromAModelWithoutWeightsInTheMerge() throws Exception {
        threeModels();
        Path wp = tmp.resolve("wp");
        List<String> pieces = List.of("[UNK]", "hello", "##lo", "foo", "x", "new_piece");
        TestTokenizers.wordPiece(wp, pieces, List.of(new TestTokenizers.Added("[UNK]", 0, true)));
        run(THREE + "tokenizer:\n  source: $T/wp\n", "wpout");
        Path out = tmp.resolve("wpout");
        assertThat(writtenVocab(out)).containsExactlyElementsOf(pieces);
        List<Ref> models = List.of(ref("base", BASE), ref("m1", M1), ref("m2", M2));
        assertRows(out, EMBED, expected(EMBED, pieces, pieces.size(), models, W3, 0, Map.of(), List.of()));
    }

    @Test
    void explicitTokenSourcesAndForce() throws Exception {
        threeModels();
        String yaml = THREE + """
                tokenizer:
                  source: base
                  tokens:
                    hello:
                      source: $T/m1
                      force: true
                    x:
                      source: {kind: zero}
                    "<new>":
                      source: {kind: model_token, model: $T/m2, token: zap}
                    "<new2>":
                      source: {kind: model_token, model: $T/base, token_id: 5}
                    "<gone>":
                      source: {kind: zero}
                      force: true
                """;
        run(yaml, "tokens");
        Path out = tmp.resolve("tokens");
        List<String> vocab = new ArrayList<>(BASE.subList(0, V));
        vocab.addAll(List.of("<new>", "<new2>", "<gone>"));
        assertThat(writtenVocab(out)).containsExactlyElementsOf(vocab);
        Map<String, Explicit> explicit = Map.of(
                "hello", ms -> ms.get(1).row(EMBED, ms.get(1).ids().get("hello")),
                "x", ms -> new double[H],
                "<new>", ms -> ms.get(2).row(EMBED, M2.indexOf("zap")),
                "<new2>", ms -> ms.get(0).row(EMBED, 5),
                "<gone>", ms -> new double[H]);
        List<Ref> models = List.of(ref("base", BASE), ref("m1", M1), ref("m2", M2));
        double[][] exp = expected(EMBED, vocab, vocab.size(), models, W3, 0, explicit, List.of("hello", "<gone>"));
        assertRows(out, EMBED, exp);
        float[] merged = ModelFiles.read(out).get(EMBED).values();
        int hello = vocab.indexOf("hello");
        for (int c = 0; c < H; c++) { // forced: all three present m1's "hello", so the merge is exactly it
            assertThat(merged[hello * H + c]).isCloseTo(models.get(1).tensors().get(EMBED)[3 * H + c], within(1e-6f));
        }
    }

    @Test
    void tokenSourceModelWithoutTheTokenIsAConfigError() throws Exception {
        threeModels();
        Path config = tmp.resolve("bad.yml");
        Files.writeString(config, (THREE + "tokenizer:\n  source: union\n  tokens:\n    zap:\n      source: $T/base\n")
                .replace("$T", tmp.toString()));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Main.run(config.toString(), tmp.resolve("bad").toString(), "--quiet");
        } finally {
            System.setErr(old);
        }
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("tokenizer.tokens.'zap'.source")
                .contains("does not have the token 'zap'");
    }
}
