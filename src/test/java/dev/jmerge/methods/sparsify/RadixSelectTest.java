package dev.jmerge.methods.sparsify;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Selection against a stable sort, over tie-heavy and tie-free data, signed zeros and odd tile sizes. */
class RadixSelectTest {

    @ParameterizedTest
    @CsvSource({"1,1,false", "7,3,true", "129,64,false", "4099,64,true", "4099,1000,false", "20000,333,true"})
    void cutsAdmitExactlyTheElementsAtOrAboveTheRank(int n, int tile, boolean ties) {
        SplittableRandom r = new SplittableRandom(n * 7L + tile);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = ties ? (r.nextInt(9) - 4) * 0.5f : (float) r.nextGaussian();
            if (ties && r.nextInt(10) == 0) v[i] = -0f;
        }
        for (boolean lowIndexIsGreater : new boolean[] {false, true}) {
            Integer[] asc = new Integer[n];
            for (int i = 0; i < n; i++) asc[i] = i;
            Comparator<Integer> byMag = Comparator.comparingDouble(i -> Math.abs(v[i]));
            Comparator<Integer> order = lowIndexIsGreater
                    ? byMag.thenComparing(Comparator.<Integer>reverseOrder()) : byMag.thenComparing(Comparator.naturalOrder());
            Arrays.sort(asc, order);
            long[] ranks = {0, n / 3, n / 2, n - 1, r.nextInt(n)};
            RadixSelect s = new RadixSelect(n, lowIndexIsGreater, ranks);
            int passes = 0;
            while (s.wantsPass()) {
                for (int off = 0; off < n; off += tile) s.observe(off, v, off, Math.min(tile, n - off));
                s.endPass();
                passes++;
            }
            assertThat(passes).isBetween(2, 3);
            for (int q = 0; q < ranks.length; q++) {
                Cut c = s.cut(q);
                boolean[] above = new boolean[n];
                for (int p = (int) ranks[q]; p < n; p++) above[asc[p]] = true;
                for (int i = 0; i < n; i++) {
                    assertThat(c.admits(Cut.magnitudeBits(v[i]), i)).as("rank %d element %d", ranks[q], i).isEqualTo(above[i]);
                }
            }
        }
    }
}
