package dev.jmerge.config;

import java.util.OptionalDouble;

/**
 * mergekit's parameter precedence for one tensor (compat §1.6): the slice source's own parameters (per-model
 * parameters only), then the output slice's, the module's, and the top-level ones; the first level that defines
 * a value wins. A level whose conditions match nothing does not define it, so the lookup falls through.
 * Missing levels are {@link Parameters#NONE} (null is taken as NONE).
 */
public record ParameterResolver(Parameters source, Parameters slice, Parameters module, Parameters top) {

    public ParameterResolver {
        source = source == null ? Parameters.NONE : source;
        slice = slice == null ? Parameters.NONE : slice;
        module = module == null ? Parameters.NONE : module;
        top = top == null ? Parameters.NONE : top;
    }

    /**
     * A per-model (tensor) parameter such as {@code weight}. Filters at the source level see the model's
     * <em>input</em> tensor name; the other levels see the <em>output</em> name (they differ by layer index and
     * module prefix).
     */
    public OptionalDouble perModel(String name, String inputTensorName, String outputTensorName, double t) {
        OptionalDouble v = evaluate(source, name, inputTensorName, t);
        return v.isPresent() ? v : global(name, outputTensorName, t);
    }

    /** A method-level parameter such as {@code t} or {@code normalize}: the source level does not take part. */
    public OptionalDouble global(String name, String outputTensorName, double t) {
        for (Parameters level : new Parameters[] {slice, module, top}) {
            OptionalDouble v = evaluate(level, name, outputTensorName, t);
            if (v.isPresent()) return v;
        }
        return OptionalDouble.empty();
    }

    /** One level's value: empty when the level does not set {@code name} or none of its conditions match. */
    public static OptionalDouble evaluate(Parameters level, String name, String tensorName, double t) {
        Parameters.Setting s = level.get(name);
        return s == null ? OptionalDouble.empty() : s.value().evaluate(tensorName, t);
    }

    /**
     * Layer position for gradients: layer {@code k} (0-based) of an output slice with {@code sliceLayers} layers
     * is at k/(L−1); a one-layer slice sits at 1.0. Embeddings and other non-layer tensors use t = 0.
     */
    public static double layerT(int k, int sliceLayers) {
        if (sliceLayers < 1 || k < 0 || k >= sliceLayers) {
            throw new IllegalArgumentException("layer " + k + " outside a slice of " + sliceLayers + " layers");
        }
        return sliceLayers == 1 ? 1.0 : (double) k / (sliceLayers - 1);
    }
}
