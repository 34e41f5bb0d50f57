package dev.jmerge.methods;

import dev.jmerge.kernels.KernelUse;
import dev.jmerge.kernels.Kernels;
import java.util.List;
import java.util.Set;

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

    @Override
    public Set<KernelUse> kernelUse(Params global) { return KernelUse.of(KernelUse.WEIGHTED_SUM_WIDE); }

    /** Elements per block: the inputs' float tiles stay in the core's L2 while they are summed. */
    static final int BLOCK = 8192;

    /**
     * Sums in float64 with the weights as given, rounding once: inputs cast to bf16 and weights such as 0.3 often
     * put the exact result on a bf16 rounding tie (about 9% of the benchmark's elements with weights 0.4, 0.3,
     * 0.2, 0.1), and only a wide sum rounds those the way a float64 reference does.
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
        double divisor = normalize ? sum : 1;
        int block = Math.max(1, Math.min(in.chunkSize(), BLOCK));
        float[][] t = in.tiles(n + 1, block);
        float[] result = t[n];
        Kernels k = in.kernels();
        MergeStats stats = in.stats();
        boolean report = stats.enabled();
        int[] all = java.util.stream.IntStream.range(0, n).toArray();
        stats.tilesHandedOver();
        Tiles.forEach(in.numel(), block, (off, len) -> {
            for (int i = 0; i < n; i++) in.read(i, off, t[i], 0, len);
            if (report) stats.inputs(off, len, all, t);
            k.weightedSumWide(t, n, w, divisor, result, len);
            out.write(off, result, 0, len);
        });
    }
}
