package dev.jmerge.kernels;

import java.util.concurrent.Callable;
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

    /** What {@link #get()} settled on, and the hint to print when it is not the vector implementation. */
    record Choice(Kernels kernels, String fallbackReason) {}

    private static Kernels lookup() {
        Choice c = choose(System.getProperty("jmerge.kernels"),
                ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                () -> (Kernels) Class.forName(PANAMA_CLASS).getDeclaredConstructor().newInstance());
        fallbackReason = c.fallbackReason();
        return c.kernels();
    }

    /**
     * The decision, apart from the process state it reads: {@code requested} is {@code -Djmerge.kernels}
     * ("scalar" forces the reference), {@code vectorModule} whether the incubator module is in the boot
     * layer, {@code loadPanama} instantiates the vector implementation (by name, so this class never links it).
     */
    static Choice choose(String requested, boolean vectorModule, Callable<Kernels> loadPanama) {
        if ("scalar".equals(requested)) {
            return new Choice(new ScalarKernels(), null); // asked for explicitly: not worth a hint
        }
        if (!vectorModule) {
            return new Choice(new ScalarKernels(),
                    "vector kernels off: run with --add-modules=jdk.incubator.vector (the ./jmerge launcher does)");
        }
        try {
            return new Choice(loadPanama.call(), null);
        } catch (Exception | LinkageError e) {
            Throwable cause = e instanceof ExceptionInInitializerError && e.getCause() != null ? e.getCause() : e;
            return new Choice(new ScalarKernels(), "vector kernels unavailable (" + cause + "); using scalar kernels");
        }
    }
}
