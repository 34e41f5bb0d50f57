package dev.jmerge.extract;

import dev.jmerge.exec.MemoryEstimate;
import dev.jmerge.exec.TensorStreams;
import dev.jmerge.linalg.TruncatedSvd;
import dev.jmerge.plan.LoadedModel;

/**
 * What an extraction will hold and write, from the plan alone: what {@code --dry-run} prints and how many
 * modules the run factorises at once. A worker holds one module's factorisation (the thin sketch matrices, or
 * the whole Δ on the exact path), a block of rows from each input, the mapped pages its two readers have not
 * released yet and the module's factors; nothing grows with the number of modules.
 *
 * @param perWorker the largest module's working memory
 * @param baseline  the merge engine's measured baseline plus {@link #HEAP_CHURN}
 */
public record ExtractEstimate(long budget, int requestedThreads, int workers, long baseline, long perWorker,
                              long bytesRead, long bytesWrittenAtMost) {

    /**
     * Factors, sketches and Vector API temporaries of finished modules that reach the old generation before a
     * collection frees them (the launcher's young generation is small on purpose). Measured with the benchmark
     * models: peak RSS 194, 219 and 217 MiB for 2, 4 and 8 layers at -j 2, i.e. flat, about this much above the
     * working set.
     */
    public static final long HEAP_CHURN = 48L << 20;

    public long total() { return baseline + workers * perWorker; }

    public boolean overBudget() { return total() > budget; }

    public static ExtractEstimate of(ExtractionPlan plan) {
        ExtractOptions o = plan.options();
        long perWorker = 0, read = 0, written = 0;
        for (ExtractionPlan.Step s : plan.steps()) {
            if (s.action() == ExtractionPlan.Action.LEFT_OUT) continue;
            read += inputBytes(plan, s);
            Module m = s.module();
            if (s.action() == ExtractionPlan.Action.FULL_RANK) {
                written += plan.ft().info(m.ftWeight()).byteSize() + bytes(plan.ft(), m.ftBias());
                continue;
            }
            int rows = Math.toIntExact(m.rows()), cols = Math.toIntExact(m.cols());
            long factors = (long) (rows + cols) * s.rank();
            written += factors * s.factorDtype().byteSize() + bytes(plan.ft(), m.ftBias());
            long worker = TruncatedSvd.workingBytes(rows, cols, s.rank(), o.svd())
                    + (long) TruncatedSvd.blockRows(cols) * cols * Float.BYTES      // the base's rows, beside Δ's
                    + factors * (Float.BYTES + s.factorDtype().byteSize())          // A and B, then encoded
                    + 2 * TensorStreams.residentBytesPerStream();
            perWorker = Math.max(perWorker, worker);
        }
        int asked = Math.max(1, o.threads());
        long baseline = MemoryEstimate.BASELINE_BYTES + HEAP_CHURN;
        long room = o.memoryBudget() - baseline;
        int fit = (int) Math.max(1, Math.min(asked, room / Math.max(1, perWorker)));
        return new ExtractEstimate(o.memoryBudget(), asked, fit, baseline, perWorker, read, written);
    }

    /** Bytes a step reads once: the fine-tune's tensors, and the base's for a decomposition. */
    static long inputBytes(ExtractionPlan plan, ExtractionPlan.Step s) {
        Module m = s.module();
        long n = plan.ft().info(m.ftWeight()).byteSize() + bytes(plan.ft(), m.ftBias());
        if (s.action() == ExtractionPlan.Action.DECOMPOSE) {
            n += plan.base().info(s.baseWeight()).byteSize() + bytes(plan.base(), s.baseBias());
        }
        return n;
    }

    private static long bytes(LoadedModel model, String tensor) {
        return tensor == null ? 0 : model.info(tensor).byteSize();
    }
}
