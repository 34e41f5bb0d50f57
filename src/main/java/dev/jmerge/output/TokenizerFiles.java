package dev.jmerge.output;

import dev.jmerge.error.MergeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Copies the donor's tokenizer and generation files unchanged (compat §4.2 step 4, plain-copy path). */
public final class TokenizerFiles {

    static final List<String> FILES = List.of("tokenizer_config.json", "special_tokens_map.json", "tokenizer.json",
            "tokenizer.model", "added_tokens.json", "vocab.json", "merges.txt", "chat_template.jinja",
            "generation_config.json", "chat_template.json", "video_preprocessor_config.json");

    private TokenizerFiles() {}

    /** @return the files copied (empty when the donor has no tokenizer) */
    public static List<String> copy(Path donor, Path out) {
        List<String> copied = new ArrayList<>();
        boolean hasTokenizer = Files.isRegularFile(donor.resolve("tokenizer.json"))
                || Files.isRegularFile(donor.resolve("tokenizer.model"));
        for (String name : FILES) {
            Path src = donor.resolve(name);
            boolean tokenizerFile = !name.equals("generation_config.json");
            if (tokenizerFile && !hasTokenizer) continue;
            if (!Files.isRegularFile(src)) continue;
            try {
                Files.copy(src, out.resolve(name));
                copied.add(name);
            } catch (IOException e) {
                throw new MergeException(src + ": cannot copy to the output (" + e.getMessage() + ")");
            }
        }
        return copied;
    }

    /**
     * A multi-module architecture's extra donor files (image preprocessor settings), each copied when the donor
     * has it and the output does not already hold it.
     */
    public static List<String> copyTagalong(Path donor, Path out, List<String> names) {
        List<String> copied = new ArrayList<>();
        for (String name : names) {
            Path src = donor.resolve(name);
            if (!Files.isRegularFile(src) || Files.exists(out.resolve(name))) continue;
            try {
                Files.copy(src, out.resolve(name));
                copied.add(name);
            } catch (IOException e) {
                throw new MergeException(src + ": cannot copy to the output (" + e.getMessage() + ")");
            }
        }
        return copied;
    }
}
