package dev.jmerge.kernels;

import java.util.function.Consumer;

/**
 * Chooses the kernel implementation once per process: the Vector API one when the incubator module is in
 * the boot layer and loads, else {@link ScalarKernels} with one hint saying why.
 */
public final class KernelsProvider {

    private static final String PANAMA_CLASS = "dev.jmerge.kernels.panama.PanamaKernels";
    private static volatile Kernels instance;
    private static volatile String fallbackReason;

    private KernelsProvider() {}

    public static Kernels get() {
        Kernels k = instance;
        if (k == null) {
            synchronized (KernelsProvider.class) {
                if (instance == null) instance = lookup();
                k = instance;
            }
        }
        return k;
    }

    /** Why the scalar kernels were chosen, or null when the vector ones run. */
    public static String fallbackReason() {
        get();
        return fallbackReason;
    }

    /** Prints the fallback hint (if any) through {@code sink}, once per call site that asks. */
    public static void reportFallback(Consumer<String> sink) {
        String r = fallbackReason();
        if (r != null) sink.accept(r);
    }

    private static Kernels lookup() {
        if ("scalar".equals(System.getProperty("jmerge.kernels"))) {
            fallbackReason = null; // asked for explicitly: not worth a hint
            return new ScalarKernels();
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            fallbackReason = "vector kernels off: run with --add-modules=jdk.incubator.vector (the ./jmerge launcher does)";
            return new ScalarKernels();
        }
        try {
            return (Kernels) Class.forName(PANAMA_CLASS).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError | UnsupportedOperationException e) {
            fallbackReason = "vector kernels unavailable (" + e + "); using scalar kernels";
            return new ScalarKernels();
        }
    }
}
