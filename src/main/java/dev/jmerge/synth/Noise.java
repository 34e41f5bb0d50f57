package dev.jmerge.synth;

import java.nio.charset.StandardCharsets;

/** Counter-based pseudo-random numbers: a value is a pure function of (key, index), so any range can be drawn alone. */
final class Noise {

    private Noise() {}

    static long key(long seed, String name) {
        long h = mix(seed);
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) h = mix(h ^ (b & 0xFF));
        return h;
    }

    /** splitmix64's finaliser: a bijective mix with good avalanche. */
    static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in (0, 1). */
    static double uniform(long key, long index) {
        return ((mix(key ^ mix(index)) >>> 11) + 0.5) * 0x1.0p-53;
    }

    /** Standard normal by Box–Muller over two independent uniforms. */
    static double gaussian(long key, long index) {
        double u1 = uniform(key, 2 * index), u2 = uniform(key, 2 * index + 1);
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
