package dev.jmerge.methods;

import dev.jmerge.tensor.Shape;
import dev.jmerge.kernels.KernelUse;
import java.util.List;
import java.util.Set;

/**
 * One merge method: its mergekit name, parameters and defaults, and its math as a pure function of
 * {@link MergeInput} to {@link TensorOutput}. Implementations are stateless and thread-safe.
 */
public interface MergeMethod {

    /** The registry name used in {@code merge_method}. */
    String name();

    /** Human name for the model card, e.g. "TIES". */
    String prettyName();

    /** Paper or page describing the method (for the model card), or null. */
    String reference();

    BaseModelRule baseModel();

    /** Parameters read from the method level ({@code parameters:} outside model entries). */
    List<ParamSpec> globalParameters();

    /** Parameters read per input model ({@code models[].parameters}). */
    List<ParamSpec> modelParameters();

    /**
     * Checks the number of inputs once the planner knows them, before any tensor is read.
     *
     * @param models inputs other than the base model
     * @param hasBase whether the base model is among the inputs
     * @return a message saying what is wrong, or null when the method can run
     */
    default String checkInputs(int models, boolean hasBase) { return null; }

    /**
     * The parameters resolved for one output tensor, as {@link #validate} sees them.
     *
     * @param baseIndex position of the base model among the inputs, or -1
     * @param perModel per-input parameters, in input order
     */
    record TensorParams(Shape shape, int baseIndex, Params global, List<Params> perModel) {}

    /**
     * A resolved value the method cannot run with.
     *
     * @param input the input it was resolved for, or -1 for a method-level parameter
     * @param why what is wrong with it, in words
     */
    record Invalid(ParamSpec parameter, int input, String why) {}

    /**
     * Checks the parameters resolved for one tensor, before anything is read: the planner calls it for every
     * output tensor and reports a problem as a configuration error naming the tensor and where the value was set.
     * Ranges are checked here, once; {@link #merge} then meets only values it can use.
     *
     * @return the first problem found, or null
     */
    default Invalid validate(TensorParams p) { return null; }

    /**
     * Memory one merge of a tensor holds beyond its tiles (e.g. remembered masks), given its method-level
     * parameters, so the executor's estimate and budget account for it.
     */
    default long workingBytes(long numel, int inputs, Params global) { return 0; }

    /**
     * Native memory one merge of a tensor borrows for a phase ({@link MergeInput#scratch}), given its resolved
     * parameters; the executor lends it from a pool shared by the workers.
     */
    default long scratchBytes(long numel, Params global, List<Params> perModel) { return 0; }

    /**
     * The kernels {@link #merge} calls for a tensor with these method-level parameters (the executor warms up only
     * those, see {@link KernelUse}); a kernel left out still works, only its first tiles run uncompiled.
     */
    default Set<KernelUse> kernelUse(Params global) { return KernelUse.ALL; }

    /** Whether the method draws random numbers (then the run seed matters and is printed). */
    default boolean isStochastic() { return false; }

    /** Merges one tensor. Called from several threads at once, on different tensors. */
    void merge(MergeInput in, TensorOutput out);
}
