package dev.jmerge.diagnostic;

/**
 * Something a merge should tell its user that does not stop it: found in the config, while planning or while
 * running, collected with the plan and the run, rendered by the command line (one {@code warning:} line each) and
 * counted in the summary. Configs that ran in mergekit keep running; {@code --strict} turns the
 * {@link #configMistake() config mistakes} into a configuration error before anything is read, and
 * {@link NonFinite non-finite outputs} into a failed merge.
 */
public sealed interface Diagnostic {

    /** One line, without a {@code warning:} prefix. */
    String message();

    /** Whether this is a likely mistake in the config (what {@code --strict} refuses at plan time). */
    default boolean configMistake() { return false; }

    /**
     * A key that neither mergekit nor jmerge reads where it stands (mergekit ignores it silently).
     *
     * @param at the YAML position ("config.yml line 4")
     * @param where where it stands, e.g. " in a 'models' entry" (empty at the top level)
     * @param suggestion what was probably meant, quoted, or null
     * @param parametersBeside the mapping it stands in takes a {@code parameters} block (so it may be a parameter
     *                         written one level too high, as {@code weight:} beside {@code model:})
     */
    record UnknownKey(String at, String key, String where, String suggestion, boolean parametersBeside)
            implements Diagnostic {
        @Override
        public String message() { return at + ": unknown key '" + key + "'" + where + " ignored" + hint(suggestion); }

        @Override
        public boolean configMistake() { return true; }

        public UnknownKey suggesting(String other) { return new UnknownKey(at, key, where, other, parametersBeside); }
    }

    /** A parameter name no merge method knows. */
    record UnknownParameter(String at, String name, String method, String suggestion) implements Diagnostic {
        @Override
        public String message() {
            return at + ": parameter '" + name + "' is not one merge_method '" + method + "' knows, so it is ignored"
                    + hint(suggestion);
        }

        @Override
        public boolean configMistake() { return true; }
    }

    /** A parameter the chosen method does not read where it is given. */
    record IgnoredParameter(String at, String name, String method, String reason) implements Diagnostic {
        @Override
        public String message() { return at + ": parameter '" + name + "' is ignored: " + reason; }

        @Override
        public boolean configMistake() { return true; }
    }

    /** A condition whose filter is in no tensor name it is matched against: its value is never used. */
    record UnmatchedFilter(String at, String parameter, String filter, String suggestion) implements Diagnostic {
        @Override
        public String message() {
            return at + ": filter '" + filter + "' of parameter '" + parameter + "' matches no tensor, so its value is"
                    + " never used" + hint(suggestion);
        }

        @Override
        public boolean configMistake() { return true; }
    }

    /** NaN or infinite values in an output tensor, as stored. */
    record NonFinite(String tensor, long nan, long inf) implements Diagnostic {
        @Override
        public String message() { return "tensor '" + tensor + "': " + nan + " NaN, " + inf + " Inf in the output"; }
    }

    /**
     * Embedding matrices of different sizes cut to the rows every model has (mergekit's behaviour without a
     * tokenizer setting).
     *
     * @param losses which models lose how many rows, e.g. "'a' loses 2 of 34 rows"; empty when none is named
     */
    record VocabCut(String tensor, long rows, long cols, String losses) implements Diagnostic {
        @Override
        public String message() {
            return "tensor '" + tensor + "': embedding sizes differ and no tokenizer setting is given, so every input"
                    + " is cut to its first " + rows + " x " + cols + (losses.isEmpty() ? "" : " (" + losses + ")")
                    + "; the output vocabulary size is " + rows + ". To keep every model's tokens, set 'tokenizer:"
                    + " {source: union}' (add 'pad_to_multiple_of: N' to keep a padded size)";
        }
    }

    /** A method's note about one tensor: a mergekit quirk kept for parity that changed its numbers. */
    record Quirk(String tensor, String text) implements Diagnostic {
        @Override
        public String message() { return "tensor '" + tensor + "': " + text; }
    }

    /** Anything else the user should act on (a repeated model, a module left out, a vocabulary mismatch, ...). */
    record Finding(String text) implements Diagnostic {
        @Override
        public String message() { return text; }
    }

    private static String hint(String suggestion) {
        return suggestion == null ? "" : "; did you mean " + suggestion + "?";
    }
}
