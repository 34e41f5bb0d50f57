package dev.jmerge.kernels.panama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The width knob; the arithmetic itself is compared with the reference in {@code KernelsTest}. */
class PanamaKernelsTest {

    @BeforeAll
    static void needsTheModule() {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
    }

    @Test
    void widthDefaultsToThePreferredSpeciesAndNeverExceedsIt() {
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        assertThat(PanamaKernels.vectorBits(null)).isEqualTo(preferred);
        assertThat(PanamaKernels.vectorBits(" ")).isEqualTo(preferred);
        assertThat(PanamaKernels.vectorBits("128")).isEqualTo(Math.min(128, preferred));
        assertThat(PanamaKernels.vectorBits(" 256 ")).isEqualTo(Math.min(256, preferred));
        assertThat(PanamaKernels.vectorBits("512")).isEqualTo(Math.min(512, preferred));
    }

    @Test
    void rejectsWidthsItHasNoSpeciesFor() {
        assertThatThrownBy(() -> PanamaKernels.vectorBits("64"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("jmerge.vectorBits must be 128, 256 or 512, got '64'");
        assertThatThrownBy(() -> PanamaKernels.vectorBits("wide")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nameCarriesTheWidthInUse() {
        assertThat(new PanamaKernels().name()).isEqualTo("panama-" + PanamaKernels.BITS);
    }
}
