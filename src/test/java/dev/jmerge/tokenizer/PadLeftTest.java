package dev.jmerge.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** mergekit-moe's tokenizer settings: padding on the left with the BOS token, else the EOS token. */
class PadLeftTest {

    @TempDir
    Path dir;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void theBosTokenPadsOnTheLeftInBothFiles() throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": {\"content\": \"<s>\", \"lstrip\": false}, \"eos_token\": \"</s>\", \"padding_side\": \"right\"}");
        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"bos_token\": \"<s>\"}");
        assertThat(TokenizerWriter.padLeftWithBos(dir)).isEqualTo("<s>");
        JsonNode c = JSON.readTree(Files.readString(dir.resolve("tokenizer_config.json")));
        assertThat(c.get("padding_side").asString()).isEqualTo("left");
        assertThat(c.get("pad_token").get("content").asString()).isEqualTo("<s>");
        assertThat(JSON.readTree(Files.readString(dir.resolve("special_tokens_map.json"))).get("pad_token")
                .get("content").asString()).isEqualTo("<s>");
    }

    @Test
    void withoutABosTokenTheEosTokenPads() throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": null, \"eos_token\": \"<|endoftext|>\"}");
        assertThat(TokenizerWriter.padLeftWithBos(dir)).isEqualTo("<|endoftext|>");
        JsonNode c = JSON.readTree(Files.readString(dir.resolve("tokenizer_config.json")));
        assertThat(c.get("pad_token").asString()).isEqualTo("<|endoftext|>");
        assertThat(dir.resolve("special_tokens_map.json")).doesNotExist();
    }

    @Test
    void neitherTokenLeavesThePadTokenAlone() throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"pad_token\": \"<pad>\"}");
        assertThat(TokenizerWriter.padLeftWithBos(dir)).isNull();
        JsonNode c = JSON.readTree(Files.readString(dir.resolve("tokenizer_config.json")));
        assertThat(c.get("padding_side").asString()).isEqualTo("left");
        assertThat(c.get("pad_token").asString()).isEqualTo("<pad>");
        assertThat(TokenizerWriter.padLeftWithBos(dir.resolve("missing"))).isNull();
    }
}
