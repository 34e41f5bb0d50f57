package dev.jmerge.methods;

import dev.jmerge.methods.sparsify.TaskVectorTiles;
import dev.jmerge.methods.sparsify.TieScratch;
import dev.jmerge.methods.sparsify.TileMask;
import dev.jmerge.methods.sparsify.TorchSelection;
import java.util.List;

/**
 * {@code sce} (compat §2.12): Select by variance, Calculate weights, Erase by sign. When
 * {@code select_topk < 1}, one mask shared by all models keeps the {@code floor(nonzero·select_topk)}
 * elements whose variance across the task vectors is largest (equal variances as torch's {@code topk} picks
 * them, see {@link TorchSelection}). The masked task vectors are sign-elected (sum rule, unweighted) and mixed
 * with weights proportional to their mean square, normalised over the models that agree at each element.
 *
 * <p>Passes: the selection's (variances into the tie scratch), mean squares, output. Variances are rounded to
 * float32 for ranking, which is the precision mergekit ranks at.
 */
public final class Sce implements MergeMethod {

    private static final double MIN_WEIGHT_SUM = 1e-6;

    static final ParamSpec SELECT_TOPK = ParamSpec.withDefault("select_topk", 1.0,
            "share of the highest-variance elements kept");

    @Override public String name() { return "sce"; }
    @Override public String prettyName() { return "SCE"; }
    @Override public String reference() { return "https://arxiv.org/abs/2408.07990"; }
    @Override public BaseModelRule baseModel() { return BaseModelRule.REQUIRED; }

    @Override
    public List<ParamSpec> globalParameters() {
        return List.of(TaskArithmeticFamily.INT8_MASK, SELECT_TOPK);
    }

    @Override public List<ParamSpec> modelParameters() { return List.of(); }

    @Override
    public String checkInputs(int models, boolean hasBase) {
        return hasBase ? null : "sce needs a base_model";
    }

    /** One verdict bit per element at most, for the selection's ties. */
    @Override
    public long workingBytes(long numel, int inputs, Params global) { return TorchSelection.verdictBytes(numel); }

    /** The selection borrows 4 bytes per element while torch's tie order is replayed. */
    @Override
    public long scratchBytes(long numel, Params global, List<Params> perModel) {
        return global.get(SELECT_TOPK) < 1 ? TieScratch.bytes(numel) : 0;
    }

    @Override
    public void merge(MergeInput in, TensorOutput out) {
        int[] models = TaskVectors.nonBaseInputs(in, "sce");
        double topk = in.global().get(SELECT_TOPK);
        long n = in.numel();
        if (models.length == 0 || topk <= 0) {
            // no task vectors, or the selection drops every element: mergekit's result is the base
            for (int m : models) in.stats().kept(m, 0, n);
            TaskVectors.copyBase(in, out);
            return;
        }
        int k = models.length;
        TaskVectorTiles tv = new TaskVectorTiles(in, models, false);
        float[] variance = tv.scratch();

        TileMask keep = null;
        if (topk < 1) {
            // torch.topk(|var|, int(count_nonzero(var)·select_topk)); the kept variances are non-zero
            try (TieScratch ties = new TieScratch(in)) {
                TorchSelection select = TorchSelection.topk(n, nonzero -> (long) (nonzero * topk), ties);
                while (select.wantsPass()) selectionPass(tv, select, variance);
                if (select.keepsNothing()) {
                    for (int m : models) in.stats().kept(m, 0, n);
                    TaskVectors.copyBase(in, out);
                    return;
                }
                keep = select.mask();
            }
        }
        final TileMask cut = keep;

        double[] meanSquare = new double[k];
        tv.forEachTile((offset, len) -> {
            readAll(tv, offset, len);
            if (cut != null) {
                varianceTile(tv, len, variance);
                maskTiles(tv, offset, len, variance, cut);
            }
            for (int m = 0; m < k; m++) meanSquare[m] += in.kernels().sumSquares(tv.delta(m), len);
        });
        double total = 0;
        for (int m = 0; m < k; m++) {
            meanSquare[m] /= n;
            total += meanSquare[m];
        }
        double[] omega = new double[k];
        for (int m = 0; m < k; m++) omega[m] = Math.abs(total) < MIN_WEIGHT_SUM ? 1.0 / k : meanSquare[m] / total;

        float[] b = tv.baseTile();
        float[] o = tv.out();
        KeptCounts kept = KeptCounts.of(in, k, true);
        float[][] deltas = tv.deltas();
        tv.forEachTile((offset, len) -> {
            readAll(tv, offset, len);
            if (cut != null) {
                varianceTile(tv, len, variance);
                maskTiles(tv, offset, len, variance, cut);
            }
            if (kept != null) kept.add(deltas, len);
            in.kernels().electedMeanWide(b, deltas, k, omega, MIN_WEIGHT_SUM, o, len);
            out.write(offset, o, 0, len);
        });
        if (kept != null) kept.report(in, models);
    }

    private static void selectionPass(TaskVectorTiles tv, TorchSelection select, float[] variance) {
        tv.forEachTile((offset, len) -> {
            readAll(tv, offset, len);
            varianceTile(tv, len, variance);
            select.observe(offset, variance, len);
        });
        select.endPass();
    }

    private static void readAll(TaskVectorTiles tv, long offset, int len) {
        tv.readBase(offset, len);
        for (int m = 0; m < tv.slots(); m++) tv.readDelta(m, offset, len);
    }

    /**
     * Population variance over models per element: mean, then mean squared deviation, in float64, rounded once
     * to float32 (what torch's float32 variance gave on every element of the goldens).
     */
    private static void varianceTile(TaskVectorTiles tv, int len, float[] dst) {
        tv.kernels().varianceWide(tv.deltas(), tv.slots(), dst, len);
    }

    /** Drops every model's delta where the selection drops the variance (kept variances are never zero). */
    private static void maskTiles(TaskVectorTiles tv, long offset, int len, float[] variance, TileMask cut) {
        cut.apply(offset, variance, len);
        for (int m = 0; m < tv.slots(); m++) {
            float[] d = tv.delta(m);
            for (int i = 0; i < len; i++) {
                int keep = variance[i] != 0 ? -1 : 0; // which variances survive is random: no branch on it
                d[i] = Float.intBitsToFloat(Float.floatToRawIntBits(d[i]) & keep);
            }
        }
    }
}
