package dev.jmerge.methods;

import dev.jmerge.kernels.Kernels;
import java.util.List;

/** mergekit {@code linear}: weighted sum of all inputs, divided by the weight sum when {@code normalize}. */
public final class Linear implements MergeMethod {

    @Override public String name() { return "linear"; }
    @Override public String prettyName() { return "Linear"; }
    @Override public String reference() { return "https://arxiv.org/abs/2203.05482"; }
    @Override public BaseModelRule baseModel() { return BaseModelRule.IGNORED; }

    @Override
    public List<ParamSpec> globalParameters() {
        return List.of(ParamSpec.flag("normalize", true, "divide by the sum of the weights"));
    }

    @Override
    public List<ParamSpec> modelParameters() {
        return List.of(ParamSpec.required("weight", "weight of this model"));
    }

    @Override
    public String checkInputs(int models, boolean hasBase) {
        return models + (hasBase ? 1 : 0) >= 1 ? null : "linear needs at least one model, " + Inputs.got(models, hasBase);
    }

    @Override
    public void merge(MergeInput in, TensorOutput out) {
        int n = in.count();
        float[] w = new float[n];
        float sum = 0;
        for (int i = 0; i < n; i++) {
            w[i] = (float) in.model(i).get("weight");
            sum += w[i];
        }
        boolean normalize = in.global().flag("normalize");
        if (normalize && sum == 0f) {
            // mergekit divides without a guard; the inf/NaN it produces is kept so results stay comparable.
            in.warn("linear: weights of tensor '" + in.tensorName() + "' sum to zero; normalising gives inf/NaN as in mergekit");
        }
        float total = sum;
        float[][] t = in.tiles(2);
        float[] x = t[0], acc = t[1];
        Kernels k = in.kernels();
        Tiles.forEach(in.numel(), in.chunkSize(), (off, len) -> {
            java.util.Arrays.fill(acc, 0, len, 0f);
            for (int i = 0; i < n; i++) {
                in.read(i, off, x, 0, len);
                k.axpy(w[i], x, acc, len);
            }
            if (normalize) {
                for (int e = 0; e < len; e++) acc[e] /= total;
            }
            out.write(off, acc, 0, len);
        });
    }
}
