package dev.jmerge.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How the process picks its kernels; the decision is tested apart from the process state it reads. */
class KernelsProviderTest {

    private static final boolean VECTOR_MODULE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    @Test
    void picksTheVectorKernelsWhenTheModuleIsPresent() {
        // Surefire runs with --add-modules=jdk.incubator.vector, so this is the process's own choice.
        if (VECTOR_MODULE && System.getProperty("jmerge.kernels") == null) {
            assertThat(KernelsProvider.get().name()).startsWith("panama-");
            assertThat(KernelsProvider.fallbackReason()).isNull();
        } else if (!VECTOR_MODULE) {
            assertThat(KernelsProvider.get().name()).isEqualTo("scalar");
            assertThat(KernelsProvider.fallbackReason()).contains("--add-modules=jdk.incubator.vector");
        }
        assertThat(KernelsProvider.get()).isSameAs(KernelsProvider.get());
    }

    @Test
    void scalarOnRequestWithoutAHint() {
        KernelsProvider.Choice c = KernelsProvider.choose("scalar", true, () -> { throw new AssertionError("not loaded"); });
        assertThat(c.kernels()).isInstanceOf(ScalarKernels.class);
        assertThat(c.fallbackReason()).isNull();
    }

    @Test
    void vectorKernelsWhenAvailable() {
        Kernels fake = new ScalarKernels(); // stands in for the loaded class: identity tells what came back
        KernelsProvider.Choice c = KernelsProvider.choose(null, true, () -> fake);
        assertThat(c.kernels()).isSameAs(fake);
        assertThat(c.fallbackReason()).isNull();
    }

    @Test
    void scalarWithAHintWhenTheModuleIsMissing() {
        KernelsProvider.Choice c = KernelsProvider.choose(null, false, () -> { throw new AssertionError("not loaded"); });
        assertThat(c.kernels()).isInstanceOf(ScalarKernels.class);
        assertThat(c.fallbackReason()).contains("--add-modules=jdk.incubator.vector");
    }

    @Test
    void scalarWithTheCauseWhenTheVectorClassFailsToLoad() {
        KernelsProvider.Choice c = KernelsProvider.choose("", true, () -> {
            throw new ExceptionInInitializerError(new IllegalArgumentException("jmerge.vectorBits must be 128, 256 or 512"));
        });
        assertThat(c.kernels()).isInstanceOf(ScalarKernels.class);
        assertThat(c.fallbackReason()).contains("jmerge.vectorBits must be 128, 256 or 512").contains("using scalar kernels");
    }
}
