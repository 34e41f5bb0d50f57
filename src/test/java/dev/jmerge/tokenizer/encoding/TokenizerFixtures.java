package dev.jmerge.tokenizer.encoding;

import ai.djl.huggingface.tokenizers.jni.LibUtils;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import dev.jmerge.synth.SynthTokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes the tokenizer fixtures: our three synthetic tokenizers (byte-level BPE, metaspace BPE with byte
 * fallback, metaspace Unigram) and, for each tricky string, the ids the Hugging Face tokenizers library gives
 * through its raw native calls (no DJL wrapper, no tokenizer_config.json): without special tokens and with
 * the post-processor's. Run once from the repository root after a test-compile:
 * {@code java -cp target/test-classes:target/classes:$(cat target/cp.txt) dev.jmerge.tokenizer.encoding.TokenizerFixtures}
 */
public final class TokenizerFixtures {

    static final Path ROOT = Path.of("src/test/resources/tokenizers");
    static final List<String> NAMES = List.of("byte_level", "metaspace_bpe", "metaspace_unigram");
    static final int MERGES = 120;

    /** Strings that trip encoders: spaces in every position, unicode forms, emoji, special tokens in the text. */
    static final List<String> STRINGS = List.of(
            "The merge of two models is a model too.",
            "",
            " ",
            "   leading spaces",
            "trailing spaces   ",
            "inner   spaces\tand\ttabs",
            "lines\nand\n\nblank lines\r\n",
            "café naïve Ünïcödé",
            "cafe\u0301 (a combining accent)",
            "日本語のテキスト",
            "emoji 👍🏽 🚀 and a family 👨‍👩‍👧",
            "numbers 1234567 and 3.14159",
            "non\u00a0breaking\u2009spaces",
            "<|begin_of_text|>Hello<|end_of_text|>",
            "<|im_start|>user\nhi there<|im_end|>",
            "<s> a bos in the text </s>",
            "there these those that the then",
            "don't you'll we've I'm");

    private TokenizerFixtures() {}

    public static void main(String[] args) throws Exception {
        write(NAMES.get(0), dir -> SynthTokenizers.byteLevel(dir, MERGES));
        write(NAMES.get(1), dir -> SynthTokenizers.metaspaceBpe(dir, MERGES));
        write(NAMES.get(2), dir -> SynthTokenizers.metaspaceUnigram(dir, MERGES));
    }

    static void generate(String name, Path dir) {
        switch (name) {
            case "byte_level" -> SynthTokenizers.byteLevel(dir, MERGES);
            case "metaspace_bpe" -> SynthTokenizers.metaspaceBpe(dir, MERGES);
            case "metaspace_unigram" -> SynthTokenizers.metaspaceUnigram(dir, MERGES);
            default -> throw new IllegalArgumentException(name);
        }
    }

    private static void write(String name, java.util.function.Consumer<Path> gen) throws Exception {
        Path dir = ROOT.resolve(name);
        gen.accept(dir);
        System.setProperty("offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        LibUtils.checkStatus();
        TokenizersLibrary lib = TokenizersLibrary.LIB;
        long tok = lib.createTokenizerFromString(Files.readString(dir.resolve("tokenizer.json")));
        ArrayNode cases = JsonNodeFactory.instance.arrayNode();
        try {
            for (String s : STRINGS) {
                ObjectNode c = cases.addObject();
                c.put("text", s);
                ids(c.putArray("plain"), lib, tok, s, false);
                ids(c.putArray("with_post_processor"), lib, tok, s, true);
            }
        } finally {
            lib.deleteTokenizer(tok);
        }
        Files.writeString(dir.resolve("expected.json"),
                JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsString(cases) + "\n");
        System.out.println(dir + ": " + STRINGS.size() + " strings");
    }

    private static void ids(ArrayNode out, TokenizersLibrary lib, long tok, String s, boolean special) {
        long enc = lib.encode(tok, s, special);
        try {
            for (long id : lib.getTokenIds(enc)) out.add(id);
        } finally {
            lib.deleteEncoding(enc);
        }
    }
}
