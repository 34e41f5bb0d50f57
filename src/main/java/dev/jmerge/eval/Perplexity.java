package dev.jmerge.eval;

import dev.jmerge.error.ConfigException;
import dev.jmerge.forward.Transformer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Perplexity of a model on token sequences: {@code exp} of the mean next-token negative log-likelihood over
 * every predicted token (each sequence's 2nd to last token, weighted by token, not averaged per sequence).
 */
public final class Perplexity {

    /** Rows of one forward pass when short sequences are run together. */
    static final int BATCH_ROWS = 2048;
    static final int WARM_UP_TOKENS = 16;

    /**
     * @param tokens    tokens run through the model (predicted or not)
     * @param seconds   time spent in forward passes
     */
    public record Result(Path model, String architecture, long tokens, long predicted, double nll, double seconds) {

        public double perplexity() { return Math.exp(nll / predicted); }

        public double tokensPerSecond() { return seconds > 0 ? tokens / seconds : Double.POSITIVE_INFINITY; }
    }

    private Perplexity() {}

    /**
     * Runs {@code sequences} through {@code model}, several short ones per forward pass; {@code progress} hears
     * the running count of tokens done.
     */
    public static Result evaluate(Path folder, Transformer model, List<Sequences.Sequence> sequences,
                                  Path source, LongConsumer progress) {
        long predicted = 0;
        for (Sequences.Sequence s : sequences) {
            predicted += Math.max(0, s.ids().length - 1);
            for (int id : s.ids()) {
                if (id >= model.inputVocab() || id >= model.outputVocab()) {
                    throw new ConfigException((s.line() > 0 ? source + ":" + s.line() : source.toString()) + ": token id "
                            + id + " is outside the vocabulary of " + folder + " (0.."
                            + (Math.min(model.inputVocab(), model.outputVocab()) - 1) + ")");
                }
            }
        }
        if (predicted == 0) {
            throw new ConfigException(source + ": nothing to predict (every sequence is a single token)");
        }
        // A few tokens first, untimed, so that tokens/s measures compiled code rather than the JIT's warm-up.
        int[] first = sequences.getFirst().ids();
        model.loss(List.of(java.util.Arrays.copyOf(first, Math.min(first.length, WARM_UP_TOKENS))));
        double nll = 0;
        long tokens = 0, done = 0;
        long start = System.nanoTime();
        List<int[]> batch = new ArrayList<>();
        int rows = 0;
        for (int i = 0; i <= sequences.size(); i++) {
            int[] next = i < sequences.size() ? sequences.get(i).ids() : null;
            if (!batch.isEmpty() && (next == null || rows + next.length > BATCH_ROWS)) {
                nll += model.loss(batch).nll();
                done += rows;
                progress.accept(done);
                batch.clear();
                rows = 0;
            }
            if (next != null) {
                batch.add(next);
                rows += next.length;
                tokens += next.length;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(folder, model.config().architecture(), tokens, predicted, nll, seconds);
    }
}
