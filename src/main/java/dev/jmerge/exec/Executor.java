package dev.jmerge.exec;

import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.kernels.KernelUse;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.io.StoredTensor;
import dev.jmerge.plan.Plan;
import dev.jmerge.plan.PlannedInput;
import dev.jmerge.plan.PlannedTensor;
import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

/**
 * Runs a plan: output shards are laid out (headers written, files pre-sized), then tensors stream from the input
 * files through their method into the shards, several at once on a pool sized by the memory budget
 * ({@link MemoryEstimate}), and the shards are forced to disk, each reported as it is done. Each tensor is
 * computed by one thread with a fixed tile size, so the bytes written do not depend on the number of threads or
 * the order tensors finish in.
 */
public final class Executor {

    /** Elements per tile: small enough for the cache, large enough to amortise per-tile work. */
    public static final int DEFAULT_CHUNK = 1 << 16;

    /**
     * @param threads worker threads asked for (tensors in flight, fewer if {@code memoryBudget} says so)
     * @param memoryBudget bytes the run may hold; see {@link MemoryEstimate}
     */
    public record Options(int threads, int chunkSize, long seed, Kernels kernels, long memoryBudget) {
        public Options(int threads, int chunkSize, long seed, Kernels kernels) {
            this(threads, chunkSize, seed, kernels, MemoryEstimate.DEFAULT_BUDGET);
        }
    }

    /** Input bytes the kernel is asked to read ahead of the workers (page cache, not this process's memory). */
    static final long READAHEAD_BYTES = 256L << 20;
    /** Written bytes per shard after which write-back is started in the background. */
    static final long FLUSH_BYTES = 64L << 20;
    static final long FLUSH_PERIOD_MS = 200;

    private final Options options;
    private volatile ExecutorService activePool;
    private volatile boolean cancelled;

    public Executor(Options options) { this.options = options; }

    /**
     * Stops a run in progress from another thread (a signal): no tensor starts any more, running ones are
     * interrupted, and this returns once the workers are gone (or after a few seconds). The interrupted
     * {@link #run} throws; what it wrote is to be thrown away.
     */
    public void cancel() {
        cancelled = true;
        ExecutorService pool = activePool;
        if (pool == null) return;
        pool.shutdownNow();
        try {
            pool.awaitTermination(3, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The memory this executor will use for {@code plan}: what --dry-run reports and {@link #run} obeys. */
    public MemoryEstimate estimate(Plan plan) {
        return MemoryEstimate.of(plan, options.threads(), options.chunkSize(), options.memoryBudget());
    }

    /**
     * What a run found while merging (non-finite outputs, quirks a method kept for mergekit parity), and the memory
     * estimate it was held to: the one {@link #estimate} gives and {@code --dry-run} prints.
     */
    public record Result(MemoryEstimate memory, List<Diagnostic> diagnostics) {
        public Result {
            diagnostics = List.copyOf(diagnostics);
        }
    }

    /** Hears, on the thread that called {@link #run}, of each shard once its file is complete and forced to disk. */
    public interface ShardDone {

        /**
         * @param found what its tensors raised
         * @throws RuntimeException to stop the run (the shard's file stays; the caller decides its fate)
         */
        void finished(ShardLayout.Shard shard, List<Diagnostic> found);
    }

    /**
     * Merges every tensor of {@code plan} into shard files under {@code folder}, in one session: one pool of the
     * workers the plan's memory estimate allows, one scratch pool, readahead and write-back over the whole run.
     * Shards are filled one after another, in plan order, each laid out first (header written, file pre-sized);
     * within a shard, tensors start largest first. Shards named in {@code keep} (finished by an interrupted run)
     * are not written again; their tensors count as done for {@code progress}.
     */
    public Result run(Plan plan, Path folder, Set<String> keep, Progress progress, ShardDone done) {
        return run(plan, folder, keep, progress, done, null);
    }

    /**
     * As {@link #run(Plan, Path, Set, Progress, ShardDone)}, handing each merged tensor's numbers to {@code stats}
     * (from the worker threads) as it is finished; null gathers none and looks at no tile.
     */
    public Result run(Plan plan, Path folder, Set<String> keep, Progress progress, ShardDone done,
                      TensorStats.Sink stats) {
        MemoryEstimate memory = estimate(plan);
        List<ShardLayout.Shard> todo = new ArrayList<>();
        for (ShardLayout.Shard s : plan.shards().shards()) if (!keep.contains(s.fileName())) todo.add(s);
        List<Diagnostic> found = new ArrayList<>();
        List<ShardOutput> open = new java.util.concurrent.CopyOnWriteArrayList<>();
        ScratchPool scratch = new ScratchPool(memory.scratch());
        ExecutorService pool = Executors.newFixedThreadPool(memory.workers(), r -> {
            Thread t = new Thread(r, "jmerge-worker");
            t.setDaemon(true);
            return t;
        });
        activePool = pool;
        if (cancelled) pool.shutdownNow();
        ThreadLocal<TileBuffers> buffers = ThreadLocal.withInitial(TileBuffers::new);
        // Two helpers: readahead (stopped by interrupt: it only waits and calls madvise) and the flusher, which
        // must never be interrupted: an interrupt during FileChannel.force closes the channel under the writers.
        ExecutorService readaheadThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "jmerge-readahead");
            t.setDaemon(true);
            return t;
        });
        ScheduledExecutorService flushThread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "jmerge-flush");
            t.setDaemon(true);
            return t;
        });
        try (InputFiles files = new InputFiles()) {
            progress.start(plan.tensors().size(), plan.bytesWritten());
            for (ShardLayout.Shard s : plan.shards().shards()) {
                if (keep.contains(s.fileName())) for (var t : s.tensors()) progress.tensorKept(t.byteSize());
            }
            // Largest first within a shard: the last tensors to start are small, so workers finish together. Each
            // tensor is computed by one worker with the fixed tile length, so the order changes no byte of the output.
            Map<String, PlannedTensor> byName = new HashMap<>();
            for (PlannedTensor t : plan.tensors()) byName.put(t.name(), t);
            List<List<PlannedTensor>> orders = new ArrayList<>();
            List<PlannedTensor> all = new ArrayList<>();
            for (ShardLayout.Shard s : todo) {
                List<PlannedTensor> order = new ArrayList<>();
                for (var spec : s.tensors()) order.add(byName.get(spec.name()));
                order.sort(Comparator.comparingLong((PlannedTensor t) -> t.numel() * Math.max(1, t.inputs().size()))
                        .reversed());
                orders.add(order);
                all.addAll(order);
            }
            Readahead readahead = new Readahead(prefetchList(plan, all), READAHEAD_BYTES);
            readaheadThread.submit(readahead);
            // before the first tile (kernels.panama.Warmup says why)
            options.kernels().warmUp(dtypes(plan), stats != null ? KernelUse.ALL : kernelUse(plan));
            flushThread.scheduleWithFixedDelay(() -> open.forEach(sh -> sh.flushIfDirty(FLUSH_BYTES)),
                    FLUSH_PERIOD_MS, FLUSH_PERIOD_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
            for (int k = 0; k < todo.size(); k++) {
                ShardOutput shard = ShardOutput.create(folder, todo.get(k));
                open.add(shard);
                Set<Diagnostic> raised = java.util.Collections.synchronizedSet(new LinkedHashSet<>());
                List<Future<?>> futures = new ArrayList<>();
                for (PlannedTensor t : orders.get(k)) {
                    long inBytes = inputBytes(t);
                    futures.add(pool.submit(() -> {
                        readahead.started(inBytes);
                        TileBuffers b = buffers.get();
                        b.reset();
                        TensorJob job = job(plan, files, t, b, raised::add, scratch);
                        if (stats != null) stats.accept(job.withStatistics(models(t), reference(t, stats.referenceModel())).run(shard));
                        else job.run(shard);
                        progress.tensorDone(t.outBytes());
                    }));
                }
                Futures.awaitAll(futures, "merge");
                shard.finish();
                open.remove(shard);
                List<Diagnostic> mine = List.copyOf(raised);
                found.addAll(mine);
                done.finished(todo.get(k), mine);
            }
            stopHelpers(readaheadThread, flushThread);
            progress.finish();
            return new Result(memory, found);
        } finally {
            pool.shutdownNow();
            stopHelpers(readaheadThread, flushThread);
            for (ShardOutput shard : open) shard.close();
            scratch.close();
        }
    }

    /** The dtypes the tiles of {@code plan} decode and encode: its inputs', its outputs' and the rounding {@code dtype:}. */
    static Set<DType> dtypes(Plan plan) {
        Set<DType> all = EnumSet.noneOf(DType.class);
        for (PlannedTensor t : plan.tensors()) {
            all.add(t.outDtype());
            if (t.loadDtype() != null) all.add(t.loadDtype());
            for (PlannedInput in : t.inputs()) all.add(in.info().dtype());
        }
        return all;
    }

    /** The kernels the methods of {@code plan} call; every kernel where an input carries an adapter's delta. */
    static Set<KernelUse> kernelUse(Plan plan) {
        Set<KernelUse> all = EnumSet.noneOf(KernelUse.class);
        for (PlannedTensor t : plan.tensors()) {
            all.addAll(t.method().kernelUse(t.global()));
            for (PlannedInput in : t.inputs()) if (stored(plan, in).delta() != null) return KernelUse.ALL;
        }
        return all;
    }

    /**
     * Reads the inputs of every tensor of {@code plan} once and hands their numbers to {@code stats}, merging
     * nothing ({@code --dry-run --report}); runs on as many workers as a merge would.
     */
    public void scan(Plan plan, Progress progress, TensorStats.Sink stats) {
        MemoryEstimate memory = estimate(plan);
        ExecutorService pool = Executors.newFixedThreadPool(memory.workers(), r -> {
            Thread t = new Thread(r, "jmerge-scan");
            t.setDaemon(true);
            return t;
        });
        activePool = pool;
        if (cancelled) pool.shutdownNow();
        ThreadLocal<TileBuffers> buffers = ThreadLocal.withInitial(TileBuffers::new);
        try (InputFiles files = new InputFiles(); ScratchPool scratch = new ScratchPool(0)) {
            progress.start(plan.tensors().size(), plan.bytesRead());
            options.kernels().warmUp(dtypes(plan));
            List<Future<?>> futures = new ArrayList<>();
            for (PlannedTensor t : plan.tensors()) {
                futures.add(pool.submit(() -> {
                    TileBuffers b = buffers.get();
                    b.reset();
                    stats.accept(job(plan, files, t, b, w -> {}, scratch).withStatistics(models(t), reference(t, stats.referenceModel())).scan());
                    progress.tensorDone(inputBytes(t));
                }));
            }
            Futures.awaitAll(futures, "scan");
            progress.finish();
        } finally {
            pool.shutdownNow();
        }
    }

    private static int[] models(PlannedTensor t) {
        int[] m = new int[t.inputs().size()];
        for (int i = 0; i < m.length; i++) m[i] = t.inputs().get(i).model();
        return m;
    }

    /** The input task vectors are taken against: the method's base, else the input of model {@code model}, else -1. */
    private static int reference(PlannedTensor t, int model) {
        if (t.baseIndex() >= 0 || model < 0) return t.baseIndex();
        for (int i = 0; i < t.inputs().size(); i++) if (t.inputs().get(i).model() == model) return i;
        return -1;
    }

    private static List<Readahead.Item> prefetchList(Plan plan, List<PlannedTensor> order) {
        if (!Readahead.available()) return List.of();
        List<Readahead.Item> items = new ArrayList<>();
        for (PlannedTensor t : order) {
            List<java.lang.foreign.MemorySegment> segs = new ArrayList<>();
            for (PlannedInput in : t.inputs()) segs.add(stored(plan, in).bytes());
            items.add(new Readahead.Item(segs, inputBytes(t)));
        }
        return items;
    }

    private static StoredTensor stored(Plan plan, PlannedInput in) {
        return plan.models().get(in.model()).weights().stored(in.tensorName());
    }

    private static long inputBytes(PlannedTensor t) {
        long n = 0;
        for (PlannedInput in : t.inputs()) n += in.info().byteSize();
        return n;
    }

    /** Stops readahead by interrupt and the flusher without one (a flush in progress completes first). */
    private static void stopHelpers(ExecutorService readahead, ScheduledExecutorService flusher) {
        readahead.shutdownNow();
        flusher.shutdown(); // drops the periodic task; does not interrupt a running flush
        try {
            readahead.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
            flusher.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private TensorJob job(Plan plan, InputFiles files, PlannedTensor t, TileBuffers b, Consumer<Diagnostic> report,
                          ScratchPool scratch) {
        List<TensorReader> readers = new ArrayList<>();
        List<StoredTensor> stored = new ArrayList<>();
        for (PlannedInput in : t.inputs()) stored.add(stored(plan, in));
        List<MemorySegment> segments = stored.stream().map(StoredTensor::bytes).toList();
        for (int i = 0; i < t.inputs().size(); i++) {
            StoredTensor s = stored.get(i);
            // the planner refuses adapters that change an embedding it re-lays on a merged vocabulary
            readers.add(t.inputs().get(i).gather() != null ? new GatherReader(t, i, segments)
                    : new InputReader(s, files.channel(s.file()), t.shape(), t.loadDtype(), b));
        }
        return new TensorJob(t, readers, options.kernels(), options.chunkSize(), options.seed(), b, report, scratch);
    }
}
