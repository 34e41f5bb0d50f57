package dev.jmerge.methods;

import java.util.List;

/**
 * mergekit {@code nearswap}: takes the other model's value where it is close to the base's. Per element,
 * {@code w = clamp(t / max(|a − b|, 1e-6), 0, 1)} and {@code out = w·b + (1 − w)·a} (a = base).
 */
public final class NearSwap implements MergeMethod {

    static final ParamSpec T = ParamSpec.required("t", "distance below which the other model's value is taken");

    private static final float MIN_DIFF = 1e-6f;

    @Override public String name() { return "nearswap"; }
    @Override public String prettyName() { return "NearSwap"; }
    @Override public String reference() { return "https://huggingface.co/alchemonaut/QuartetAnemoi-70B-t0.0001"; }
    @Override public BaseModelRule baseModel() { return BaseModelRule.REQUIRED; }

    @Override
    public List<ParamSpec> globalParameters() {
        return List.of(T);
    }

    @Override public List<ParamSpec> modelParameters() { return List.of(); }

    @Override
    public String checkInputs(int models, boolean hasBase) {
        return Inputs.baseAndOneOther(name(), models, hasBase);
    }

    @Override
    public void merge(MergeInput in, TensorOutput out) {
        int other = Inputs.otherThanBase(in, name(), out);
        if (other < 0) return;
        int base = 1 - other;
        float t = (float) in.global().get(T);
        float[][] tiles = in.tiles(2);
        float[] a = tiles[0], b = tiles[1];
        Tiles.forEach(in.numel(), in.chunkSize(), (off, len) -> {
            in.read(base, off, a, 0, len);
            in.read(other, off, b, 0, len);
            for (int e = 0; e < len; e++) {
                float w = Math.clamp(t / Math.max(Math.abs(a[e] - b[e]), MIN_DIFF), 0f, 1f);
                a[e] = w * b[e] + (1 - w) * a[e];
            }
            out.write(off, a, 0, len);
        });
    }
}
