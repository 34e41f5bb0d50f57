package dev.jmerge.methods;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class SceTest {

    static List<Object[]> cases() {
        List<Object[]> l = new java.util.ArrayList<>();
        for (long[] shape : TaskArithmeticFamilyTest.SHAPES) {
            for (double topk : new double[] {1.0, 0.5, 0.13, 0.0}) l.add(new Object[] {shape, topk});
        }
        return l;
    }

    /** Inputs where some elements are equal in every model (zero variance) and deltas take few values. */
    private static float[][] inputs(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] x = new float[4][n];
        for (int i = 0; i < n; i++) x[0][i] = (float) r.nextDouble(-1, 1);
        for (int m = 1; m < 4; m++) {
            for (int i = 0; i < n; i++) {
                x[m][i] = i % 5 == 0 ? x[0][i] : (float) (x[0][i] + r.nextGaussian() * 0.05);
            }
        }
        return x;
    }

    @ParameterizedTest(name = "{0} topk={1}")
    @MethodSource("cases")
    void matchesTheReferenceAndIgnoresTileSize(long[] shape, double topk) {
        int n = TaskArithmeticFamilyTest.numel(shape);
        float[][] x = inputs(n, n + (long) (topk * 100));
        Params g = Params.of("select_topk", topk);
        float[] small = new ArrayInput("s", shape, x, 0, g).chunk(64).run(new Sce());
        float[] big = new ArrayInput("s", shape, x, 0, g).chunk(1 << 20).run(new Sce());
        assertThat(small).containsExactly(big);
        TaskArithmeticFamilyTest.assertClose(big, GtaReference.sce(x[0], new float[][] {x[1], x[2], x[3]}, topk), "sce");
    }

    @Test
    void parametersAndIdentities() {
        Sce sce = new Sce();
        assertThat(sce.modelParameters()).isEmpty();
        assertThat(sce.globalParameters()).extracting(ParamSpec::name).containsExactly("int8_mask", "select_topk");
        assertThat(sce.globalParameters().get(1).defaultValue()).isEqualTo(1.0);
        assertThat(sce.baseModel()).isEqualTo(BaseModelRule.REQUIRED);
        assertThat(sce.isStochastic()).isFalse();
        float[] b = {1, 2, 3};
        float[] x = {2, 2, 5};
        // a single model: weight 1 on its own agreeing elements, so the output is the model
        assertThat(new ArrayInput("one", new long[] {3}, new float[][] {b, x}, 0, Params.empty()).run(sce)).containsExactly(x);
        // ... but with a selection the variance over one model is zero everywhere: nothing is kept
        assertThat(new ArrayInput("one", new long[] {3}, new float[][] {b, x}, 0, Params.of("select_topk", 0.5)).run(sce))
                .containsExactly(b);
    }
}
