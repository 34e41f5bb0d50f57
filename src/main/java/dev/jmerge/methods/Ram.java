package dev.jmerge.methods;

import java.util.List;

/**
 * mergekit {@code ram} (Reinforced Agent Merging): per element, a task-vector entry active in only one model
 * is taken whole; entries active in several models are averaged over those models.
 */
public final class Ram implements MergeMethod {

    static final ParamSpec EPSILON = ParamSpec.withDefault("epsilon", 1e-5, "|task vector| above this counts as active");

    @Override public String name() { return "ram"; }
    @Override public String prettyName() { return "Reinforced Agent Merging"; }
    @Override public String reference() { return "https://arxiv.org/abs/2601.13572"; }
    @Override public BaseModelRule baseModel() { return BaseModelRule.REQUIRED; }

    @Override
    public List<ParamSpec> globalParameters() {
        return List.of(EPSILON);
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
        float[] unique = new float[idx.length];
        java.util.Arrays.fill(unique, 1f);
        RamMath.write(in, out, base, idx, (float) in.global().get(EPSILON), unique);
    }
}
