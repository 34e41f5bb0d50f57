package dev.jmerge.report;

import java.util.List;
import java.util.Map;

/**
 * What {@code --report} says about a merge: per output tensor, how the models' task vectors compare and what
 * the method did with them. Model names are as the config wrote them; maps keep the config's order.
 *
 * @param base     the base model, or null when the merge has none
 * @param models   the other models, in config order
 * @param config   the config's YAML text (shown on the page)
 * @param merged   whether an output was written (false: a dry run, inputs only)
 */
public record MergeReport(String method, String base, List<String> models, List<Tensor> tensors, String config,
                          boolean merged) {

    public MergeReport {
        models = List.copyOf(models);
        tensors = List.copyOf(tensors);
    }

    /**
     * One output tensor. Absent numbers are null: no base (no task vectors), a method that reports no factor or
     * kept share, a dry run (no output).
     *
     * @param taskVectorNorm  ‖model − base‖_F per model
     * @param cosine          cosine of two models' task vectors, keyed {@code "<model i>|<model j>"} with i before j
     *                        in config order; a null value where a task vector is zero
     * @param modelStockT     model_stock's t (the mean over rows with filter_wise)
     * @param keptFraction    per model, the share of the tensor's elements where its task vector reached the output
     * @param outputDeltaNorm ‖output − base‖_F
     * @param weightNorm      without a base: ‖model‖_F per model
     * @param weightCosine    without a base: cosine of two models' weights, keyed as {@code cosine}
     * @param outputNorm      without a base: ‖output‖_F
     * @param numel           elements (to weigh tensors when a plot sums a layer's tensors)
     */
    public record Tensor(String name, Integer layer, Map<String, Double> taskVectorNorm, Map<String, Double> cosine,
                         Double modelStockT, Map<String, Double> keptFraction, Double outputDeltaNorm,
                         Map<String, Double> weightNorm, Map<String, Double> weightCosine, Double outputNorm,
                         long numel) {

        public TensorKind kind() { return TensorKind.of(name); }
    }

    /** The key of a pair of models in {@code cosine} maps. */
    public static String pair(String first, String second) { return first + "|" + second; }
}
