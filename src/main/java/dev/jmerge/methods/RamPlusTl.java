package dev.jmerge.methods;

import java.util.List;

/**
 * mergekit {@code ramplus_tl} (RAM+, tensor-local): like {@link Ram}, but each model's unique entries are
 * boosted by {@code λ_i = 1 + r·clamp(shared_i / max(unique_i, ε), 0, α)}, the counts taken over the whole
 * tensor in a first pass.
 */
public final class RamPlusTl implements MergeMethod {

    static final ParamSpec R = ParamSpec.withDefault("r", 0.1, "strength of the boost of unique entries");
    static final ParamSpec ALPHA = ParamSpec.withDefault("alpha", 0.2, "cap on the shared/unique ratio");

    @Override public String name() { return "ramplus_tl"; }
    @Override public String prettyName() { return "Reinforced Agent Merging Plus (Tensor-Local)"; }
    @Override public String reference() { return "https://arxiv.org/abs/2601.13572"; }
    @Override public BaseModelRule baseModel() { return BaseModelRule.REQUIRED; }

    @Override
    public List<ParamSpec> globalParameters() {
        return List.of(R, ALPHA, Ram.EPSILON);
    }

    @Override public List<ParamSpec> modelParameters() { return List.of(); }

    @Override
    public String checkInputs(int models, boolean hasBase) {
        return RamMath.check(name(), models, hasBase);
    }

    @Override
    public void merge(MergeInput in, TensorOutput out) {
        int base = Inputs.requireBase(in, name());
        int[] idx = Inputs.others(in);
        if (idx.length == 0) {
            Inputs.copy(in, base, out);
            return;
        }
        Params g = in.global();
        double eps = g.get(Ram.EPSILON), r = g.get(R), alpha = g.get(ALPHA);
        long[][] counts = RamMath.count(in, base, idx, (float) eps);
        float[] lambda = new float[idx.length];
        for (int i = 0; i < idx.length; i++) {
            double rho = counts[i][1] / Math.max(counts[i][0], eps);
            lambda[i] = (float) (1 + r * Math.clamp(rho, 0.0, alpha));
        }
        RamMath.write(in, out, base, idx, (float) eps, lambda);
    }
}
