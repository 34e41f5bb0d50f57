package dev.jmerge.bench;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.ScalarKernels;
import dev.jmerge.methods.MergeInput;
import dev.jmerge.methods.MergeMethod;
import dev.jmerge.methods.MethodRegistry;
import dev.jmerge.methods.ParamSpec;
import dev.jmerge.methods.Params;
import dev.jmerge.methods.TensorOutput;
import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Each benchmarked merge method on one 1024×4096 tensor held in memory as bf16 (a base and three fine-tunes made
 * like the benchmark's models: the base plus 5% noise), decoded, merged and encoded to bf16 on one thread with the
 * merge's own tile size: the score is output elements per second (input elements per second are that times the
 * number of inputs). The parameters are those of {@code jmerge bench}. {@code impl} runs the scalar kernels or
 * the Vector API ones; the methods' own loops are the same code for both. File I/O, page faults and threads are
 * left out: {@code jmerge bench} measures those. See docs/kernels.md for how to run it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-XX:+UseSerialGC"})
public class MethodsBench {

    private static final long ROWS = 1024;
    private static final long COLS = 4096;
    private static final int N = (int) (ROWS * COLS);
    private static final int CHUNK = 1 << 16;

    @Param({"linear", "task_arithmetic", "model_stock", "slerp", "nuslerp", "ties", "dare_ties", "breadcrumbs", "della",
            "sce"})
    public String method;

    @Param({"scalar", "panama"})
    public String impl;

    private MergeMethod merge;
    private Input input;
    private TensorOutput output;

    @Setup
    public void setup() throws ReflectiveOperationException {
        Kernels k = BenchKernels.named(impl);
        merge = MethodRegistry.find(method).orElseThrow();
        int inputs = switch (method) {
            case "slerp" -> 2;
            case "nuslerp" -> 3;
            default -> 4;
        };
        Arena arena = Arena.ofAuto();
        SplittableRandom r = new SplittableRandom(4242);
        float[] base = new float[N], x = new float[N];
        for (int i = 0; i < N; i++) base[i] = (float) (0.02 * r.nextGaussian());
        MemorySegment[] data = new MemorySegment[inputs];
        for (int m = 0; m < inputs; m++) {
            for (int i = 0; i < N; i++) x[i] = m == 0 ? base[i] : (float) (base[i] + 0.05 * 0.02 * r.nextGaussian());
            data[m] = arena.allocate(2L * N, 64);
            new ScalarKernels().fromFloat(x, 0, data[m], 0, DType.BF16, N);
        }
        input = new Input(merge, data, k, arena);
        MemorySegment out = arena.allocate(2L * N, 64);
        output = (offset, src, srcOff, len) -> k.fromFloat(src, srcOff, out, 2 * offset, DType.BF16, len);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void merge() {
        input.reset();
        merge.merge(input, output);
    }

    /** The tensor's inputs as a merge sees them: input 0 is the base (slerp interpolates base and input 1). */
    private static final class Input implements MergeInput {
        private final MemorySegment[] data;
        private final Kernels kernels;
        private final Params global;
        private final Params[] perModel;
        private final boolean hasBase;
        private final List<float[]> tiles = new ArrayList<>();
        private final MemorySegment scratch;
        private int lent;

        Input(MergeMethod method, MemorySegment[] data, Kernels kernels, Arena arena) {
            this.data = data;
            this.kernels = kernels;
            String name = method.name();
            this.hasBase = !name.equals("linear");
            this.global = params(method.globalParameters(), switch (name) {
                case "task_arithmetic" -> Map.of("lambda", 0.9);
                case "slerp" -> Map.of("t", 0.5);
                case "sce" -> Map.of("select_topk", 0.5);
                default -> Map.of();
            });
            double[] weights = switch (name) {
                case "linear" -> new double[] {0.4, 0.3, 0.2, 0.1};
                case "nuslerp" -> new double[] {0, 0.6, 0.4};
                default -> new double[] {0, 0.5, 0.3, 0.2};
            };
            perModel = new Params[data.length];
            for (int m = 0; m < data.length; m++) {
                Map<String, Double> set = new LinkedHashMap<>();
                if (m < weights.length && (m > 0 || !hasBase)) set.put("weight", weights[m]);
                if (m > 0 && List.of("ties", "dare_ties", "breadcrumbs", "della").contains(name)) set.put("density", 0.5);
                if (m > 0 && name.equals("della")) set.put("epsilon", 0.1);
                perModel[m] = m == 0 && hasBase ? Params.empty() : params(method.modelParameters(), set);
            }
            long scratchBytes = method.scratchBytes(N, global, List.of(perModel));
            this.scratch = arena.allocate(Math.max(1, scratchBytes), Long.BYTES);
        }

        /** Defaults first, then the values set, as the planner resolves them. */
        private static Params params(List<ParamSpec> specs, Map<String, Double> set) {
            Map<String, Double> p = new LinkedHashMap<>();
            for (ParamSpec s : specs) if (s.defaultValue() != null) p.put(s.name(), s.defaultValue());
            p.putAll(set);
            return new Params(p);
        }

        void reset() { lent = 0; }

        @Override public String tensorName() { return "model.layers.0.mlp.up_proj.weight"; }
        @Override public Shape shape() { return Shape.of(ROWS, COLS); }
        @Override public int count() { return data.length; }
        @Override public int baseIndex() { return hasBase ? 0 : -1; }
        @Override public Params global() { return global; }
        @Override public Params model(int i) { return perModel[i]; }

        @Override
        public void read(int i, long offset, float[] dst, int dstOff, int len) {
            kernels.toFloat(data[i], 2 * offset, DType.BF16, dst, dstOff, len);
        }

        /** As the executor offers mapped inputs. */
        @Override public DType storedType(int i) { return DType.BF16; }

        @Override
        public MemorySegment storedBytes(int i, long offset, int len) { return data[i].asSlice(2 * offset, 2L * len); }

        @Override public Kernels kernels() { return kernels; }
        @Override public int chunkSize() { return CHUNK; }

        @Override
        public float[][] tiles(int count, int length) {
            float[][] out = new float[count][];
            for (int i = 0; i < count; i++, lent++) {
                if (lent == tiles.size()) tiles.add(new float[length]);
                else if (tiles.get(lent).length < length) tiles.set(lent, new float[length]);
                out[i] = tiles.get(lent);
            }
            return out;
        }

        @Override public long seed() { return 1; }
        @Override public void warn(String message) {}

        @Override
        public Scratch scratch(long bytes) {
            return new Scratch() {
                @Override public MemorySegment segment() { return scratch.asSlice(0, bytes); }
                @Override public void close() {}
            };
        }
    }
}
