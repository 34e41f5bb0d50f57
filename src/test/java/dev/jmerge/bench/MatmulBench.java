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
 * The forward pass's matrix product on one thread: {@code rows} float32 activation rows times a 2048×2048
 * bfloat16 weight (a linear layer of the benchmark model). The {@code flops} counter is floating-point operations
 * per second (2 per multiply-add); compare it with {@link FmaPeakBench}'s on the same machine (docs/kernels.md).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatmulBench {

    private static final int K = 2048;
    private static final int N = 2048;

    @Param({"panama"})
    public String impl;

    @Param({"512", "2048"})
    public int rows;

    private Kernels k;
    private float[] x;
    private float[] y;
    private MemorySegment w;

    @Setup
    public void setup() throws ReflectiveOperationException {
        k = BenchKernels.named(impl);
        SplittableRandom r = new SplittableRandom(1);
        x = new float[rows * K];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        y = new float[rows * N];
        float[] wf = new float[N * K];
        for (int i = 0; i < wf.length; i++) wf[i] = (float) (r.nextGaussian() / Math.sqrt(K));
        w = Arena.ofAuto().allocate((long) N * K * 2, 64);
        new ScalarKernels().fromFloat(wf, 0, w, 0, DType.BF16, wf.length);
    }

    @Benchmark
    public float[] matmul(FlopCounter counter) {
        k.matmul(x, rows, K, w, 0, DType.BF16, N, y, 0, N);
        counter.flops += 2L * rows * K * N;
        return y;
    }
}
