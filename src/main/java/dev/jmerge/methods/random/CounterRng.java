package dev.jmerge.methods.random;

import dev.jmerge.kernels.ScalarLoops;
import java.nio.charset.StandardCharsets;

/**
 * Counter-based random numbers: a uniform double is a pure function of a stream key and an element index,
 * so any range of a tensor can be drawn on its own and the result never depends on threads, tile sizes or
 * the order tiles are visited. A stream key names (run seed, tensor, model); {@link #uniform} then mixes
 * (key, index) with two rounds of the SplitMix64 finalizer, the key entering both rounds so that streams of
 * different keys are not shifted copies of one another.
 */
public final class CounterRng {

    private static final long GOLDEN = ScalarLoops.GOLDEN;
    private static final double TWO_POW_MINUS_53 = 0x1.0p-53;

    private CounterRng() {}

    /** The stream key of one model's random draws for one tensor. */
    public static long key(long seed, String tensorName, int modelIndex) {
        long h = ScalarLoops.mix(seed ^ 0x6A09E667F3BCC909L);
        for (byte b : tensorName.getBytes(StandardCharsets.UTF_8)) {
            h = ScalarLoops.mix(h + (b & 0xFF) + GOLDEN);
        }
        return ScalarLoops.mix(h ^ ScalarLoops.mix((modelIndex + 1L) * GOLDEN));
    }

    /** Uniform in [0, 1) on the 2^-53 grid, for element {@code index} of stream {@code key}. */
    public static double uniform(long key, long index) {
        return bits53(key, index) * TWO_POW_MINUS_53;
    }

    /**
     * Standard normal for element {@code index} of stream {@code key}: Box–Muller over the uniform draws
     * {@code 2·index} and {@code 2·index + 1} (the first turned into (0, 1] so its logarithm is finite).
     */
    public static double normal(long key, long index) {
        double u1 = 1.0 - uniform(key, 2 * index);
        double u2 = uniform(key, 2 * index + 1);
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** The integer behind {@link #uniform}: {@code uniform(key, index) == bits53(key, index) · 2^-53}, in [0, 2^53). */
    public static long bits53(long key, long index) { return ScalarLoops.counterBits53(key, index); }

    /**
     * The integer threshold equivalent to comparing with {@code p}: for every draw,
     * {@code uniform(key, i) < p} exactly when {@code bits53(key, i) < below(p)} (scaling by 2^53 is exact).
     */
    public static long below(double p) {
        if (!(p > 0)) return 0;
        if (p >= 1) return 1L << 53;
        return (long) Math.ceil(p * 0x1.0p53);
    }
}
