package dev.jmerge.methods;

import java.util.List;

/** mergekit {@code linear}: weighted sum of all inputs, divided by the weight sum when {@code normalize}. */
public final class Linear implements MergeMethod {

    static final ParamSpec NORMALIZE = ParamSpec.flag("normalize", true, "divide by the sum of the weights");
    static final ParamSpec WEIGHT = ParamSpec.required("weight", "weight of this model");

    @Override public String name() { return "linear"; }
    @Override public String prettyName() { return "Linear"; }
    @Override public String reference() { return "https://arxiv.org/abs/2203.05482"; }
    @Override public BaseModelRule baseModel() { return BaseModelRule.IGNORED; }

    @Override
    public List<ParamSpec> globalParameters() {
        return List.of(NORMALIZE);
    }

    @Override
    public List<ParamSpec> modelParameters() {
        return List.of(WEIGHT);
    }

    @Override
    public String checkInputs(int models, boolean hasBase) {
        return models + (hasBase ? 1 : 0) >= 1 ? null : "linear needs at least one model, " + Inputs.got(models, hasBase);
    }

    /**
     * Accumulates in float64 with the weights as given: inputs cast to bf16 and weights such as 0.3 often put
     * the exact result on a bf16 rounding tie, and only a wide sum rounds those the way a float64 reference does.
     */
    @Override
    public void merge(MergeInput in, TensorOutput out) {
        int n = in.count();
        double[] w = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            w[i] = in.model(i).get(WEIGHT);
            sum += w[i];
        }
        boolean normalize = in.global().flag(NORMALIZE);
        if (normalize && sum == 0) {
            // mergekit divides without a guard; the inf/NaN it produces is kept so results stay comparable.
            in.warn("weights sum to zero; normalising gives inf/NaN as in mergekit");
        }
        double total = sum;
        float[][] t = in.tiles(2);
        float[] x = t[0], result = t[1];
        double[] acc = new double[in.chunkSize()];
        Tiles.forEach(in.numel(), in.chunkSize(), (off, len) -> {
            java.util.Arrays.fill(acc, 0, len, 0);
            for (int i = 0; i < n; i++) {
                in.read(i, off, x, 0, len);
                double wi = w[i];
                for (int e = 0; e < len; e++) acc[e] += wi * x[e];
            }
            for (int e = 0; e < len; e++) result[e] = (float) (normalize ? acc[e] / total : acc[e]);
            out.write(off, result, 0, len);
        });
    }
}
