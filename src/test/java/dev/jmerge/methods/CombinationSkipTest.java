package dev.jmerge.methods;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Combination#write} leaves out a vector whose coefficient is 0 only where that changes no bit: the
 * output is compared bit for bit with the write that reads every vector, with signed zeros and non-finite values
 * among the inputs.
 */
class CombinationSkipTest {

    private static final int N = 300;

    @Test
    void aZeroCoefficientSkipsAFiniteVectorWithoutChangingABit() {
        float[][] x = inputs(3, false);
        for (int base : new int[] {-1, 0}) {
            int[] idx = base < 0 ? new int[] {0, 1, 2} : new int[] {1, 2};
            for (double[] c : base < 0
                    ? new double[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {-0.0, 0.7, 1e-50}, {0, 0, 0}}
                    : new double[][] {{1, 0}, {0, 1}, {-0.0, 0.3}, {0, 0}}) {
                assertSameBits(x, idx, base, c);
            }
        }
    }

    @Test
    void aVectorWithNonFiniteValuesIsStillRead() {
        float[][] x = inputs(2, true);
        assertSameBits(x, new int[] {0, 1}, -1, new double[] {1, 0});
        float[] out = write(x, new int[] {0, 1}, -1, new double[] {1, 0}, true);
        assertThat(Float.isNaN(out[7])).as("0·inf is NaN").isTrue();
    }

    private static void assertSameBits(float[][] x, int[] idx, int base, double[] c) {
        float[] all = write(x, idx, base, c, false);
        float[] skipping = write(x, idx, base, c, true);
        for (int i = 0; i < N; i++) {
            assertThat(Float.floatToRawIntBits(skipping[i])).as("element %d, coefficients %s", i,
                    java.util.Arrays.toString(c)).isEqualTo(Float.floatToRawIntBits(all[i]));
        }
    }

    private static float[] write(float[][] x, int[] idx, int base, double[] c, boolean withGram) {
        float[] out = new float[N];
        ArrayInput in = new ArrayInput("t", new long[] {N}, x, base, Params.empty()).chunk(64);
        MergeMethod m = new MergeMethod() {
            @Override public String name() { return "combination"; }
            @Override public String prettyName() { return name(); }
            @Override public String reference() { return null; }
            @Override public BaseModelRule baseModel() { return BaseModelRule.IGNORED; }
            @Override public java.util.List<ParamSpec> globalParameters() { return java.util.List.of(); }
            @Override public java.util.List<ParamSpec> modelParameters() { return java.util.List.of(); }

            @Override
            public void merge(MergeInput input, TensorOutput o) {
                double[][] g = withGram ? Combination.gram(input, idx, base) : null;
                Combination.write(input, o, idx, base, c, g);
            }
        };
        float[] result = in.run(m);
        System.arraycopy(result, 0, out, 0, N);
        return out;
    }

    /** Gaussian values with signed zeros in every input, and an infinity in the last one when asked. */
    private static float[][] inputs(int n, boolean infinite) {
        Random r = new Random(5);
        float[][] x = new float[n][N];
        for (float[] v : x) {
            for (int i = 0; i < N; i++) v[i] = (float) r.nextGaussian();
            v[3] = -0f;
            v[4] = 0f;
        }
        for (int i = 0; i < n; i++) x[i][10 + i] = -0f;
        if (infinite) x[n - 1][7] = Float.POSITIVE_INFINITY;
        return x;
    }
}
