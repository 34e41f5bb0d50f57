package dev.jmerge.tokenizer.encoding;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.jmerge.error.ConfigException;
import dev.jmerge.tokenizer.ModelTokenizer;
import dev.jmerge.tokenizer.TokenizerReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Text → token ids for a model folder's {@code tokenizer.json}, by the Hugging Face tokenizers library itself
 * (Rust, through DJL's binding; its native library ships inside the dependency's jar for Linux x86-64/aarch64,
 * macOS aarch64 and Windows x86-64, and is unpacked once into a cache folder). Encoding every tokenizer kind
 * exactly as transformers does is that library's job; nothing else in jmerge loads native code for it, and
 * merging never touches this class.
 *
 * <p>Special tokens: when {@code tokenizer_config.json} sets {@code add_bos_token} or {@code add_eos_token}
 * (as Llama and Gemma tokenizers do), the text is encoded without the post-processor's special tokens and BOS
 * and EOS are added as those flags say; otherwise the tokenizer.json post-processor decides (Llama 3's template
 * adds {@code <|begin_of_text|>}, Qwen's adds nothing). Added tokens written in the text ({@code <|im_start|>})
 * are matched as single tokens, as transformers does.
 */
public final class TextEncoder implements AutoCloseable {

    private final Path folder;
    private final HuggingFaceTokenizer tokenizer;
    private final Boolean addBos;
    private final Boolean addEos;
    private final int bosId;
    private final int eosId;
    private final String bosToken;

    private TextEncoder(Path folder, HuggingFaceTokenizer tokenizer, Boolean addBos, Boolean addEos, int bosId, int eosId,
                        String bosToken) {
        this.folder = folder;
        this.tokenizer = tokenizer;
        this.addBos = addBos;
        this.addEos = addEos;
        this.bosId = bosId;
        this.eosId = eosId;
        this.bosToken = bosToken;
    }

    /** The encoder of {@code folder}'s tokenizer.json (with its tokenizer_config.json, when present). */
    public static TextEncoder open(Path folder) {
        Path json = folder.resolve("tokenizer.json");
        if (!Files.isRegularFile(json)) {
            throw new ConfigException(folder + ": no tokenizer.json to encode text with (give token ids with --token-ids)");
        }
        ModelTokenizer info = TokenizerReader.read(folder, -1);
        ObjectNode config = info.tokenizerConfig();
        Boolean addBos = flag(config, "add_bos_token"), addEos = flag(config, "add_eos_token");
        int bos = tokenId(info, config, "bos_token"), eos = tokenId(info, config, "eos_token");
        if (Boolean.TRUE.equals(addBos) && bos < 0) {
            throw new ConfigException(folder.resolve("tokenizer_config.json") + ": add_bos_token is true but bos_token"
                    + " is not a token of tokenizer.json");
        }
        if (Boolean.TRUE.equals(addEos) && eos < 0) {
            throw new ConfigException(folder.resolve("tokenizer_config.json") + ": add_eos_token is true but eos_token"
                    + " is not a token of tokenizer.json");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(json);
        } catch (IOException e) {
            throw new ConfigException(json + ": cannot read (" + e.getMessage() + ")");
        }
        return new TextEncoder(folder, NativeTokenizers.load(json, bytes), addBos, addEos, bos, eos,
                tokenText(config, "bos_token"));
    }

    /** Token ids of {@code text} with the special tokens the model's tokenizer adds (see the class comment). */
    public int[] encode(String text) {
        if (addBos == null && addEos == null) return ids(tokenizer.encode(text, true, false));
        int[] body = encodePlain(text);
        boolean b = Boolean.TRUE.equals(addBos), e = Boolean.TRUE.equals(addEos);
        int[] out = new int[body.length + (b ? 1 : 0) + (e ? 1 : 0)];
        if (b) out[0] = bosId;
        System.arraycopy(body, 0, out, b ? 1 : 0, body.length);
        if (e) out[out.length - 1] = eosId;
        return out;
    }

    /** Token ids of {@code text} with no special tokens added. */
    public int[] encodePlain(String text) { return ids(tokenizer.encode(text, false, false)); }

    /** The id of the BOS token named in tokenizer_config.json, or -1. */
    public int bosId() { return bosId; }

    /** The text of the BOS token named in tokenizer_config.json ({@code <s>}), or null. */
    public String bosToken() { return bosToken; }

    /** The id of the EOS token named in tokenizer_config.json, or -1. */
    public int eosId() { return eosId; }

    public Path folder() { return folder; }

    private static int[] ids(Encoding e) {
        long[] l = e.getIds();
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) out[i] = Math.toIntExact(l[i]);
        return out;
    }

    private static Boolean flag(ObjectNode config, String key) {
        if (config == null || !config.has(key) || config.get(key).isNull()) return null;
        return config.get(key).asBoolean();
    }

    /** A special token of tokenizer_config.json (a string, or an object with "content") as an id, or -1. */
    private static int tokenId(ModelTokenizer info, ObjectNode config, String key) {
        String content = tokenText(config, key);
        return content == null ? -1 : info.fullVocab().getOrDefault(content, -1);
    }

    /** A special token of tokenizer_config.json (a string, or an object with "content") as text, or null. */
    private static String tokenText(ObjectNode config, String key) {
        if (config == null) return null;
        JsonNode n = config.get(key);
        if (n == null || n.isNull()) return null;
        return n.isObject() ? n.path("content").asString(null) : n.asString(null);
    }

    @Override
    public void close() { tokenizer.close(); }

    /** DJL's loader, kept offline and out of the user's way. */
    static final class NativeTokenizers {

        private NativeTokenizers() {}

        static HuggingFaceTokenizer load(Path json, byte[] bytes) {
            configure();
            try {
                return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes),
                        Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
            } catch (IOException e) {
                throw new ConfigException(json + ": cannot read (" + e.getMessage() + ")");
            } catch (ai.djl.engine.EngineException | LinkageError e) {
                throw new ConfigException("the Hugging Face tokenizers library could not be loaded on "
                        + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + " (" + rootCause(e)
                        + "); give token ids with --token-ids instead");
            } catch (RuntimeException e) {
                throw new ConfigException(json + ": the tokenizers library refuses it (" + rootCause(e) + ")");
            }
        }

        private static String rootCause(Throwable e) {
            Throwable t = e;
            while (t.getCause() != null && t.getCause() != t) t = t.getCause();
            return t.getMessage() != null ? t.getMessage() : t.toString();
        }

        /**
         * Never touch the network (DJL otherwise looks for EC2 metadata to report usage), and unpack the native
         * library under the user's cache folder rather than {@code ~/.djl.ai}, unless told otherwise.
         */
        private static synchronized void configure() {
            System.setProperty("offline", "true");
            System.setProperty("OPT_OUT_TRACKING", "true");
            if (System.getProperty("ENGINE_CACHE_DIR") == null && System.getenv("ENGINE_CACHE_DIR") == null
                    && System.getenv("DJL_CACHE_DIR") == null && System.getProperty("DJL_CACHE_DIR") == null) {
                String xdg = System.getenv("XDG_CACHE_HOME");
                Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                        : Path.of(System.getProperty("user.home"), ".cache");
                System.setProperty("ENGINE_CACHE_DIR", base.resolve("jmerge").toString());
            }
        }
    }
}
