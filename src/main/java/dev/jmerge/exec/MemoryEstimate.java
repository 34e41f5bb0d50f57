package dev.jmerge.exec;

import dev.jmerge.plan.Plan;
import dev.jmerge.plan.PlannedTensor;

/**
 * What a run will hold in memory, decided before it starts: the executor runs {@code workers} tensors at once
 * (fewer than asked when the budget cannot hold more) and each worker holds tiles and I/O buffers whose size
 * depends only on the plan and the tile length. Input bytes stay resident only in a window of a few MB per
 * input (pages read are released as the reader moves on) and output bytes go out with positional writes.
 *
 * @param baseline JVM, class data, headers and bookkeeping that do not grow with the model
 * @param perWorker tiles and buffers of one worker for the plan's widest tensor
 */
public record MemoryEstimate(long budget, int requestedThreads, int workers, long baseline, long perWorker) {

    /** Measured with the benchmark (JVM code and metadata, young generation, plan): see docs/design.md. */
    public static final long BASELINE_BYTES = 128L << 20;

    /** The default {@code --memory}: a few hundred MB, enough for every core of a workstation on any plan. */
    public static final long DEFAULT_BUDGET = 512L << 20;

    public long total() { return baseline + workers * perWorker; }

    /** Whether the budget was too small for even one worker (the run still uses one). */
    public boolean overBudget() { return total() > budget; }

    public static MemoryEstimate of(Plan plan, int threads, int chunk, long budget) {
        int maxInputs = plan.tensors().stream().mapToInt(t -> t.inputs().size()).max().orElse(0);
        long maxRow = plan.tensors().stream().mapToLong(MemoryEstimate::lastAxis).max().orElse(1);
        long tile = Math.max(chunk, maxRow);
        // methods ask for at most two tiles per input plus a few of their own (TaskVectorTiles, Combination),
        // the worker adds one read and one write buffer of at most a float tile each
        // plus, per input, the mapped pages not yet released (InputReader) and the pages a fault maps around
        long working = plan.tensors().stream()
                .mapToLong(t -> t.method().workingBytes(t.numel(), t.inputs().size())).max().orElse(0);
        long perWorker = (long) (2 * maxInputs + 6) * tile * Float.BYTES
                + maxInputs * (InputReader.RELEASE_BYTES + tile * Float.BYTES + 2 * InputReader.FAULT_AROUND)
                + working;
        int asked = Math.max(1, threads);
        long room = budget - BASELINE_BYTES;
        int fit = (int) Math.max(1, Math.min(asked, room / Math.max(1, perWorker)));
        return new MemoryEstimate(budget, asked, fit, BASELINE_BYTES, perWorker);
    }

    private static long lastAxis(PlannedTensor t) {
        long[] s = t.shape();
        return s.length >= 2 ? s[s.length - 1] : 1;
    }
}
