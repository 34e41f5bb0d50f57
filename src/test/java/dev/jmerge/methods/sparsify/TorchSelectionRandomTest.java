package dev.jmerge.methods.sparsify;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.KernelsProvider;
import dev.jmerge.kernels.ScalarKernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The production selection (radix passes, then {@link TorchOrder} following only the ranges that hold a cut,
 * block-wise partitions, tie slots) against the plain full sort of {@link LibstdcxxSort}, on tie-heavy data:
 * few levels, bf16 task-vector magnitudes, zeros, NaN and infinity, sorted and reversed runs. The depth limit
 * is also forced low so both sides run their heap fallbacks.
 */
class TorchSelectionRandomTest {

    private static final int CASES = 1500;

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "run"})
    void keepsWhatTheFullSortKeeps(String impl) {
        Kernels kernels = impl.equals("scalar") ? new ScalarKernels() : KernelsProvider.get();
        SplittableRandom r = new SplittableRandom(20240611);
        int replayed = 0, heap = 0;
        for (int c = 0; c < CASES; c++) {
            int n = c % 100 == 99 ? 20_000 + r.nextInt(50_000) : r.nextInt(c % 3 == 0 ? 40 : 3000);
            float[] x = data(r, n);
            int depth = c % 7 == 0 ? r.nextInt(4) : -1; // tiny limits reach the heap sort / heap select
            if (depth >= 0) heap++;
            int tile = 1 + r.nextInt(Math.max(1, n));
            switch (c % 3) {
                case 0 -> { // TIES: argsort descending, first k
                    int k = n == 0 ? 0 : 1 + r.nextInt(n);
                    int[] order = LibstdcxxSort.argsort(x, true, depth);
                    TorchSelection s = TorchSelection.sort(n, true, 0, k, true, Selections.scratch(n, kernels)).depthLimit(depth);
                    assertThat(Selections.kept(s, x, tile)).as("case %d: n %d, top %d", c, n, k)
                            .isEqualTo(Selections.slice(order, n, 0, k));
                    replayed += s.replayed() ? 1 : 0;
                }
                case 1 -> { // breadcrumbs: sort ascending, [bot, upper)
                    int a = r.nextInt(n + 1), b = r.nextInt(n + 1);
                    int from = Math.min(a, b), to = Math.max(a, b);
                    int[] order = LibstdcxxSort.argsort(x, false, depth);
                    TorchSelection s = TorchSelection.sort(n, false, from, to, true, Selections.scratch(n, kernels)).depthLimit(depth);
                    assertThat(Selections.kept(s, x, tile)).as("case %d: n %d, [%d, %d)", c, n, from, to)
                            .isEqualTo(Selections.slice(order, n, from, to));
                    replayed += s.replayed() ? 1 : 0;
                }
                default -> { // SCE: topk largest, both of torch's paths
                    int k = n == 0 ? 0 : r.nextBoolean() ? 1 + r.nextInt(Math.max(1, n / 64)) : 1 + r.nextInt(n);
                    int[] top = LibstdcxxSort.topk(x, k, true, r.nextBoolean(), depth);
                    TorchSelection s = TorchSelection.topk(n, nonzero -> k, Selections.scratch(n, kernels)).depthLimit(depth);
                    boolean[] want = new boolean[n];
                    for (int i : top) want[i] = true;
                    assertThat(Selections.kept(s, x, tile)).as("case %d: n %d, topk %d", c, n, k).isEqualTo(want);
                    replayed += s.replayed() ? 1 : 0;
                }
            }
        }
        // most cases must have had equal magnitudes straddling a cut, or this test proves little
        assertThat(replayed).isGreaterThan(CASES / 2);
        assertThat(heap).isGreaterThan(CASES / 10);
    }

    /** Tie-heavy non-negative data of one of several shapes. */
    static float[] data(SplittableRandom r, int n) {
        float[] x = new float[n];
        int kind = r.nextInt(7);
        int levels = 1 + r.nextInt(r.nextBoolean() ? 3 : 50);
        for (int i = 0; i < n; i++) {
            x[i] = switch (kind) {
                case 0 -> r.nextInt(levels) * 0.25f;
                case 1, 2 -> bf16Delta(r);
                case 3 -> switch (r.nextInt(8)) { // specials among few levels
                    case 0 -> Float.NaN;
                    case 1 -> Float.POSITIVE_INFINITY;
                    case 2 -> 0f;
                    default -> r.nextInt(levels);
                };
                case 4 -> (float) r.nextGaussian() * (float) r.nextGaussian() > 0 ? 1f : r.nextInt(levels); // heavy runs
                case 5 -> (i * levels / Math.max(1, n)) * 0.5f; // sorted runs
                default -> ((n - i) * levels / Math.max(1, n)) * 0.5f; // reversed runs
            };
        }
        return x;
    }

    /** |bf16(b + e) − bf16(b)| in float32, as a bf16 fine-tune's task vector is. */
    static float bf16Delta(SplittableRandom r) {
        float b = bf16((float) (r.nextGaussian() * 0.02));
        float f = bf16(b + (float) (r.nextGaussian() * 0.001));
        return Math.abs(f - b);
    }

    static float bf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        bits += 0x7FFF + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(bits & 0xFFFF_0000);
    }
}
