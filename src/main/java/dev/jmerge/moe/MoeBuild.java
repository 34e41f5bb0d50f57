package dev.jmerge.moe;

import dev.jmerge.run.DiskFull;
import dev.jmerge.run.OutputGuard;
import dev.jmerge.error.JmergeException;
import dev.jmerge.error.OutputWriteException;
import dev.jmerge.exec.Futures;
import dev.jmerge.exec.InputFiles;
import dev.jmerge.exec.Progress;
import dev.jmerge.exec.ShardOutput;
import dev.jmerge.exec.TensorStreams;
import dev.jmerge.io.safetensors.IndexWriter;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.output.OutputFolder;
import dev.jmerge.output.PausePoint;
import dev.jmerge.output.TokenizerFiles;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.tokenizer.TokenizerWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Writes a planned MoE model: every output tensor streamed into its shard from the inputs' files (expert
 * tensors piece by piece, so a fused tensor of E experts is E (or 2E) copies into one file region), several
 * pieces at once on {@code threads} workers, each holding one tile and one write buffer, so memory does not grow
 * with the number or size of the experts (with a report, a tile of floats per expert too: each layer's MLP tensor
 * of every expert is then one job, {@link ExpertSums}); then config.json, the tokenizer (padding on the left with BOS),
 * {@code mergekit_moe_config.yml} and the model card; then one rename. Output bytes depend only on the plan,
 * the gates and the seed, never on the thread count or the report.
 */
public final class MoeBuild {

    /**
     * @param seed        keys the noise of experts with a noise_scale
     * @param configFile  the config file, copied byte for byte to mergekit_moe_config.yml (null: its text is written)
     * @param invocation  the command line, for the model card
     * @param report      also write report.json and report.html ({@link MoeStatistics})
     */
    public record Options(int threads, long seed, Kernels kernels, boolean copyTokenizer, boolean writeModelCard,
                          Path configFile, String invocation, boolean report) {
        public Options(int threads, long seed, Kernels kernels, boolean copyTokenizer, boolean writeModelCard,
                       Path configFile, String invocation) {
            this(threads, seed, kernels, copyTokenizer, writeModelCard, configFile, invocation, false);
        }
    }

    private static final long SPACE_MARGIN = 4L << 20;
    private static final long FLUSH_BYTES = 64L << 20;

    private final MoePlan plan;
    private final MoeGates.Result gates;
    private final Options options;
    private final Consumer<String> note;
    private volatile OutputFolder folder;
    private volatile ExecutorService pool;
    private volatile boolean stopped;

    public MoeBuild(MoePlan plan, MoeGates.Result gates, Options options, Consumer<String> note) {
        this.plan = plan;
        this.gates = gates;
        this.options = options;
        this.note = note;
    }

    /** Memory a worker holds: one tile of floats and one encoded write buffer. */
    public static long bytesPerWorker() {
        return (long) PieceWriter.TILE * Float.BYTES + PieceWriter.TILE * 8L + TensorStreams.residentBytesPerStream();
    }

    /** Memory a worker holds, with a report also a tile of floats per expert and one for the base. */
    public static long bytesPerWorker(MoePlan plan, boolean report) {
        long values = report ? (plan.config().experts().size() + 1L) * PieceWriter.TILE * Float.BYTES : 0;
        return bytesPerWorker() + values;
    }

    /** Writes the model into {@code out} (an existing non-empty folder only with {@code overwrite}). */
    public void run(Path out, boolean overwrite, Progress progress) {
        OutputGuard.check(plan.models(), out, overwrite);
        fetchInputs();
        try (OutputFolder f = OutputFolder.prepare(out, overwrite);
             TensorStreams streams = new TensorStreams(options.kernels())) {
            folder = f;
            if (stopped) f.interrupt();
            DiskFull.checkSpace(f, plan.bytesWritten() + SPACE_MARGIN);
            ExpertSums sums = options.report() ? new ExpertSums(plan) : null;
            try {
                writeTensors(f.temp(), streams, sums, progress);
                writeExtras(f.temp(), f.target().getFileName().toString());
                if (sums != null) MoeStatistics.write(plan, gates, options.kernels(), sums, f.temp());
            } catch (JmergeException e) {
                throw DiskFull.explain(e, f.target());
            }
            PausePoint.reach("before-commit");
            f.commit();
        }
    }

    /**
     * Stops a build in progress from another thread (a signal): workers stopped, the temporary folder removed.
     *
     * @return whether anything had been published (then the output stands, complete)
     */
    public boolean interrupt() {
        stopped = true;
        OutputFolder f = folder;
        if (f != null) f.interrupt();
        ExecutorService p = pool;
        if (p != null) {
            p.shutdownNow();
            try {
                p.awaitTermination(3, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return f != null && f.keepForResume() < 0;
    }

    /** Writes every tensor; with {@code sums}, each of its groups as one job, at the place of its first piece. */
    private void writeTensors(Path dir, TensorStreams streams, ExpertSums sums, Progress progress) {
        List<ShardOutput> shards = new ArrayList<>();
        ExecutorService workers = Executors.newFixedThreadPool(Math.max(1, options.threads()), r -> {
            Thread t = new Thread(r, "jmerge-moe");
            t.setDaemon(true);
            return t;
        });
        pool = workers;
        if (stopped) workers.shutdownNow();
        InputFiles inputs = new InputFiles();
        ThreadLocal<PieceWriter> writers = ThreadLocal.withInitial(() -> new PieceWriter(options.kernels(),
                streams, inputs, options.seed()));
        try {
            Map<String, ShardOutput> shardOf = new HashMap<>();
            for (ShardLayout.Shard s : plan.shards().shards()) {
                ShardOutput o = ShardOutput.create(dir, s);
                shards.add(o);
                for (var t : s.tensors()) shardOf.put(t.name(), o);
            }
            List<Runnable> jobs = new ArrayList<>();
            Map<ExpertSums.Group, List<PieceWriter.Placement>> together = new LinkedHashMap<>();
            if (sums != null) for (ExpertSums.Group g : sums.groups()) together.put(g, new ArrayList<>());
            for (MoeTensor t : plan.tensors()) {
                ShardOutput shard = shardOf.get(t.name());
                switch (t.source()) {
                    case MoeTensor.Pieces p -> {
                        for (MoeTensor.Piece piece : p.pieces()) {
                            ExpertSums.Group g = sums == null ? null : sums.groupOf(piece);
                            if (g != null) {
                                List<PieceWriter.Placement> placed = together.get(g);
                                if (placed.isEmpty()) jobs.add(together(g, placed, writers, progress));
                                placed.add(new PieceWriter.Placement(piece, t, shard));
                                continue;
                            }
                            jobs.add(() -> {
                                writers.get().copy(piece, t, shard);
                                shard.flushIfDirty(FLUSH_BYTES);
                                progress.tensorDone(piece.numel() * t.dtype().byteSize());
                            });
                        }
                    }
                    case MoeTensor.Gate g -> jobs.add(() -> {
                        writers.get().gate(gates.rows()[g.layer()], g.firstRow(), g.rows(), t, shard);
                        progress.tensorDone(t.byteSize());
                    });
                    case MoeTensor.Zeros z -> jobs.add(() -> {
                        writers.get().zeros(t, shard);
                        progress.tensorDone(t.byteSize());
                    });
                }
            }
            together.forEach((g, placed) -> {
                if (placed.isEmpty()) jobs.add(together(g, placed, writers, progress));
            });
            progress.start(jobs.size(), plan.bytesWritten());
            List<Future<?>> futures = new ArrayList<>();
            for (Runnable job : jobs) {
                futures.add(workers.submit(() -> {
                    job.run();
                    PausePoint.reach("tensor-done");
                }));
            }
            Futures.awaitAll(futures, "MoE build");
            for (ShardOutput s : shards) s.finish();
            progress.finish();
        } finally {
            workers.shutdownNow();
            for (ShardOutput s : shards) s.close();
            inputs.close();
        }
    }

    /** The job of a group: its pieces copied together (those placed after this call too), its sums taken. */
    private static Runnable together(ExpertSums.Group g, List<PieceWriter.Placement> placed,
                                     ThreadLocal<PieceWriter> writers, Progress progress) {
        return () -> {
            writers.get().copyTogether(g, placed);
            long bytes = 0;
            for (PieceWriter.Placement p : placed) {
                p.shard().flushIfDirty(FLUSH_BYTES);
                bytes += p.piece().numel() * p.tensor().dtype().byteSize();
            }
            progress.tensorDone(bytes);
        };
    }

    private void writeExtras(Path dir, String outputName) {
        try {
            if (plan.shards().needsIndex()) IndexWriter.write(dir, plan.shards());
            Files.writeString(dir.resolve("config.json"), plan.configJson());
            if (options.copyTokenizer()) {
                LoadedModel base = plan.base();
                if (TokenizerFiles.copy(base.folder(), dir).isEmpty()) {
                    note.accept("base model '" + base.label() + "' has no tokenizer files; the output has none");
                } else if (TokenizerWriter.padLeftWithBos(dir) == null) {
                    note.accept("the base model's tokenizer names neither a BOS nor an EOS token; no pad token is set");
                }
            }
            if (options.writeModelCard()) {
                Path yml = dir.resolve("mergekit_moe_config.yml");
                Path src = options.configFile();
                if (src != null && Files.isRegularFile(src)) Files.copy(src, yml);
                else Files.writeString(yml, plan.config().yamlText());
                Files.writeString(dir.resolve("README.md"), MoeCard.render(plan, outputName,
                        plan.stochastic() ? options.seed() : null, options.invocation()));
            }
        } catch (IOException e) {
            throw new OutputWriteException(dir, -1, dir + ": cannot write output files (" + e.getMessage() + ")", e);
        }
    }

    /** Hub models were planned from their headers: download the weight files the build reads, and no others. */
    private void fetchInputs() {
        Map<LoadedModel, Set<Path>> files = new HashMap<>();
        for (MoeTensor t : plan.tensors()) {
            if (!(t.source() instanceof MoeTensor.Pieces p)) continue;
            for (MoeTensor.Piece piece : p.pieces()) {
                files.computeIfAbsent(piece.model(), m -> new LinkedHashSet<>())
                        .add(piece.model().weights().fileOf(piece.tensor()));
            }
        }
        files.forEach((m, f) -> m.weights().fetch(f));
    }
}
