package dev.jmerge.kernels;

import java.util.SplittableRandom;

/** Seeded test inputs that lean on the edges: specials, subnormals, rounding ties of bf16 and f16. */
final class KernelData {

    static final int[] LENGTHS = {0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 63, 65, 127, 129, 1000, 4099};

    /** Raw float bit patterns worth hitting in every conversion. */
    static final int[] SPECIAL_BITS = {
            0x00000000, 0x80000000, // ±0
            0x00000001, 0x807FFFFF, 0x00400000, // float subnormals
            0x00800000, 0x7F7FFFFF, 0xFF7FFFFF, // min normal, ±max
            0x7F800000, 0xFF800000, // ±inf
            0x7FC00000, 0xFFC00001, 0x7F800001, 0x7FA01234, 0xFF812345, // quiet and signalling NaNs with payloads
            0x3F808000, 0x3F818000, 0xBF808000, 0x3F807FFF, 0x3F808001, // bf16 ties (even and odd) and neighbours
            0x7F7F8000, 0x7F7FFFFF, 0x7F7F7FFF, // bf16 ties at the top: round to infinity or stay finite
            0x00008000, 0x00018000, // bf16 ties among float subnormals
            0x3F801000, 0x3F803000, 0x3F800FFF, 0x3F801001, // f16 ties and neighbours
            0x477FE000, 0x477FEFFF, 0x477FF000, 0x477FF001, // around 65504 and the f16 overflow edge 65520
            0x33800000, 0x33000000, 0x33000001, 0x33C00000, // 2^-24, 2^-25 (tie to 0), just above, 1.5·2^-24
            0x387FC000, 0x387FE000, 0x387FFFFF, 0x38800000, // f16 subnormal top, rounding into the min normal
            0x43E00000, 0x43E80000, 0x43E80001, 0x43F00000, // e4m3: 448, 464 (tie), just above, 480
            0x47600000, 0x47700000, 0x476FFFFF, 0x47800000, // e5m2: 57344, 61440 (tie), just below, 65536
    };

    private KernelData() {}

    /** {@code n} floats: a mix of specials, arbitrary bit patterns, bf16/f16 ties and ordinary weights. */
    static float[] floats(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = Float.intBitsToFloat(bits(r));
        return x;
    }

    /** Finite floats with mixed magnitudes and signs (for reductions), some zeros and subnormals. */
    static float[] finite(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            int b;
            do b = bits(r); while (!Float.isFinite(Float.intBitsToFloat(b)) || Math.abs(Float.intBitsToFloat(b)) > 1e30f);
            x[i] = Float.intBitsToFloat(b);
        }
        return x;
    }

    private static int bits(SplittableRandom r) {
        return switch (r.nextInt(6)) {
            case 0 -> SPECIAL_BITS[r.nextInt(SPECIAL_BITS.length)];
            case 1 -> r.nextInt(); // any pattern, NaNs included
            case 2 -> (r.nextInt() & 0xFFFF0000) | 0x8000; // exact bf16 tie
            case 3 -> (r.nextInt() & 0xFFFFE000) | (r.nextBoolean() ? 0x1000 : 0x0FFF); // f16 tie or just below
            default -> Float.floatToRawIntBits((float) (r.nextGaussian() * Math.scalb(1.0, r.nextInt(-30, 10))));
        };
    }
}
