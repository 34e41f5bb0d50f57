package dev.jmerge.tokenizer.encoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.ConfigException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Text encoding against ids the Hugging Face tokenizers library gave for the same tokenizers
 * ({@link TokenizerFixtures}), on strings chosen to trip encoders; special tokens as tokenizer_config.json
 * says; and a few ids derived by hand from how the synthetic tokenizers are built.
 */
class TextEncoderTest {

    static final java.util.List<String> NAMES = TokenizerFixtures.NAMES;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void nativeCacheInTarget() {
        System.setProperty("ENGINE_CACHE_DIR", Path.of("target/djl-cache").toAbsolutePath().toString());
    }

    @ParameterizedTest
    @FieldSource("NAMES")
    void committedTokenizersAreWhatSynthWrites(String name) throws Exception {
        Path dir = tmp.resolve("gen-" + name);
        TokenizerFixtures.generate(name, dir);
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
            assertThat(Files.mismatch(dir.resolve(f), TokenizerFixtures.ROOT.resolve(name).resolve(f))).as(name + "/" + f)
                    .isEqualTo(-1L);
        }
    }

    @ParameterizedTest
    @FieldSource("NAMES")
    void idsMatchTheTokenizersLibrary(String name) throws Exception {
        Path dir = TokenizerFixtures.ROOT.resolve(name);
        JsonNode cases = JsonMapper.builder().build().readTree(Files.readString(dir.resolve("expected.json")));
        JsonNode config = JsonMapper.builder().build().readTree(Files.readString(dir.resolve("tokenizer_config.json")));
        assertThat(cases.size()).isEqualTo(TokenizerFixtures.STRINGS.size());
        try (TextEncoder enc = TextEncoder.open(dir)) {
            for (JsonNode c : cases) {
                String text = c.get("text").asString();
                int[] plain = ints(c.get("plain"));
                assertThat(enc.encodePlain(text)).as("%s plain %s", name, text).containsExactly(plain);
                int[] expected;
                if (config.has("add_bos_token")) {
                    // The flags decide, as transformers' Llama tokenizers do.
                    boolean bos = config.get("add_bos_token").asBoolean(), eos = config.get("add_eos_token").asBoolean();
                    expected = withSpecials(plain, bos ? enc.bosId() : -1, eos ? enc.eosId() : -1);
                } else {
                    expected = ints(c.get("with_post_processor"));
                }
                assertThat(enc.encode(text)).as("%s %s", name, text).containsExactly(expected);
                // The synthetic tokenizers' post-processors agree with their config flags, as real ones do.
                assertThat(enc.encode(text)).as("%s post-processor %s", name, text)
                        .containsExactly(ints(c.get("with_post_processor")));
            }
        }
    }

    @Test
    void byteLevelIdsOfUnseenCharactersAreTheirUtf8Bytes() {
        try (TextEncoder enc = TextEncoder.open(TokenizerFixtures.ROOT.resolve("byte_level"))) {
            String rocket = "🚀";
            int[] bytes = new int[4];
            byte[] raw = rocket.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < 4; i++) bytes[i] = raw[i] & 0xFF;
            assertThat(enc.encodePlain(rocket)).containsExactly(bytes);
            // Added tokens are matched whole; <|begin_of_text|> is the first id after the learned vocabulary.
            int bot = enc.encode("")[0];
            assertThat(enc.encodePlain("<|begin_of_text|><|end_of_text|><|im_start|><|im_end|>"))
                    .containsExactly(bot, bot + 1, bot + 2, bot + 3);
            assertThat(enc.bosId()).isEqualTo(bot);
        }
    }

    @Test
    void metaspaceFallsBackToBytesAndPrependsBos() {
        try (TextEncoder enc = TextEncoder.open(TokenizerFixtures.ROOT.resolve("metaspace_bpe"))) {
            int[] ids = enc.encode("🚀");
            // <s>, then "▁" (the prepended space: a single-character token), then <0xF0> <0x9F> <0x9A> <0x80>.
            assertThat(ids[0]).isEqualTo(1);
            assertThat(Arrays.copyOfRange(ids, 2, ids.length)).containsExactly(3 + 0xF0, 3 + 0x9F, 3 + 0x9A, 3 + 0x80);
            assertThat(ids).hasSize(6);
        }
    }

    @Test
    void aFolderWithoutTokenizerJsonIsAConfigError() {
        assertThatThrownBy(() -> TextEncoder.open(tmp)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("no tokenizer.json").hasMessageContaining("--token-ids");
    }

    @Test
    void aBrokenTokenizerJsonIsNamed() throws Exception {
        Path dir = tmp.resolve("broken");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("tokenizer.json"), "{\"version\":\"1.0\",\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[\"a\"]}}");
        assertThatThrownBy(() -> TextEncoder.open(dir)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(dir.resolve("tokenizer.json").toString());
    }

    private static int[] withSpecials(int[] plain, int bos, int eos) {
        int[] out = new int[plain.length + (bos >= 0 ? 1 : 0) + (eos >= 0 ? 1 : 0)];
        int i = 0;
        if (bos >= 0) out[i++] = bos;
        for (int p : plain) out[i++] = p;
        if (eos >= 0) out[i] = eos;
        return out;
    }

    private static int[] ints(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).asInt();
        return v;
    }
}
