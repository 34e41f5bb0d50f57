package dev.jmerge.methods;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.kernels.KernelUse;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.ScalarKernels;
import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A method warms up only the kernels it declares ({@link MergeMethod#kernelUse}): each one here runs on the
 * scalar kernels behind a proxy that records the calls, and every warmable kernel it called must be declared.
 */
class KernelUseTest {

    private static final long[] SHAPE = {33, 20};

    @Test
    void linearDeclaresWhatItCalls() {
        check(new Linear(), inputs(3), -1, Params.of("normalize", true),
                Params.of("weight", 0.5), Params.of("weight", 0.3), Params.of("weight", 0.2));
    }

    @Test
    void taskArithmeticDeclaresWhatItCalls() {
        for (DType stored : new DType[] {null, DType.BF16}) {
            check(new TaskArithmetic(), inputs(3), 0, stored, Params.empty(), Params.empty(),
                    Params.of("weight", 0.6), Params.of("weight", 0.4));
        }
    }

    @Test
    void modelStockDeclaresWhatItCalls() {
        for (boolean rows : new boolean[] {false, true}) {
            check(new ModelStock(), inputs(4), 0, Params.of("filter_wise", rows),
                    Params.empty(), Params.empty(), Params.empty(), Params.empty());
        }
    }

    @Test
    void slerpDeclaresWhatItCalls() {
        check(new Slerp(), inputs(2), 0, Params.of("t", 0.3), Params.empty(), Params.empty());
    }

    @Test
    void nuslerpDeclaresWhatItCalls() {
        for (boolean flatten : new boolean[] {false, true}) {
            Params g = Params.of("nuslerp_flatten", flatten, "nuslerp_row_wise", false);
            check(new NuSlerp(), inputs(2), -1, g, Params.of("weight", 0.3), Params.of("weight", 0.7));
            check(new NuSlerp(), inputs(3), 1, g, Params.of("weight", 0.3), Params.empty(), Params.of("weight", 0.7));
        }
    }

    @Test
    void karcherDeclaresWhatItCalls() {
        check(new Karcher(), inputs(3), -1, Params.of("max_iter", 10, "tol", 1e-5),
                Params.empty(), Params.empty(), Params.empty());
    }

    @Test
    void everyWarmableKernelIsNamedAfterAKernelsMethod() {
        for (KernelUse k : KernelUse.values()) {
            assertThat(java.util.Arrays.stream(Kernels.class.getMethods()).map(m -> use(m.getName())))
                    .as(k.name()).contains(k);
        }
    }

    private static void check(MergeMethod method, float[][] x, int base, Params global, Params... perModel) {
        check(method, x, base, null, global, perModel);
    }

    /** With {@code stored} not null the inputs (rounded to it) are offered as stored bytes too. */
    private static void check(MergeMethod method, float[][] x, int base, DType stored, Params global,
                              Params... perModel) {
        Set<KernelUse> called = EnumSet.noneOf(KernelUse.class);
        ScalarKernels real = new ScalarKernels();
        Kernels recording = (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(),
                new Class<?>[] {Kernels.class}, (proxy, m, args) -> {
                    KernelUse u = use(m.getName());
                    if (u != null) called.add(u);
                    try {
                        return m.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        ArrayInput in = new ArrayInput("t", SHAPE, x, base, global, perModel).chunk(64).kernels(recording);
        if (stored != null) {
            for (float[] v : x) real.toFloat(encoded(v, stored), 0, stored, v, 0, v.length);
            in.stored(stored);
        }
        in.run(method);
        assertThat(called).as(method.name() + " " + global).isNotEmpty();
        assertThat(method.kernelUse(global)).as(method.name() + " " + global).containsAll(called);
    }

    private static MemorySegment encoded(float[] v, DType type) {
        MemorySegment s = MemorySegment.ofArray(new byte[v.length * type.byteSize()]);
        new ScalarKernels().fromFloat(v, 0, s, 0, type, v.length);
        return s;
    }

    /** {@code sumSquares} → {@code SUM_SQUARES}; null for a kernel that is not warmed by name. */
    private static KernelUse use(String method) {
        String constant = method.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
        for (KernelUse k : KernelUse.values()) if (k.name().equals(constant)) return k;
        return null;
    }

    private static float[][] inputs(int n) {
        Random r = new Random(11);
        float[][] x = new float[n][(int) (SHAPE[0] * SHAPE[1])];
        for (float[] v : x) for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return x;
    }
}
