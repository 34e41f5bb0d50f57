package dev.jmerge.extract;

import dev.jmerge.run.DiskFull;
import dev.jmerge.config.ModelReference;
import dev.jmerge.config.SourcePos;
import dev.jmerge.error.JmergeException;
import dev.jmerge.error.MergeException;
import dev.jmerge.error.OutputWriteException;
import dev.jmerge.exec.Futures;
import dev.jmerge.exec.Progress;
import dev.jmerge.exec.TensorStreams;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.linalg.Factorization;
import dev.jmerge.linalg.TruncatedSvd;
import dev.jmerge.output.AdapterCard;
import dev.jmerge.output.OutputFolder;
import dev.jmerge.output.PausePoint;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.plan.LoadedModels;
import dev.jmerge.source.ModelLocator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code jmerge extract-lora}: a PEFT LoRA adapter from the difference between a fine-tuned model and its
 * base, laid out as mergekit-extract-lora lays it out (compat §5.4). Two phases, inside an atomic output
 * folder: the decomposed modules are factorised in parallel, each worker streaming its module's Δ from the
 * two checkpoints, and their factors are appended to a scratch file as they finish (ranks are only known
 * then, with {@code --sv-epsilon}); then {@code adapter_model.safetensors} is laid out and filled in plan
 * order from the scratch file and, for modules saved at full rank, from the fine-tune. Output bytes depend
 * neither on the thread count nor on the order modules finish in.
 */
public final class LoraExtraction {

    static final String ADAPTER_FILE = "adapter_model.safetensors";
    private static final String SCRATCH = ".factors.partial";
    private static final String PREFIX = "base_model.model.";
    private static final int COPY_BYTES = 4 << 20;
    private static final long SPACE_MARGIN = 1L << 20;

    /** What one decomposition left in the scratch file, and how much of Δ its factors hold. */
    private record Factors(int rank, long aOffset, long aBytes, long bOffset, long bBytes, long biasOffset,
                           long biasBytes, double relativeError, double deltaNorm, double energyKept) {}

    /**
     * One decomposed module as written: its rank, the relative error ‖Δ − B·A‖_F / ‖Δ‖_F of its factorisation,
     * ‖Δ‖_F and the share of ‖Δ‖²_F its singular values hold.
     */
    public record Decomposed(String module, int rank, double relativeError, double deltaNorm, double energyKept) {}

    /** What a run wrote. */
    public record Result(Path adapter, List<Decomposed> decomposed, int savedWhole) {}

    private LoraExtraction() {}

    /** Opens both models (headers only) and decides what is decomposed, saved whole or left out. */
    public static ExtractionPlan plan(ModelReference model, ModelReference base, ModelLocator locator, ExtractOptions o) {
        LoadedModel ft = LoadedModels.open(model, new SourcePos("--model", 0, 0), locator);
        LoadedModel b = null;
        try {
            b = model.equals(base) ? ft : LoadedModels.open(base, new SourcePos("--base-model", 0, 0), locator);
            return ExtractionPlan.of(ft, b, o);
        } catch (RuntimeException e) {
            ft.close();
            if (b != null && b != ft) b.close();
            throw e;
        }
    }

    /**
     * Writes the adapter for {@code plan} into {@code out} (refused when non-empty unless {@code overwrite}).
     *
     * @param invocation the command line, for the model card
     */
    public static Result run(ExtractionPlan plan, Path out, boolean overwrite, String invocation, Kernels kernels,
                             Progress progress) {
        return run(plan, out, overwrite, invocation, kernels, progress, false);
    }

    /** As {@link #run(ExtractionPlan, Path, boolean, String, Kernels, Progress)}; {@code report} adds report.json/html. */
    public static Result run(ExtractionPlan plan, Path out, boolean overwrite, String invocation, Kernels kernels,
                             Progress progress, boolean report) {
        fetchInputs(plan);
        ExtractEstimate memory = ExtractEstimate.of(plan);
        try (OutputFolder folder = OutputFolder.prepare(out, overwrite);
             TensorStreams streams = new TensorStreams(kernels)) {
            DiskFull.checkSpace(folder, memory.bytesWrittenAtMost() * 2 + SPACE_MARGIN);
            Result result;
            try {
                result = write(plan, folder.temp(), streams, kernels, memory.workers(), progress, invocation,
                        folder.target());
                if (report) ExtractReports.write(plan, result, invocation, folder.temp());
            } catch (JmergeException e) {
                throw DiskFull.explain(e, folder.target());
            }
            PausePoint.reach("before-commit");
            folder.commit();
            return new Result(folder.target().resolve(ADAPTER_FILE), result.decomposed(), result.savedWhole());
        }
    }

    private static Result write(ExtractionPlan plan, Path dir, TensorStreams streams, Kernels kernels, int workers,
                                Progress progress, String invocation, Path target) {
        List<ExtractionPlan.Step> steps = plan.steps();
        long inputBytes = 0;
        int jobs = 0;
        for (ExtractionPlan.Step s : steps) {
            if (s.action() == ExtractionPlan.Action.LEFT_OUT) continue;
            inputBytes += ExtractEstimate.inputBytes(plan, s);
            jobs++;
        }
        progress.start(jobs, inputBytes);
        Path scratch = dir.resolve(SCRATCH);
        Map<ExtractionPlan.Step, Factors> factors;
        try (FileChannel ch = FileChannel.open(scratch, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            factors = decomposeAll(plan, streams, kernels, workers, ch, progress);
            assemble(plan, dir, streams, kernels, ch, factors, progress);
        } catch (IOException e) {
            throw new OutputWriteException(scratch, -1, scratch + ": cannot write the factors (" + e.getMessage() + ")", e);
        }
        progress.finish();
        try {
            Files.delete(scratch);
            Map<String, Integer> ranks = new LinkedHashMap<>();
            TreeSet<String> targets = new TreeSet<>();
            List<Decomposed> decomposed = new ArrayList<>();
            int whole = 0;
            for (ExtractionPlan.Step s : steps) {
                if (s.action() == ExtractionPlan.Action.FULL_RANK) whole++;
                if (s.action() != ExtractionPlan.Action.DECOMPOSE) continue;
                Factors f = factors.get(s);
                ranks.put(s.module().name(), f.rank());
                targets.add(s.module().key());
                decomposed.add(new Decomposed(s.module().name(), f.rank(), f.relativeError(), f.deltaNorm(),
                        f.energyKept()));
            }
            Files.writeString(dir.resolve("adapter_config.json"), AdapterConfig.render(
                    plan.base().ref().model().path(), List.copyOf(targets), plan.modulesToSave(), ranks));
            Files.writeString(dir.resolve("README.md"), AdapterCard.render(target.getFileName().toString(),
                    plan.base().ref(), plan.ft().ref(), invocation, plan.baseVocab(), plan.ftVocab()));
            return new Result(dir.resolve(ADAPTER_FILE), decomposed, whole);
        } catch (IOException e) {
            throw new OutputWriteException(dir, -1, dir + ": cannot write the adapter files (" + e.getMessage() + ")", e);
        }
    }

    /** Phase one: every decomposed module factorised, its factors appended to the scratch file. */
    private static Map<ExtractionPlan.Step, Factors> decomposeAll(ExtractionPlan plan, TensorStreams streams,
                                                                   Kernels kernels, int workers, FileChannel scratch,
                                                                   Progress progress) {
        List<ExtractionPlan.Step> order = new ArrayList<>();
        for (ExtractionPlan.Step s : plan.steps()) if (s.action() == ExtractionPlan.Action.DECOMPOSE) order.add(s);
        // largest first, so the last to start are small and the workers finish together
        order.sort(Comparator.comparingLong((ExtractionPlan.Step s) -> s.module().rows() * s.module().cols()).reversed());
        AtomicLong end = new AtomicLong();
        Map<ExtractionPlan.Step, Factors> done = new java.util.concurrent.ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "jmerge-extract");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (ExtractionPlan.Step s : order) {
                futures.add(pool.submit(() -> {
                    done.put(s, decompose(plan, s, streams, kernels, scratch, end));
                    progress.tensorDone(ExtractEstimate.inputBytes(plan, s));
                }));
            }
            Futures.awaitAll(futures, "extraction");
        } finally {
            pool.shutdownNow();
        }
        return done;
    }

    private static Factors decompose(ExtractionPlan plan, ExtractionPlan.Step s, TensorStreams streams,
                                     Kernels kernels, FileChannel scratch, AtomicLong end) {
        Module m = s.module();
        ExtractOptions o = plan.options();
        DeltaRows delta = new DeltaRows(streams.open(plan.ft(), m.ftWeight()), streams.open(plan.base(), s.baseWeight()),
                m.rows(), m.cols(), kernels);
        Factorization f;
        try {
            f = TruncatedSvd.compute(delta, s.rank(), o.svd().withSeed(seed(o.svd().seed(), m.name())));
        } catch (ArithmeticException e) {
            throw new MergeException("tensor '" + m.weight() + "': cannot decompose the difference from the base ("
                    + e.getMessage() + ")", e);
        } finally {
            delta.finish();
        }
        LoraFactors lf = LoraFactors.of(f, s.transposed(), o.distributeScale(), o.svEpsilon());
        double norm = Math.sqrt(f.normSquared());
        double kept = 0;
        for (int i = 0; i < lf.rank(); i++) kept += f.s()[i] * f.s()[i];
        double rel = norm == 0 ? 0 : Math.sqrt(Math.max(0, f.normSquared() - kept)) / norm;

        ByteBuffer a = encode(kernels, lf.a(), s.factorDtype());
        ByteBuffer b = encode(kernels, lf.b(), s.factorDtype());
        ByteBuffer bias = m.ftBias() == null ? ByteBuffer.allocate(0) : biasDelta(plan, s, streams, kernels);
        long aBytes = a.remaining(), bBytes = b.remaining(), biasBytes = bias.remaining();
        long aAt = append(scratch, a, end), bAt = append(scratch, b, end), biasAt = append(scratch, bias, end);
        double energy = norm == 0 ? 1 : Math.min(1, kept / f.normSquared());
        return new Factors(lf.rank(), aAt, aBytes, bAt, bBytes, biasAt, biasBytes, rel, norm, energy);
    }

    /** The bias change {@code fine-tune − base}, saved as {@code lora_B.bias}. */
    private static ByteBuffer biasDelta(ExtractionPlan plan, ExtractionPlan.Step s, TensorStreams streams, Kernels kernels) {
        int n = Math.toIntExact(plan.ft().info(s.module().ftBias()).numel());
        float[] ft = new float[n], base = new float[n];
        TensorStreams.Stream a = streams.open(plan.ft(), s.module().ftBias());
        TensorStreams.Stream b = streams.open(plan.base(), s.baseBias());
        a.read(0, ft, 0, n);
        b.read(0, base, 0, n);
        a.finish();
        b.finish();
        kernels.sub(ft, base, ft, n);
        return encode(kernels, ft, s.factorDtype());
    }

    private static ByteBuffer encode(Kernels k, float[] values, dev.jmerge.tensor.DType type) {
        ByteBuffer bb = ByteBuffer.allocateDirect(Math.toIntExact((long) values.length * type.byteSize()))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        k.fromFloat(values, 0, java.lang.foreign.MemorySegment.ofBuffer(bb), 0, type, values.length);
        return bb;
    }

    private static long append(FileChannel ch, ByteBuffer bytes, AtomicLong end) {
        long at = end.getAndAdd(bytes.remaining());
        long pos = at;
        try {
            while (bytes.hasRemaining()) pos += ch.write(bytes, pos);
        } catch (IOException e) {
            throw new OutputWriteException(null, at + bytes.limit(), "cannot write the factors' scratch file at byte " + pos
                    + " (" + e.getMessage() + ")", e);
        }
        return at;
    }

    /** Phase two: adapter_model.safetensors laid out with the final ranks and filled in plan order. */
    private static void assemble(ExtractionPlan plan, Path dir, TensorStreams streams, Kernels kernels,
                                 FileChannel scratch, Map<ExtractionPlan.Step, Factors> factors, Progress progress)
            throws IOException {
        List<AdapterLayout.Piece> pieces = AdapterLayout.pieces(plan, s -> factors.get(s).rank());
        try (AdapterLayout.Writer w = AdapterLayout.create(dir.resolve(ADAPTER_FILE), pieces)) {
            for (AdapterLayout.Piece p : pieces) {
                Factors f = p.step().action() == ExtractionPlan.Action.DECOMPOSE ? factors.get(p.step()) : null;
                switch (p.part()) {
                    case A -> w.copy(p, scratch, f.aOffset(), f.aBytes());
                    case B -> w.copy(p, scratch, f.bOffset(), f.bBytes());
                    case BIAS_DELTA -> w.copy(p, scratch, f.biasOffset(), f.biasBytes());
                    case WEIGHT -> {
                        w.copyTensor(p, plan.ft(), p.source(), streams, kernels);
                        progress.tensorDone(ExtractEstimate.inputBytes(plan, p.step()));
                    }
                    case BIAS -> w.copyTensor(p, plan.ft(), p.source(), streams, kernels);
                }
            }
            w.finish();
        }
    }

    /** Hub models were planned from their headers: download the weight files the extraction reads. */
    private static void fetchInputs(ExtractionPlan plan) {
        java.util.Set<Path> ft = new LinkedHashSet<>(), base = new LinkedHashSet<>();
        for (ExtractionPlan.Step s : plan.steps()) {
            if (s.action() == ExtractionPlan.Action.LEFT_OUT) continue;
            ft.add(plan.ft().weights().fileOf(s.module().ftWeight()));
            if (s.module().ftBias() != null) ft.add(plan.ft().weights().fileOf(s.module().ftBias()));
            if (s.action() == ExtractionPlan.Action.DECOMPOSE) {
                base.add(plan.base().weights().fileOf(s.baseWeight()));
                if (s.baseBias() != null) base.add(plan.base().weights().fileOf(s.baseBias()));
            }
        }
        plan.ft().weights().fetch(ft);
        plan.base().weights().fetch(base);
    }

    /** A module's own sketch seed: the run's seed mixed with its name (splitmix64 finaliser per byte). */
    static long seed(long seed, String module) {
        long h = seed;
        for (byte c : module.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h += 0x9E3779B97F4A7C15L ^ (c & 0xFF);
            h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
            h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
            h ^= h >>> 31;
        }
        return h;
    }
}
