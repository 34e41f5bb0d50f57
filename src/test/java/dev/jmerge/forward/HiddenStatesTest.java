package dev.jmerge.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.kernels.KernelsProvider;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The batch layout of the hidden-state API; its values are checked against PyTorch in {@link ForwardFixtureTest}. */
class HiddenStatesTest {

    @Test
    void leftPaddingPutsPadsFirstWithAZeroMask() {
        HiddenStates.Padded p = HiddenStates.leftPad(List.of(new int[] {5, 6, 7}, new int[] {9}), 1);
        assertThat(p.ids()).isDeepEqualTo(new int[][] {{5, 6, 7}, {1, 1, 9}});
        assertThat(p.mask()).isDeepEqualTo(new int[][] {{1, 1, 1}, {0, 0, 1}});
    }

    @Test
    void statesOfALeftPaddedBatchAreThoseOfEachSequenceAlone() {
        try (Transformer m = Transformer.open(Path.of("examples/models/base"), KernelsProvider.get(), 1)) {
            int[] a = {3, 9, 27, 81}, b = {100, 7};
            HiddenStates.Padded p = HiddenStates.leftPad(List.of(a, b), 0);
            for (var pooling : HiddenStates.Pooling.values()) {
                float[][][] both = m.hiddenStates(p.ids(), p.mask(), pooling);
                float[][][] aAlone = m.hiddenStates(new int[][] {a}, new int[][] {{1, 1, 1, 1}}, pooling);
                assertThat(both).hasNumberOfRows(m.config().layers());
                for (int l = 0; l < both.length; l++) {
                    for (int i = 0; i < m.config().hidden(); i++) {
                        assertThat(both[l][0][i]).isEqualTo(aAlone[l][0][i]);
                    }
                }
                // Layer 0's state is the embedding: for LAST, the row of the last token.
                float[][] embedLast = m.hiddenStates(new int[][] {{7}}, new int[][] {{1}}, HiddenStates.Pooling.LAST)[0];
                if (pooling == HiddenStates.Pooling.LAST) assertThat(both[0][1]).containsExactly(embedLast[0]);
            }
        }
    }

    @Test
    void masksThatAreNotLeftPaddingAreRefused() {
        try (Transformer m = Transformer.open(Path.of("examples/models/base"), KernelsProvider.get(), 1)) {
            assertThatThrownBy(() -> m.hiddenStates(new int[][] {{1, 2, 3}}, new int[][] {{1, 0, 1}}, HiddenStates.Pooling.LAST))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not left-padded");
            assertThatThrownBy(() -> m.hiddenStates(new int[][] {{1, 2}}, new int[][] {{0, 0}}, HiddenStates.Pooling.MEAN))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no real token");
        }
    }
}
