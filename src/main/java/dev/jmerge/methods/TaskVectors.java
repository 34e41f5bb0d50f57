package dev.jmerge.methods;

import dev.jmerge.error.MergeException;

/** Helpers shared by the methods that work on task vectors against a required base. */
final class TaskVectors {

    private TaskVectors() {}

    /** Input indices other than the base, in config order; fails when there is no base. */
    static int[] nonBaseInputs(MergeInput in, String method) {
        int base = in.baseIndex();
        if (base < 0) {
            throw new MergeException("tensor '" + in.tensorName() + "': " + method + " needs a base_model");
        }
        int[] models = new int[in.count() - 1];
        int k = 0;
        for (int i = 0; i < in.count(); i++) if (i != base) models[k++] = i;
        return models;
    }

    /** Writes the base tensor unchanged (no task vectors: mergekit returns the base). */
    static void copyBase(MergeInput in, TensorOutput out) {
        float[] t = in.tiles(1, (int) Math.max(1, Math.min(in.numel(), in.chunkSize())))[0];
        Tiles.forEach(in.numel(), in.chunkSize(), (offset, len) -> {
            in.read(in.baseIndex(), offset, t, 0, len);
            out.write(offset, t, 0, len);
        });
    }
}
