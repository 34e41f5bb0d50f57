package dev.jmerge.bench;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine's float32 fused multiply-add peak on one thread, measured rather than taken from a data sheet:
 * ten independent accumulator chains of {@code FloatVector.fma} at the preferred width (more chains than FMA
 * latency × pipes on current x86 and ARM cores), nothing loaded from memory. {@code flops} counts 2 per lane
 * per FMA.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class FmaPeakBench {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int STEPS = 4096;
    private static final int CHAINS = 10;

    private float a = 0.999f;
    private float b = 1e-3f;

    @Benchmark
    public float fma(FlopCounter counter) {
        FloatVector va = FloatVector.broadcast(S, a), vb = FloatVector.broadcast(S, b);
        FloatVector c0 = vb, c1 = vb.add(1), c2 = vb.add(2), c3 = vb.add(3), c4 = vb.add(4);
        FloatVector c5 = vb.add(5), c6 = vb.add(6), c7 = vb.add(7), c8 = vb.add(8), c9 = vb.add(9);
        for (int i = 0; i < STEPS; i++) {
            c0 = c0.fma(va, vb);
            c1 = c1.fma(va, vb);
            c2 = c2.fma(va, vb);
            c3 = c3.fma(va, vb);
            c4 = c4.fma(va, vb);
            c5 = c5.fma(va, vb);
            c6 = c6.fma(va, vb);
            c7 = c7.fma(va, vb);
            c8 = c8.fma(va, vb);
            c9 = c9.fma(va, vb);
        }
        counter.flops += 2L * S.length() * CHAINS * STEPS;
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).reduceLanes(
                jdk.incubator.vector.VectorOperators.ADD);
    }
}
