package dev.jmerge.methods;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.KernelsProvider;
import dev.jmerge.kernels.ScalarKernels;
import dev.jmerge.tensor.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Methods that decode stored inputs themselves (the task vectors' fused kernels, {@link MergeInput#storedBytes})
 * give the same bits as when every input is read as floats, on both kernel implementations.
 */
class StoredInputTest {

    private static final long SEED = 99;

    static Stream<Arguments> cases() {
        List<Arguments> l = new ArrayList<>();
        for (String method : List.of("task_arithmetic", "ties", "dare_ties", "breadcrumbs", "breadcrumbs_ties", "della",
                "della_linear", "sce")) {
            for (DType t : new DType[] {DType.BF16, DType.F32}) {
                for (boolean ties : new boolean[] {false, true}) {
                    for (boolean rescale : new boolean[] {false, true}) l.add(Arguments.of(method, t, ties, rescale));
                }
            }
        }
        return l.stream();
    }

    @ParameterizedTest(name = "{0} {1} ties={2} rescale={3}")
    @MethodSource("cases")
    void storedBytesGiveTheSameBits(String method, DType type, boolean ties, boolean rescale) {
        long[] shape = {37, 129};
        int n = 37 * 129;
        float[][] x = TaskArithmeticFamilyTest.inputs(n, ties, n * 7L + (ties ? 1 : 0));
        for (float[] v : x) {
            for (int i = 0; i < n; i++) {
                v[i] = ScalarKernels.bf16ToFloat(ScalarKernels.floatToBf16(v[i]));
                if (i % 97 == 5) v[i] = i % 2 == 0 ? Float.NaN : Float.NEGATIVE_INFINITY;
            }
        }
        boolean sce = method.equals("sce");
        Params global = sce ? Params.of("select_topk", 0.4) : rescale ? Params.of("rescale", true) : Params.empty();
        Params[] per = sce ? new Params[] {Params.empty(), Params.empty(), Params.empty(), Params.empty()}
                : TaskArithmeticFamilyTest.perModel(method, new double[] {0.7, 0.4, 0.55});
        for (Kernels k : new Kernels[] {new ScalarKernels(), KernelsProvider.get()}) {
            float[] want = input(shape, x, global, per, k).run(method(method));
            ArrayInput in = input(shape, x, global, per, k).stored(type);
            float[] got = in.run(method(method));
            assertThat(got).as("%s %s", k.name(), type).containsExactly(want);
            assertThat(in.storedReads).as("reads of stored bytes").isPositive();
        }
    }

    private static ArrayInput input(long[] shape, float[][] x, Params global, Params[] per, Kernels k) {
        return new ArrayInput("t.stored", shape, x, 0, global, per).chunk(1000).seed(SEED).kernels(k);
    }

    private static MergeMethod method(String name) {
        return name.equals("sce") ? new Sce() : TaskArithmeticFamilyTest.method(name);
    }
}
