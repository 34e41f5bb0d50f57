package dev.jmerge.methods;

import dev.jmerge.kernels.KernelUse;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.methods.sparsify.MaskBuilder;
import dev.jmerge.methods.sparsify.OnceWarner;
import dev.jmerge.methods.sparsify.Sparsification;
import dev.jmerge.methods.sparsify.TaskVectorTiles;
import dev.jmerge.methods.sparsify.TieScratch;
import dev.jmerge.methods.sparsify.TileMask;
import dev.jmerge.methods.sparsify.TorchSelection;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * mergekit's generalized task arithmetic (compat §2.11): task vectors {@code δ_i = x_i − b}, each sparsified
 * with its own density, weighted, optionally sign-elected (TIES "sum" rule), summed, optionally divided by
 * the (elected) weight sum, scaled by {@code lambda} and added to the base. Members differ only in the
 * sparsifier, the consensus step and the defaults of {@code normalize} and {@code rescale}.
 *
 * <p>Streaming: the sparsifiers' passes (selection thresholds, L1 norms) run first; the last pass re-derives
 * each mask per tile and writes the output. Sums run in float64 per element; the weighted deltas are float32
 * products as in mergekit, so the sign election sees the same values.
 */
public abstract sealed class TaskArithmeticFamily implements MergeMethod
        permits TaskArithmetic, Ties, DareTies, DareLinear, Breadcrumbs, BreadcrumbsTies, Della, DellaLinear {

    static final ParamSpec INT8_MASK = ParamSpec.flag("int8_mask", false, "accepted for compatibility; no numerical effect");
    static final ParamSpec LAMBDA = ParamSpec.withDefault("lambda", 1.0, "scale of the merged task vector");
    static final ParamSpec WEIGHT = ParamSpec.required("weight", "weight of this model's task vector");

    private final String name;
    private final String prettyName;
    private final String reference;
    private final Sparsification sparsification;
    private final boolean consensus;
    private final ParamSpec normalize;
    private final ParamSpec rescale;

    TaskArithmeticFamily(String name, String prettyName, String reference, Sparsification sparsification,
                         boolean consensus, boolean defaultNormalize, boolean defaultRescale) {
        this.name = name;
        this.prettyName = prettyName;
        this.reference = reference;
        this.sparsification = sparsification;
        this.consensus = consensus;
        this.normalize = ParamSpec.flag("normalize", defaultNormalize, "divide by the sum of the (elected) weights");
        this.rescale = ParamSpec.flag("rescale", defaultRescale, "match the L1 norm of each task vector after sparsifying");
    }

    @Override public final String name() { return name; }
    @Override public final String prettyName() { return prettyName; }
    @Override public final String reference() { return reference; }
    @Override public final BaseModelRule baseModel() { return BaseModelRule.REQUIRED; }

    /** The sparsifier, or null for plain task arithmetic. */
    public final Sparsification sparsification() { return sparsification; }

    /** Whether a TIES sign election decides which deltas are summed. */
    public final boolean usesConsensus() { return consensus; }

    @Override
    public final List<ParamSpec> globalParameters() {
        return List.of(INT8_MASK, normalize, rescale, LAMBDA);
    }

    @Override
    public final List<ParamSpec> modelParameters() {
        List<ParamSpec> l = new ArrayList<>(List.of(WEIGHT, Sparsification.DENSITY));
        if (sparsification != null) l.addAll(sparsification.parameters());
        return List.copyOf(l);
    }

    /** Each task vector's sparsifier values, against the tensor's size. */
    @Override
    public final Invalid validate(TensorParams p) {
        if (sparsification == null) return null;
        for (int i = 0; i < p.perModel().size(); i++) {
            if (i == p.baseIndex()) continue;
            Invalid problem = sparsification.check(p.perModel().get(i), p.shape().numel(), i);
            if (problem != null) return problem;
        }
        return null;
    }

    @Override
    public final String checkInputs(int models, boolean hasBase) {
        return hasBase ? null : name + " needs a base_model";
    }

    /**
     * With rescale a mask is applied twice (L1 norms, then the output) and its keep bits are remembered, one per
     * element and model; the magnitude selections keep at most one verdict bit per element and model.
     */
    @Override
    public long workingBytes(long numel, int inputs, Params global) {
        long memo = sparsification == null || !global.flag(rescale) ? 0 : Sparsification.memoBytes(numel);
        return inputs * (memo + (sortsMagnitudes() ? TorchSelection.verdictBytes(numel) : 0));
    }

    /** The magnitude selections borrow 4 bytes per element while torch's tie order is replayed. */
    @Override
    public long scratchBytes(long numel, Params global, List<Params> perModel) {
        if (!sortsMagnitudes()) return 0;
        for (Params p : perModel) if (p.get(Sparsification.DENSITY) < 1) return TieScratch.bytes(numel);
        return 0;
    }

    private boolean sortsMagnitudes() {
        return sparsification == Sparsification.MAGNITUDE || sparsification == Sparsification.MAGNITUDE_OUTLIERS;
    }

    /** Task arithmetic itself: the task vectors and their float64 sum; the family's selections may call any kernel. */
    @Override
    public Set<KernelUse> kernelUse(Params global) {
        if (sparsification != null || consensus) return KernelUse.ALL;
        return KernelUse.of(KernelUse.SUB, KernelUse.STORED_MINUS, KernelUse.TASK_SUM_WIDE);
    }

    @Override
    public final boolean isStochastic() {
        return sparsification == Sparsification.RANDOM || sparsification == Sparsification.DELLA_MAGPRUNE;
    }

    @Override
    public final void merge(MergeInput in, TensorOutput out) {
        int[] models = TaskVectors.nonBaseInputs(in, name);
        if (models.length == 0) {
            TaskVectors.copyBase(in, out);
            return;
        }
        Params g = in.global();
        boolean normalize = g.flag(this.normalize);
        boolean rescale = g.flag(this.rescale);
        double lambda = g.get(LAMBDA);

        int k = models.length;
        float[] w = new float[k];
        double weightSum = 0;
        for (int m = 0; m < k; m++) {
            double wm = in.model(models[m]).get(WEIGHT);
            w[m] = (float) wm;
            weightSum += w[m];
        }
        if (Math.abs(weightSum) < 1e-8) weightSum = 1;
        final double linearDen = weightSum;

        MergeStats stats = in.stats();
        boolean report = stats.enabled();
        stats.tilesHandedOver();
        TaskVectorTiles tv = new TaskVectorTiles(in, models, sparsification != null && sparsification.rowWise());
        MaskBuilder[] builders = new MaskBuilder[k];
        TileMask[] masks;
        try (TieScratch ties = new TieScratch(in)) {
            if (sparsification != null) {
                OnceWarner warner = new OnceWarner(in::warn);
                for (int m = 0; m < k; m++) {
                    builders[m] = sparsification.builder(in, models[m], rescale, tv.scratch(), ties, warner);
                }
            }
            masks = tv.build(builders);
        }

        float[] b = tv.baseTile();
        float[] o = tv.out();
        float[][] d = tv.deltas();
        Kernels kernels = in.kernels();
        KeptCounts kept = sparsification != null ? KeptCounts.of(in, k, consensus) : null;
        tv.forEachTile((offset, len) -> {
            tv.readBase(offset, len);
            for (int m = 0; m < k; m++) {
                tv.readDelta(m, offset, len);
                if (!report && masks[m] != null) masks[m].apply(offset, d[m], len);
            }
            if (report) {
                // the report sees the task vectors before they are sparsified
                stats.taskVectors(offset, len, models, d, b);
                for (int m = 0; m < k; m++) if (masks[m] != null) masks[m].apply(offset, d[m], len);
            }
            if (kept != null) kept.add(d, w, len);
            // weighted deltas are float32 products, as mergekit forms them before electing signs; sums are float64
            if (consensus) kernels.electedSumWide(b, d, k, w, normalize, lambda, o, len);
            else kernels.taskSumWide(b, d, k, w, normalize ? linearDen : 1, lambda, o, len);
            out.write(offset, o, 0, len);
        });
        if (kept != null) kept.report(in, models);
    }
}
