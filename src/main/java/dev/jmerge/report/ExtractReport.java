package dev.jmerge.report;

import java.util.List;

/**
 * What {@code jmerge extract-lora --report} says about an adapter: per module of the fine-tune, what became of
 * it and, for decomposed ones, how much of its change the low-rank factors hold.
 *
 * @param invocation the command line (shown on the page)
 */
public record ExtractReport(String model, String base, int maxRank, List<Module> modules, String invocation) {

    public ExtractReport {
        modules = List.copyOf(modules);
    }

    /** What became of a module. */
    public enum Action {
        DECOMPOSED("decomposed"), FULL_RANK("full_rank"), LEFT_OUT("left_out");

        private final String key;

        Action(String key) { this.key = key; }

        /** The word report.json uses. */
        public String key() { return key; }
    }

    /**
     * One module. The numbers are null unless it was decomposed.
     *
     * @param deltaNorm     ‖Δ‖_F, Δ = W_fine-tune − W_base
     * @param relativeError ‖Δ − B·A‖_F / ‖Δ‖_F
     * @param energyKept    the share of ‖Δ‖²_F the kept singular values hold (1 − relativeError²)
     */
    public record Module(String name, Integer layer, Action action, Integer rank, Double deltaNorm,
                         Double relativeError, Double energyKept) {

        public TensorKind kind() { return TensorKind.of(name); }
    }
}
