package dev.jmerge.methods;

import dev.jmerge.error.MergeException;

/** Small shared facts about a {@link MergeInput}: which inputs are not the base, the last axis, plain copies. */
final class Inputs {

    private Inputs() {}

    /** Indices of the inputs other than the base, in config order. */
    static int[] others(MergeInput in) {
        int base = in.baseIndex();
        int[] idx = new int[base >= 0 ? in.count() - 1 : in.count()];
        int k = 0;
        for (int i = 0; i < in.count(); i++) {
            if (i != base) idx[k++] = i;
        }
        return idx;
    }

    /** Length of the last axis: the vectors that row-wise statistics (softmax, filter_wise) run over. */
    static int lastAxis(MergeInput in) {
        long[] shape = in.shape().dims();
        long cols = shape.length == 0 ? 1 : shape[shape.length - 1];
        if (cols > Integer.MAX_VALUE) {
            throw new MergeException("tensor '" + in.tensorName() + "': last axis of " + cols + " elements is too long");
        }
        return (int) cols;
    }

    /** The base index, or a merge error naming the method and tensor when the base is not among the inputs. */
    static int requireBase(MergeInput in, String method) {
        if (in.baseIndex() < 0) {
            throw new MergeException(method + ": tensor '" + in.tensorName() + "' has no base model input");
        }
        return in.baseIndex();
    }

    static MergeException wrongCount(MergeInput in, String method, String expected) {
        return new MergeException(method + ": tensor '" + in.tensorName() + "' needs " + expected + ", got "
                + in.count() + " input(s)" + (in.baseIndex() >= 0 ? " including the base" : " and no base"));
    }

    /** Writes input {@code i} unchanged. */
    static void copy(MergeInput in, int i, TensorOutput out) {
        float[] buf = in.tiles(1)[0];
        Tiles.forEach(in.numel(), in.chunkSize(), (off, len) -> {
            in.read(i, off, buf, 0, len);
            out.write(off, buf, 0, len);
        });
    }

    /** Writes zeros (every input had a zero norm). */
    static void zeros(MergeInput in, TensorOutput out) {
        float[] buf = in.tiles(1)[0];
        java.util.Arrays.fill(buf, 0f);
        Tiles.forEach(in.numel(), in.chunkSize(), (off, len) -> out.write(off, buf, 0, len));
    }

    /** Formats a per-model count for checkInputs messages. */
    /**
     * For methods that pair the base with one other model: the other input's index, or -1 when the tensor
     * has a single input, which is then copied to the output (the method has nothing left to do).
     */
    static int otherThanBase(MergeInput in, String method, TensorOutput out) {
        if (in.count() == 1) {
            copy(in, 0, out);
            return -1;
        }
        if (in.count() != 2) throw wrongCount(in, method, "the base and exactly one other model");
        return 1 - requireBase(in, method);
    }

    /** checkInputs for methods that pair the base with exactly one other model (slerp, nearswap, arcee_fusion). */
    static String baseAndOneOther(String method, int models, boolean hasBase) {
        if (hasBase && models == 1) return null;
        return method + " needs exactly two models, base_model and one other; " + got(models, hasBase);
    }

    static String got(int models, boolean hasBase) {
        return "got " + models + " model(s)" + (hasBase ? " besides the base" : " and no base_model");
    }
}
