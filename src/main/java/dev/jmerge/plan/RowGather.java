package dev.jmerge.plan;

/**
 * How one input of an embedding tensor is presented to the merge method once the vocabulary is merged
 * (compat §6): output row r is the model's own row {@code ownRow[r]} when that is ≥ 0, otherwise the
 * tensor-wide default of row r; rows at or past {@link Defaults#vocabRows()} are padding, the mean of this
 * input's first {@code vocabRows} presented rows. Rows are read lazily from the mapped inputs.
 *
 * @param ownRow the model's row per output row below vocabRows, -1 where it lacks the token or it is forced
 */
public record RowGather(int[] ownRow, Defaults defaults) {

    /**
     * Defaults shared by all inputs of one tensor.
     *
     * @param perRow default per output row below vocabRows; null where every input has its own row
     */
    public record Defaults(int vocabRows, int rows, Default[] perRow) {}

    /** A default row, naming inputs by their position in the tensor's input list. */
    public sealed interface Default {
        record Zero() implements Default {}

        record Copy(int input, int row) implements Default {}

        record Mean(int[] inputs, int[] rows) implements Default {}
    }
}
