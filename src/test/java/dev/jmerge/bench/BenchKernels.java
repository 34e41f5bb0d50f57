package dev.jmerge.bench;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.ScalarKernels;

/** The kernel implementation a benchmark's {@code impl} parameter names. */
final class BenchKernels {

    private BenchKernels() {}

    static Kernels named(String impl) throws ReflectiveOperationException {
        return switch (impl) {
            case "scalar" -> new ScalarKernels();
            case "panama" -> (Kernels) Class.forName("dev.jmerge.kernels.panama.PanamaKernels")
                    .getDeclaredConstructor().newInstance();
            default -> throw new IllegalArgumentException("impl must be scalar or panama, got " + impl);
        };
    }
}
