package dev.jmerge.kernels.panama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.tensor.DType;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a warm-up converts: only the plan's tile dtypes, each once per process. */
class WarmupTest {

    @Test
    void aFirstWarmUpConvertsOnlyThePlansTileDtypes() {
        assertThat(Warmup.conversions(EnumSet.of(DType.BF16), null)).containsExactly(DType.BF16);
        assertThat(Warmup.conversions(EnumSet.of(DType.F16, DType.F32, DType.I64), null))
                .containsExactlyInAnyOrder(DType.F16, DType.F32);
    }

    @Test
    void aPlanWithNoTileDtypeStillWarmsTheKernelsOnce() {
        assertThat(Warmup.conversions(Set.of(), null)).isEmpty();
        assertThat(Warmup.conversions(Set.of(), EnumSet.noneOf(DType.class))).isNull();
    }

    @Test
    void aLaterPlanWarmsOnlyTheDtypesNotWarmedYet() {
        assertThat(Warmup.conversions(EnumSet.of(DType.BF16), EnumSet.of(DType.BF16))).isNull();
        assertThat(Warmup.conversions(EnumSet.of(DType.BF16, DType.F16), EnumSet.of(DType.BF16)))
                .containsExactly(DType.F16);
    }
}
