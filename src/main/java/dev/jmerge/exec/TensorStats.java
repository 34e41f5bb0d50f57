package dev.jmerge.exec;

/**
 * What one tensor's merge showed, for {@code --report}: sums over the tensor in float64, taken from the tiles
 * the merge read and wrote. Vectors are the task vectors {@code x_i − base} of the inputs other than the base,
 * or the inputs themselves when the tensor has no base.
 *
 * @param models       plan model index of each input
 * @param baseIndex    input index of the base task vectors are taken against (the method's, else the config's
 *                     base_model when it is an input), or -1
 * @param vectors      input index of each row (and column) of {@code gram}
 * @param gram         Σ v_a·v_b over the tensor
 * @param outputSquared Σ (output − base)², or Σ output² without a base; NaN when nothing was written (a scan)
 * @param interpolation the mean interpolation factor the method reported, or NaN
 * @param kept         per input, elements of its task vector the method kept, or -1 where it reported none
 */
public record TensorStats(String name, long numel, int[] models, int baseIndex, int[] vectors, double[][] gram,
                          double outputSquared, double interpolation, long[] kept) {

    /** Takes each tensor's numbers, from the worker threads, and says what task vectors are taken against. */
    public interface Sink {

        /**
         * Plan model index of the base for tensors whose method has none of its own (the config's base_model, which
         * linear and karcher merge like any model), or -1.
         */
        int referenceModel();

        void accept(TensorStats stats);
    }
}
