package dev.jmerge.methods;

import java.util.List;

/** mergekit {@code passthrough}: the single input, multiplied by its {@code scale} when one is set. */
public final class Passthrough implements MergeMethod {

    static final ParamSpec SCALE = ParamSpec.optional("scale", "multiply the tensor by this factor");

    @Override public String name() { return "passthrough"; }
    @Override public String prettyName() { return "Passthrough"; }
    @Override public String reference() { return null; }
    @Override public BaseModelRule baseModel() { return BaseModelRule.IGNORED; }
    @Override public List<ParamSpec> globalParameters() { return List.of(); }

    @Override
    public List<ParamSpec> modelParameters() {
        return List.of(SCALE);
    }

    @Override
    public String checkInputs(int models, boolean hasBase) {
        int total = models + (hasBase ? 1 : 0);
        return total == 1 ? null : "passthrough needs exactly one model per slice source, got " + total;
    }

    @Override
    public void merge(MergeInput in, TensorOutput out) {
        if (in.count() != 1) throw Inputs.wrongCount(in, name(), "exactly one input");
        Params p = in.model(0);
        if (!p.has(SCALE)) {
            Inputs.copy(in, 0, out);
            return;
        }
        float scale = (float) p.get(SCALE);
        float[] buf = in.tiles(1)[0];
        Tiles.forEach(in.numel(), in.chunkSize(), (off, len) -> {
            in.read(0, off, buf, 0, len);
            in.kernels().scale(scale, buf, len);
            out.write(off, buf, 0, len);
        });
    }
}
