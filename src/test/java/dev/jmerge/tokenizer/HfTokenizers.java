package dev.jmerge.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.nio.file.Path;

/** The real Hugging Face tokenizers library (Rust, through DJL's binding) as an independent reader. */
final class HfTokenizers {

    private HfTokenizers() {}

    /** Encodes {@code text} without special tokens; the native library is unpacked under {@code cache}. */
    static long[] encode(Path tokenizerJson, String text, Path cache) throws Exception {
        System.setProperty("DJL_CACHE_DIR", cache.resolve("djl").toString());
        System.setProperty("ENGINE_CACHE_DIR", cache.resolve("djl-engine").toString());
        System.setProperty("offline", "true");
        try (HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(tokenizerJson)) {
            Encoding e = t.encode(text, false, false);
            return e.getIds();
        }
    }
}
