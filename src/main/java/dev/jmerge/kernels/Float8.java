package dev.jmerge.kernels;

/**
 * The two 8-bit float formats of safetensors. E4M3FN: bias 7, 3 mantissa bits, no infinities, only
 * {@code S.1111.111} is NaN (largest finite 448). E5M2: the upper byte of an IEEE half. Encoding follows
 * PyTorch's float32 casts bit for bit, so an f8 output matches what mergekit would have written.
 */
final class Float8 {

    private static final float[] E4M3 = new float[256];

    static {
        for (int b = 0; b < 256; b++) {
            int e = (b >>> 3) & 0xF;
            int m = b & 7;
            float mag;
            if (e == 0xF && m == 7) mag = Float.NaN;
            else if (e == 0) mag = m / 8f * 0x1p-6f;
            else mag = (1 + m / 8f) * (float) Math.pow(2, e - 7);
            E4M3[b] = (b & 0x80) != 0 ? -mag : mag;
        }
    }

    private Float8() {}

    static float e4m3ToFloat(byte b) { return E4M3[b & 0xFF]; }

    static float e5m2ToFloat(byte b) { return Float.float16ToFloat((short) ((b & 0xFF) << 8)); }

    /**
     * Nearest E4M3FN code, ties to even, as PyTorch casts: the code above 448 is the NaN pattern, so
     * magnitudes above 464 (the tie, which goes to the even 448) become NaN; NaN keeps its sign.
     */
    static byte floatToE4m3(float v) {
        int bits = Float.floatToRawIntBits(v);
        int sign = (bits >>> 24) & 0x80;
        int abs = bits & 0x7FFFFFFF;
        if (abs > 0x43E80000) return (byte) (sign | 0x7F); // > 464, or NaN
        if (abs < 0x3C800000) {
            // Below 2^-6 the codes step by 2^-9, the ulp of 2^14: the float adder does the rounding.
            return (byte) (sign | (Float.floatToRawIntBits(Float.intBitsToFloat(abs) + 0x1p14f) - 0x46800000));
        }
        int odd = (abs >>> 20) & 1;
        return (byte) (sign | ((abs - ((127 - 7) << 23) + 0x7FFFF + odd) >>> 20));
    }

    /**
     * Nearest E5M2 code, ties to even, rounded once from the float (going through a half would round
     * twice); magnitudes that round past 57344 are infinite, NaN is {@code S.11111.11}.
     */
    static byte floatToE5m2(float v) {
        int bits = Float.floatToRawIntBits(v);
        int sign = (bits >>> 24) & 0x80;
        int abs = bits & 0x7FFFFFFF;
        if (abs > 0x7F800000) return (byte) (sign | 0x7F);
        if (abs >= 0x47800000) return (byte) (sign | 0x7C); // 2^16 and up, infinity included
        if (abs < 0x38800000) {
            // Below 2^-14 the codes step by 2^-16, the ulp of 2^7.
            return (byte) (sign | (Float.floatToRawIntBits(Float.intBitsToFloat(abs) + 0x1p7f) - 0x43000000));
        }
        int odd = (abs >>> 21) & 1;
        return (byte) (sign | ((abs - ((127 - 15) << 23) + 0xFFFFF + odd) >>> 21));
    }
}
