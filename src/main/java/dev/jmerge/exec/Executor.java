package dev.jmerge.exec;

import dev.jmerge.error.JmergeException;
import dev.jmerge.error.MergeException;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.lora.LoraPatch;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.plan.Plan;
import dev.jmerge.plan.PlannedInput;
import dev.jmerge.plan.PlannedTensor;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Runs a plan: output shards are laid out first (headers written, files pre-sized), then tensors stream
 * from the mapped inputs through their method into the shards, several at once on a bounded pool. Each
 * tensor is computed by one thread with a fixed tile size, so the bytes written do not depend on the
 * number of threads or the order tensors finish in.
 */
public final class Executor {

    /** Elements per tile: small enough for the cache, large enough to amortise per-tile work. */
    public static final int DEFAULT_CHUNK = 1 << 16;

    /** @param threads worker threads (tensors in flight) */
    public record Options(int threads, int chunkSize, long seed, Kernels kernels) {}

    private final Options options;

    public Executor(Options options) { this.options = options; }

    /** Merges every tensor of {@code plan} into shard files under {@code folder}; returns the warnings raised. */
    public List<String> run(Plan plan, Path folder, Progress progress) {
        Set<String> warnings = java.util.Collections.synchronizedSet(new LinkedHashSet<>());
        List<ShardOutput> shards = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, options.threads()), r -> {
            Thread t = new Thread(r, "jmerge-worker");
            t.setDaemon(true);
            return t;
        });
        ThreadLocal<TileBuffers> buffers = ThreadLocal.withInitial(TileBuffers::new);
        try {
            for (ShardLayout.Shard spec : plan.shards().shards()) shards.add(ShardOutput.create(folder, spec));
            progress.start(plan.tensors().size(), plan.bytesWritten());
            List<Future<?>> futures = new ArrayList<>();
            for (int s = 0; s < shards.size(); s++) {
                ShardOutput shard = shards.get(s);
                for (var spec : plan.shards().shards().get(s).tensors()) {
                    PlannedTensor t = plan.tensor(spec.name());
                    futures.add(pool.submit(() -> {
                        TileBuffers b = buffers.get();
                        b.reset();
                        job(plan, t, b, warnings::add).run(shard.segment(t.name()));
                        progress.tensorDone(t.outBytes());
                    }));
                }
            }
            for (Future<?> f : futures) await(f, futures);
            for (ShardOutput shard : shards) shard.finish();
            progress.finish();
            return List.copyOf(warnings);
        } finally {
            pool.shutdownNow();
            for (ShardOutput shard : shards) shard.close();
        }
    }

    private TensorJob job(Plan plan, PlannedTensor t, TileBuffers b, Consumer<String> warn) {
        List<TensorReader> readers = new ArrayList<>();
        List<MemorySegment> segments = new ArrayList<>();
        for (PlannedInput in : t.inputs()) {
            LoadedModel m = plan.models().get(in.model());
            segments.add(in.lora() instanceof LoraPatch.Replace r ? r.data() : m.weights().segment(in.tensorName()));
        }
        for (int i = 0; i < t.inputs().size(); i++) {
            PlannedInput in = t.inputs().get(i);
            LoraPatch.LowRank lowRank = in.lora() instanceof LoraPatch.LowRank lr ? lr : null;
            if (in.gather() != null && lowRank != null) {
                throw new MergeException("tensor '" + t.name() + "': a LoRA adapter on an embedding cannot be"
                        + " combined with a tokenizer setting yet; merge the adapter first (--lora-merge-cache)");
            }
            readers.add(in.gather() != null ? new GatherReader(t, i, segments)
                    : new InputReader(segments.get(i), in.info().dtype(), in.info().shape(), t.shape(), t.loadDtype(),
                    lowRank));
        }
        return new TensorJob(t, readers, options.kernels(), options.chunkSize(), options.seed(), b, warn);
    }

    private static void await(Future<?> f, List<Future<?>> all) {
        try {
            f.get();
        } catch (ExecutionException e) {
            for (Future<?> other : all) other.cancel(true);
            Throwable c = e.getCause();
            if (c instanceof JmergeException je) throw je;
            if (c instanceof Error err) throw err;
            throw new MergeException("merge failed: " + c, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MergeException("merge interrupted", e);
        }
    }
}
