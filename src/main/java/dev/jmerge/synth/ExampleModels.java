package dev.jmerge.synth;

import dev.jmerge.tensor.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The small models shipped in {@code examples/models}: a base and three fine-tunes, bf16, with a tiny
 * word-level tokenizer so tokenizer copying has something to copy. Run as a program to regenerate them:
 * {@code java -cp target/jmerge.jar dev.jmerge.synth.ExampleModels examples/models}.
 */
public final class ExampleModels {

    public static final long SEED = 20261129L;
    public static final List<String> NAMES = List.of("base", "ft1", "ft2", "ft3");

    private ExampleModels() {}

    public static void main(String[] args) {
        write(Path.of(args.length > 0 ? args[0] : "examples/models"));
    }

    public static void write(Path root) {
        ModelShape shape = ModelShape.tiny(DType.BF16);
        for (int v = 0; v < NAMES.size(); v++) {
            Path dir = root.resolve(NAMES.get(v));
            SyntheticModels.write(dir, shape, SEED, v, 0.1, 0);
            writeTokenizer(dir, shape.vocab());
        }
    }

    /** A word-level tokenizer of {@code vocab} tokens: {@code <unk>}, {@code <s>} (BOS), {@code </s>}, then w3, w4, … */
    public static void writeTokenizer(Path dir, int vocab) {
        StringBuilder v = new StringBuilder();
        for (int i = 0; i < vocab; i++) {
            String tok = switch (i) {
                case 0 -> "<unk>";
                case 1 -> "<s>";
                case 2 -> "</s>";
                default -> "w" + i;
            };
            v.append(i == 0 ? "" : ",").append("\"").append(tok).append("\":").append(i);
        }
        String tokenizer = "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":["
                + "{\"id\":0,\"content\":\"<unk>\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true},"
                + "{\"id\":1,\"content\":\"<s>\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true},"
                + "{\"id\":2,\"content\":\"</s>\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true}],"
                + "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,\"decoder\":null,"
                + "\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + v + "},\"unk_token\":\"<unk>\"}}\n";
        String config = """
                {
                  "bos_token": "<s>",
                  "eos_token": "</s>",
                  "unk_token": "<unk>",
                  "model_max_length": 2048,
                  "tokenizer_class": "PreTrainedTokenizerFast"
                }
                """;
        try {
            Files.writeString(dir.resolve("tokenizer.json"), tokenizer);
            Files.writeString(dir.resolve("tokenizer_config.json"), config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
