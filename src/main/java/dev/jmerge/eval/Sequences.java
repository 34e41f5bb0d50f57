package dev.jmerge.eval;

import dev.jmerge.error.ConfigException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code jmerge eval} runs: token-id sequences, each remembering the file line it came from, cut to the
 * context length and to the token budget.
 */
public final class Sequences {

    /** Token ids and the 1-based line of the file they came from (0 for encoded text). */
    public record Sequence(int[] ids, int line) {}

    private Sequences() {}

    /**
     * A {@code --token-ids} file: whitespace-separated non-negative integers, one sequence per non-empty line,
     * used as given (nothing added).
     */
    public static List<Sequence> readTokenIds(Path file) {
        requireFile(file);
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new ConfigException(file + ": not UTF-8 text; expected whitespace-separated token ids");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read (" + e.getMessage() + ")");
        }
        List<Sequence> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            String[] parts = line.split("\\s+");
            int[] ids = new int[parts.length];
            for (int j = 0; j < parts.length; j++) {
                try {
                    ids[j] = Integer.parseInt(parts[j]);
                } catch (NumberFormatException e) {
                    ids[j] = -1;
                }
                if (ids[j] < 0) {
                    throw new ConfigException(file + ":" + (i + 1) + ": '" + parts[j]
                            + "' is not a token id; expected whitespace-separated non-negative integers");
                }
            }
            out.add(new Sequence(ids, i + 1));
        }
        if (out.isEmpty()) throw new ConfigException(file + ": no token ids (the file has no non-empty line)");
        return out;
    }

    /** A {@code --text} file, as UTF-8. */
    public static String readText(Path file) {
        requireFile(file);
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new ConfigException(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    private static void requireFile(Path file) {
        if (!Files.isRegularFile(file)) throw new ConfigException(file + ": no such file");
    }

    /**
     * The first {@code maxTokens} tokens of {@code sequences} (all when ≤ 0), in order, with every sequence
     * longer than {@code context} cut into consecutive windows of {@code context} tokens (the last one shorter).
     */
    public static List<Sequence> windows(List<Sequence> sequences, int context, long maxTokens) {
        if (context < 2) throw new ConfigException("--context must be at least 2, got " + context);
        List<Sequence> out = new ArrayList<>();
        long left = maxTokens > 0 ? maxTokens : Long.MAX_VALUE;
        for (Sequence s : sequences) {
            for (int from = 0; from < s.ids().length && left > 0; from += context) {
                int n = (int) Math.min(Math.min(context, s.ids().length - from), left);
                out.add(new Sequence(java.util.Arrays.copyOfRange(s.ids(), from, from + n), s.line()));
                left -= n;
            }
            if (left <= 0) break;
        }
        return out;
    }
}
