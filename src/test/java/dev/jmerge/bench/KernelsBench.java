package dev.jmerge.bench;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.ScalarKernels;
import dev.jmerge.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The hot loops of a merge over one 64K-float tile, scalar reference against the Vector API kernels.
 * Read the ratios, not the absolute numbers (see docs/kernels.md for how to run it).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelsBench {

    private static final int N = 64 * 1024;

    @Param({"scalar", "panama"})
    public String impl;

    private Kernels k;
    private float[] x;
    private float[] y;
    private float[] out;
    /** Off-heap, like a mapped safetensors file. */
    private MemorySegment bf16;
    private MemorySegment f16;
    private MemorySegment sink;

    @Setup
    public void setup() throws ReflectiveOperationException {
        k = BenchKernels.named(impl);
        SplittableRandom r = new SplittableRandom(42);
        x = new float[N];
        y = new float[N];
        out = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] = (float) (r.nextGaussian() * 0.02);
            y[i] = (float) (r.nextGaussian() * 0.02);
        }
        Arena arena = Arena.ofAuto();
        bf16 = arena.allocate(2L * N, 64);
        f16 = arena.allocate(2L * N, 64);
        sink = arena.allocate(2L * N, 64);
        new ScalarKernels().fromFloat(x, 0, bf16, 0, DType.BF16, N);
        new ScalarKernels().fromFloat(x, 0, f16, 0, DType.F16, N);
    }

    @Benchmark
    public float[] decodeBf16() {
        k.toFloat(bf16, 0, DType.BF16, out, 0, N);
        return out;
    }

    @Benchmark
    public MemorySegment encodeBf16() {
        k.fromFloat(x, 0, sink, 0, DType.BF16, N);
        return sink;
    }

    @Benchmark
    public float[] decodeF16() {
        k.toFloat(f16, 0, DType.F16, out, 0, N);
        return out;
    }

    @Benchmark
    public MemorySegment encodeF16() {
        k.fromFloat(x, 0, sink, 0, DType.F16, N);
        return sink;
    }

    @Benchmark
    public float[] axpy() {
        // Alternating signs keep y bounded however many times the benchmark runs.
        k.axpy(0.5f, x, y, N);
        k.axpy(-0.5f, x, y, N);
        return y;
    }

    @Benchmark
    public double dot() {
        return k.dot(x, y, N);
    }
}
