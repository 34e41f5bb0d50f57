package dev.jmerge.exec;

import dev.jmerge.error.MergeException;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.lora.LoraPatch;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.io.safetensors.ModelWeights;
import dev.jmerge.plan.Plan;
import dev.jmerge.plan.PlannedInput;
import dev.jmerge.plan.PlannedTensor;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

/**
 * Runs a plan: output shards are laid out first (headers written, files pre-sized), then tensors stream
 * from the input files through their method into the shards, several at once on a pool sized by the
 * memory budget ({@link MemoryEstimate}), and the shards are forced to disk. Each
 * tensor is computed by one thread with a fixed tile size, so the bytes written do not depend on the
 * number of threads or the order tensors finish in.
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

    /** Merges every tensor of {@code plan} into shard files under {@code folder}; returns the warnings raised. */
    public List<String> run(Plan plan, Path folder, Progress progress) {
        return run(plan, folder, progress, null);
    }

    /**
     * As {@link #run(Plan, Path, Progress)}, handing each tensor's numbers to {@code stats} (from the worker
     * threads) as it is finished; null gathers none.
     */
    public List<String> run(Plan plan, Path folder, Progress progress, Consumer<TensorStats> stats) {
        Set<String> warnings = java.util.Collections.synchronizedSet(new LinkedHashSet<>());
        MemoryEstimate memory = estimate(plan);
        if (memory.overBudget()) warnings.add(memory.overBudgetWarning());
        ScratchPool scratch = new ScratchPool(memory.scratch());
        List<ShardOutput> shards = new ArrayList<>();
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
            Map<String, ShardOutput> shardOf = new HashMap<>();
            for (ShardLayout.Shard spec : plan.shards().shards()) {
                ShardOutput out = ShardOutput.create(folder, spec);
                shards.add(out);
                for (var t : spec.tensors()) shardOf.put(t.name(), out);
            }
            progress.start(plan.tensors().size(), plan.bytesWritten());
            // Largest first: the last tensors to start are small, so workers finish together. Each tensor is
            // computed by one worker with the fixed tile length, so the order changes no byte of the output.
            List<PlannedTensor> order = new ArrayList<>(plan.tensors());
            order.sort(Comparator.comparingLong((PlannedTensor t) -> t.numel() * Math.max(1, t.inputs().size()))
                    .reversed());
            Readahead readahead = new Readahead(prefetchList(plan, order), READAHEAD_BYTES);
            readaheadThread.submit(readahead);
            flushThread.scheduleWithFixedDelay(() -> shards.forEach(sh -> sh.flushIfDirty(FLUSH_BYTES)),
                    FLUSH_PERIOD_MS, FLUSH_PERIOD_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
            List<Future<?>> futures = new ArrayList<>();
            for (PlannedTensor t : order) {
                ShardOutput shard = shardOf.get(t.name());
                long inBytes = inputBytes(t);
                futures.add(pool.submit(() -> {
                    readahead.started(inBytes);
                    TileBuffers b = buffers.get();
                    b.reset();
                    TensorJob job = job(plan, files, t, b, warnings::add, scratch);
                    if (stats != null) stats.accept(job.withStatistics(models(t), reference(plan, t)).run(shard));
                    else job.run(shard);
                    progress.tensorDone(t.outBytes());
                }));
            }
            Futures.awaitAll(futures, "merge");
            stopHelpers(readaheadThread, flushThread);
            for (ShardOutput shard : shards) shard.finish();
            progress.finish();
            return List.copyOf(warnings);
        } finally {
            pool.shutdownNow();
            stopHelpers(readaheadThread, flushThread);
            for (ShardOutput shard : shards) shard.close();
            scratch.close();
        }
    }

    /**
     * Reads the inputs of every tensor of {@code plan} once and hands their numbers to {@code stats}, merging
     * nothing ({@code --dry-run --report}); runs on as many workers as a merge would.
     */
    public void scan(Plan plan, Progress progress, Consumer<TensorStats> stats) {
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
            List<Future<?>> futures = new ArrayList<>();
            for (PlannedTensor t : plan.tensors()) {
                futures.add(pool.submit(() -> {
                    TileBuffers b = buffers.get();
                    b.reset();
                    stats.accept(job(plan, files, t, b, w -> {}, scratch).withStatistics(models(t), reference(plan, t)).scan());
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

    /**
     * The input task vectors are taken against in a report: the method's base, else the config's
     * {@code base_model} when it is among the inputs (linear and karcher merge it like any model), else -1.
     */
    private static int reference(Plan plan, PlannedTensor t) {
        if (t.baseIndex() >= 0) return t.baseIndex();
        var base = plan.config().baseModel();
        if (base == null) return -1;
        for (int i = 0; i < t.inputs().size(); i++) {
            if (plan.models().get(t.inputs().get(i).model()).ref().equals(base)) return i;
        }
        return -1;
    }

    private static List<Readahead.Item> prefetchList(Plan plan, List<PlannedTensor> order) {
        if (!Readahead.available()) return List.of();
        List<Readahead.Item> items = new ArrayList<>();
        for (PlannedTensor t : order) {
            List<java.lang.foreign.MemorySegment> segs = new ArrayList<>();
            for (PlannedInput in : t.inputs()) segs.add(plan.models().get(in.model()).weights().segment(in.tensorName()));
            items.add(new Readahead.Item(segs, inputBytes(t)));
        }
        return items;
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

    private TensorJob job(Plan plan, InputFiles files, PlannedTensor t, TileBuffers b, Consumer<String> warn,
                          ScratchPool scratch) {
        List<TensorReader> readers = new ArrayList<>();
        List<MemorySegment> segments = new ArrayList<>();
        for (PlannedInput in : t.inputs()) {
            LoadedModel m = plan.models().get(in.model());
            segments.add(in.lora() instanceof LoraPatch.Replace r ? r.data() : m.weights().segment(in.tensorName()));
        }
        for (int i = 0; i < t.inputs().size(); i++) {
            PlannedInput in = t.inputs().get(i);
            LoraPatch.Delta delta = in.lora() instanceof LoraPatch.Delta d ? d : null;
            if (in.gather() != null) {
                if (delta != null) {
                    throw new MergeException("tensor '" + t.name() + "': a LoRA adapter on an embedding cannot be"
                            + " combined with a tokenizer setting yet; merge the adapter first (--lora-merge-cache)");
                }
                readers.add(new GatherReader(t, i, segments));
            } else if (in.lora() instanceof LoraPatch.Replace) {
                // an adapter's replacement tensor: read from its mapping, not released page by page
                readers.add(new InputReader(segments.get(i), null, null, -1, in.info().dtype(), in.info().shape(),
                        t.shape(), t.loadDtype(), b, null));
            } else {
                ModelWeights w = plan.models().get(in.model()).weights();
                Path file = w.fileOf(in.tensorName());
                readers.add(new InputReader(segments.get(i), file, files.channel(file), w.fileOffset(in.tensorName()),
                        in.info().dtype(), in.info().shape(), t.shape(), t.loadDtype(), b, delta));
            }
        }
        return new TensorJob(t, readers, options.kernels(), options.chunkSize(), options.seed(), b, warn, scratch);
    }
}
