package dev.jmerge.exec;

import dev.jmerge.plan.Plan;
import dev.jmerge.plan.PlannedTensor;

/**
 * What a run will hold in memory, decided before it starts: the executor runs {@code workers} tensors at once
 * (fewer than asked when the budget cannot hold more) and each worker holds tiles and I/O buffers whose size
 * depends only on the plan and the tile length. Input bytes stay resident only in a window of a few MB per
 * input (pages read are released as the reader moves on) and output bytes go out with positional writes.
 *
 * <p>The magnitude selections (mergekit's tie order, see {@code TieScratch}) also borrow native scratch memory:
 * 4 bytes per element of a tensor. The workers borrow it from one pool: at least the largest single request,
 * more when the budget has room, never more than every worker asking at once. When that largest request does
 * not fit in the budget beside one worker, the budget cannot be met: the run then sizes its workers as if
 * there were no scratch (it would only run slower, not smaller) and says so.
 *
 * @param baseline JVM, class data, headers and bookkeeping that do not grow with the model
 * @param perWorker tiles and buffers of one worker for the plan's widest tensor
 * @param scratch the pool of borrowed scratch memory (0 when no method asks for any)
 * @param largestScratch the largest single request of scratch
 */
public record MemoryEstimate(long budget, int requestedThreads, int workers, long baseline, long perWorker,
                             long scratch, long largestScratch) {

    /** Measured with the benchmark (JVM code and metadata, young generation, plan): see docs/design.md. */
    public static final long BASELINE_BYTES = 128L << 20;

    /** The default {@code --memory}: a few hundred MB, enough for every core of a workstation on any plan. */
    public static final long DEFAULT_BUDGET = 512L << 20;

    public long total() { return baseline + workers * perWorker + scratch; }

    /** Whether the budget was too small for even one worker (the run still uses one) or for the scratch. */
    public boolean overBudget() { return total() > budget; }

    /** What the run says when {@link #overBudget()}. */
    public String overBudgetWarning() {
        if (baseline + perWorker + largestScratch > budget && largestScratch > 0) {
            return "the magnitude selections of this plan need " + (largestScratch >> 20) + " MiB of scratch (4 bytes"
                    + " per element of its largest tensor), more than the memory budget of " + (budget >> 20)
                    + " MiB leaves; running " + workers + " worker" + (workers == 1 ? "" : "s") + " in about "
                    + (total() >> 20) + " MiB anyway (--memory sets the budget)";
        }
        return "memory budget of " + (budget >> 20) + " MiB is below the " + (total() >> 20) + " MiB one worker needs"
                + " for this plan; running one worker anyway";
    }

    public static MemoryEstimate of(Plan plan, int threads, int chunk, long budget) {
        int maxInputs = plan.tensors().stream().mapToInt(t -> t.inputs().size()).max().orElse(0);
        long maxRow = plan.tensors().stream().mapToLong(t -> t.shape().lastAxis()).max().orElse(1);
        long tile = Math.max(chunk, maxRow);
        // methods ask for at most two tiles per input plus a few of their own (TaskVectorTiles, Combination),
        // the worker adds one read and one write buffer of at most a float tile each
        // plus, per input, the mapped pages not yet released (InputReader) and the pages a fault maps around
        long working = plan.tensors().stream()
                .mapToLong(t -> t.method().workingBytes(t.numel(), t.inputs().size(), t.global())).max().orElse(0);
        long perWorker = (long) (2 * maxInputs + 6) * tile * Float.BYTES
                + maxInputs * (InputReader.RELEASE_BYTES + tile * Float.BYTES + 2 * InputReader.FAULT_AROUND)
                + working;
        long largestScratch = plan.tensors().stream()
                .mapToLong(t -> t.method().scratchBytes(t.numel(), t.global(), t.perModel())).max().orElse(0);
        int asked = Math.max(1, threads);
        long room = budget - BASELINE_BYTES - largestScratch;
        if (room < perWorker) room = budget - BASELINE_BYTES; // the scratch alone breaks the budget: see above
        int fit = (int) Math.max(1, Math.min(asked, room / Math.max(1, perWorker)));
        long pool = Math.min((long) fit * largestScratch,
                Math.max(largestScratch, budget - BASELINE_BYTES - fit * perWorker));
        return new MemoryEstimate(budget, asked, fit, BASELINE_BYTES, perWorker, pool, largestScratch);
    }
}
