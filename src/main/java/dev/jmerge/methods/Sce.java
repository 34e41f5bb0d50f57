package dev.jmerge.methods;

import dev.jmerge.methods.sparsify.Cut;
import dev.jmerge.methods.sparsify.RadixSelect;
import dev.jmerge.methods.sparsify.TaskVectorTiles;
import java.util.List;

/**
 * {@code sce} (compat §2.12): Select by variance, Calculate weights, Erase by sign. When
 * {@code select_topk < 1}, one mask shared by all models keeps the {@code floor(nonzero·select_topk)}
 * elements whose variance across the task vectors is largest (ties: earlier elements first). The masked
 * task vectors are sign-elected (sum rule, unweighted) and mixed with weights proportional to their mean
 * square, normalised over the models that agree at each element.
 *
 * <p>Passes: variance histograms (selection), the tie pass when needed, mean squares, output. Variances are
 * population variances over models in float64 (Welford, so equal deltas give exactly 0), rounded to
 * float32 for ranking, which is the precision mergekit ranks at.
 */
public final class Sce implements MergeMethod {

    private static final double MIN_WEIGHT_SUM = 1e-6;

    @Override public String name() { return "sce"; }
    @Override public String prettyName() { return "SCE"; }
    @Override public String reference() { return "https://arxiv.org/abs/2408.07990"; }
    @Override public BaseModelRule baseModel() { return BaseModelRule.REQUIRED; }

    @Override
    public List<ParamSpec> globalParameters() {
        return List.of(
                ParamSpec.flag("int8_mask", false, "accepted for compatibility; no numerical effect"),
                ParamSpec.withDefault("select_topk", 1.0, "share of the highest-variance elements kept"));
    }

    @Override public List<ParamSpec> modelParameters() { return List.of(); }

    @Override
    public String checkInputs(int models, boolean hasBase) {
        return hasBase ? null : "sce needs a base_model";
    }

    @Override
    public void merge(MergeInput in, TensorOutput out) {
        int[] models = TaskVectors.nonBaseInputs(in, "sce");
        double topk = in.global().get("select_topk", 1.0);
        long n = in.numel();
        if (models.length == 0 || topk <= 0) {
            // no task vectors, or the selection drops every element: mergekit's result is the base
            TaskVectors.copyBase(in, out);
            return;
        }
        int k = models.length;
        TaskVectorTiles tv = new TaskVectorTiles(in, models, false);
        float[] variance = tv.scratch();

        Cut keep = null;
        if (topk < 1) {
            RadixSelect select = new RadixSelect(n, true);
            selectionPass(tv, select, variance);
            long kept = (long) ((n - select.zeros()) * topk);
            if (kept == 0) {
                TaskVectors.copyBase(in, out);
                return;
            }
            select.select(n - kept);
            while (select.wantsPass()) selectionPass(tv, select, variance);
            keep = select.cut(0);
        }
        final Cut cut = keep;

        double[] meanSquare = new double[k];
        tv.forEachTile((offset, len) -> {
            readAll(tv, offset, len);
            if (cut != null) {
                varianceTile(tv, len, variance);
                maskTiles(tv, offset, len, variance, cut);
            }
            for (int m = 0; m < k; m++) {
                float[] d = tv.delta(m);
                double s = meanSquare[m];
                for (int i = 0; i < len; i++) s += (double) d[i] * d[i];
                meanSquare[m] = s;
            }
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
        tv.forEachTile((offset, len) -> {
            readAll(tv, offset, len);
            if (cut != null) {
                varianceTile(tv, len, variance);
                maskTiles(tv, offset, len, variance, cut);
            }
            for (int i = 0; i < len; i++) {
                double s = 0;
                for (int m = 0; m < k; m++) s += tv.delta(m)[i];
                boolean positive = s >= 0;
                double num = 0;
                double den = 0;
                for (int m = 0; m < k; m++) {
                    float x = tv.delta(m)[i];
                    if (positive ? x > 0 : x < 0) {
                        num += omega[m] * x;
                        den += omega[m];
                    }
                }
                o[i] = (float) (b[i] + num / Math.max(den, MIN_WEIGHT_SUM));
            }
            out.write(offset, o, 0, len);
        });
    }

    private static void selectionPass(TaskVectorTiles tv, RadixSelect select, float[] variance) {
        tv.forEachTile((offset, len) -> {
            readAll(tv, offset, len);
            varianceTile(tv, len, variance);
            select.observe(offset, variance, 0, len);
        });
        select.endPass();
    }

    private static void readAll(TaskVectorTiles tv, long offset, int len) {
        tv.readBase(offset, len);
        for (int m = 0; m < tv.slots(); m++) tv.readDelta(m, offset, len);
    }

    /** Population variance over models per element, Welford in float64, rounded to float32. */
    private static void varianceTile(TaskVectorTiles tv, int len, float[] dst) {
        int k = tv.slots();
        for (int i = 0; i < len; i++) {
            double mean = 0;
            double m2 = 0;
            for (int m = 0; m < k; m++) {
                double x = tv.delta(m)[i];
                double before = x - mean;
                mean += before / (m + 1);
                m2 += before * (x - mean);
            }
            dst[i] = (float) (m2 / k);
        }
    }

    private static void maskTiles(TaskVectorTiles tv, long offset, int len, float[] variance, Cut cut) {
        for (int i = 0; i < len; i++) {
            if (cut.admits(Cut.magnitudeBits(variance[i]), offset + i)) continue;
            for (int m = 0; m < tv.slots(); m++) tv.delta(m)[i] = 0f;
        }
    }
}
